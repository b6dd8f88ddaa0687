"""An editor writes a story with a Chinese title: the slug follows in pinyin; the product chooser finds a
product by its pinyin and shows its picture, price and merchant; the story is saved. A new page's form the
editor left (autosaved as a draft) does not keep that slug from a later page with the same title."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.actions import admin_login
from tests.e2e.chinese import assert_chinese

TITLE = "秀山脐橙的故事"
SLUG = "xiushan-qicheng-de-gushi"
PRODUCT = "贵措脐橙礼盒 5kg"
MERCHANT = "洪安镇贵措社区脐橙专业合作社"
# How many editing sessions the page still has, once none is left or 20 s have passed.
RELEASED = """
import time
from wagtail.admin.models import EditingSession
sessions = EditingSession.objects.filter(
    content_type__app_label="wagtailcore", content_type__model="page", object_id="{page}"
)
deadline = time.monotonic() + 20
while sessions.exists() and time.monotonic() < deadline:
    time.sleep(0.2)
print(sessions.count())
"""


def new_story(editor: Page) -> None:
    """The "add a story" form, through the page explorer."""
    editor.goto("/admin/pages/")
    editor.get_by_role("link", name="查看'德秀集市'的子页面").click()
    editor.get_by_role("link", name="查看'商户故事'的子页面").click()
    editor.get_by_role("link", name="添加子页面").first.click()
    expect(editor.locator("#id_title")).to_be_visible()
    # Wagtail notes the form as it opened (after a short delay) and autosaves what changes after that.
    editor.wait_for_function(
        """() => {
            const form = document.getElementById('page-edit-form');
            const unsaved = window.wagtail?.app?.getControllerForElementAndIdentifier(form, 'w-unsaved');
            return Boolean(unsaved?.initialFormData);
        }"""
    )


def type_title(editor: Page) -> None:
    """Type the title and leave the field (typed Chinese reaches the page as text input, without the key
    events Wagtail's slug sync also listens to; leaving the field syncs it)."""
    title = editor.locator("#id_title")
    title.fill(TITLE)
    title.press("Tab")
    expect(editor.locator("#id_slug")).to_have_value(SLUG)


def choose_product_by_pinyin(editor: Page) -> None:
    body = editor.locator("[data-contentpath='body']").first
    body.locator("button.c-sf-add-button").first.click()
    editor.get_by_role("option", name="商品卡片").click()
    editor.get_by_role("button", name="选择 商品").click()
    modal = editor.locator(".modal")
    modal.wait_for()
    modal.locator("input[name=q]").fill("qicheng lihe")
    row = modal.locator("tbody tr", has_text=PRODUCT)
    expect(row).to_have_count(1)
    expect(modal.locator("tbody tr")).to_have_count(1)
    expect(row).to_contain_text(MERCHANT)
    expect(row).to_contain_text(re.compile(r"¥88\.00"))
    expect(row).to_contain_text("已发布")
    thumbnail = row.locator("img")
    expect(thumbnail).to_have_attribute("src", re.compile(r"\.webp$"))
    editor.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert_chinese(editor, within=".modal")
    row.locator("a[data-chooser-modal-choice]").click()
    modal.wait_for(state="hidden")
    expect(body.locator("[data-chooser-title]").first).to_have_text(PRODUCT)


def save_draft(editor: Page) -> None:
    editor.get_by_role("button", name="保存草稿").click()
    expect(editor.locator(".messages")).to_contain_text(TITLE)


def test_a_chinese_titled_story_gets_a_pinyin_slug_and_a_product_found_by_pinyin(open_page, site):
    editor = open_page()
    admin_login(editor, "editor")

    # A first try, left once autosave has made it a draft (the form turns into the draft's edit form).
    new_story(editor)
    type_title(editor)
    form = editor.locator("#page-edit-form")
    expect(form).to_have_attribute("action", re.compile(r"/admin/pages/\d+/edit/"))
    draft = re.search(r"/admin/pages/(\d+)/edit/", form.get_attribute("action")).group(1)
    editor.goto("/admin/")
    # Leaving the form releases its editing session by a beacon, which a busy server may take after the next
    # form's first autosave: until then the draft is still open somewhere and keeps its slug (as it should).
    assert site.manage("shell", "-c", RELEASED.format(page=draft)).split()[-1] == "0"

    new_story(editor)
    type_title(editor)
    editor.get_by_role("tab", name="推荐").click()
    expect(editor.locator("#id_slug")).to_have_value(SLUG)
    editor.get_by_role("tab", name="内容").click()
    choose_product_by_pinyin(editor)
    save_draft(editor)
    expect(editor.locator(".error-message")).to_have_count(0)

    editor.get_by_role("tab", name="推荐").click()
    expect(editor.locator("#id_slug")).to_have_value(SLUG)
    # The draft left behind is kept (under another slug): two stories of that title in the explorer.
    editor.goto("/admin/pages/")
    editor.get_by_role("link", name="查看'德秀集市'的子页面").click()
    editor.get_by_role("link", name="查看'商户故事'的子页面").click()
    expect(editor.locator("main").get_by_role("link", name=TITLE, exact=True)).to_have_count(2)
