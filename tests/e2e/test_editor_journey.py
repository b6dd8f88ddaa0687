"""An editor writes a merchant story in the Wagtail admin and submits it; a moderator approves it from
the dashboard; a reader then finds it on the home page, with the product card at the live price."""

import re

from playwright.sync_api import Page, expect

from demo import data
from tests.e2e.actions import admin_login

TITLE = "织锦新品上架记"
SLUG = "brocade-new-season-e2e"
SCARF = "tujia-brocade-scarf"
PRODUCTS = {p.slug: p for p in data.PRODUCTS}
MERCHANT = "隘口镇土家织锦"


def open_story_index(editor: Page) -> None:
    """Through the page explorer: the home page's subpages, then the story index's."""
    editor.goto("/admin/pages/")
    editor.get_by_role("link", name="查看'德秀集市'的子页面").click()
    editor.get_by_role("link", name="查看'商户故事'的子页面").click()


def choose(page: Page, opener: str, search: str | None, choice: str) -> None:
    """Open a chooser by its button label, search in it when asked, and pick ``choice``."""
    page.get_by_role("button", name=opener).click()
    modal = page.locator(".modal")
    modal.wait_for()
    if search:
        modal.locator("input[name=q]").fill(search)
    modal.locator("a[data-chooser-modal-choice]", has_text=choice).first.click()
    modal.wait_for(state="hidden")


def write_and_submit_story(editor: Page) -> None:
    open_story_index(editor)
    editor.get_by_role("link", name="添加子页面").first.click()
    editor.fill("#id_title", TITLE)
    choose(editor, "选择商户", None, MERCHANT)
    editor.fill("#id_intro", "新一季的织锦围巾从隘口镇的木腰机上织出来了。")

    body = editor.locator("[data-contentpath='body']").first
    body.locator("button.c-sf-add-button").first.click()
    editor.get_by_role("option", name="商品卡片").click()
    choose(editor, "选择 商品", "织锦围巾", PRODUCTS[SCARF].name)
    expect(body.locator("[data-chooser-title]").first).to_have_text(PRODUCTS[SCARF].name)

    editor.get_by_role("checkbox", name="在首页展示").check()
    editor.get_by_role("tab", name="推荐").click()
    editor.fill("#id_slug", SLUG)
    editor.get_by_role("tab", name="内容").click()

    editor.get_by_role("button", name="更多动作").click()
    editor.get_by_role("button", name="提交审核").click()
    # Wagtail's autosave may have created the page as a draft while the editor typed (a slow run): then the
    # message is the edit view's "submitted", else the create view's "created and submitted".
    submitted = re.compile(f"'{re.escape(TITLE)}' (已创建并提交审核|已经提交进行审核)")
    expect(editor.locator(".messages")).to_contain_text(submitted)


def approve(moderator: Page) -> None:
    """Approve the story from the dashboard's "awaiting your review" list (approval publishes)."""
    review = moderator.locator("#awaiting-review-section")  # the team's "awaiting moderation" panel lists it too
    row = review.locator("tr", has_text=TITLE)
    row.get_by_role("button", name="操作").click()
    row.get_by_role("button", name="批准", exact=True).click()
    expect(moderator.locator("tr", has_text=TITLE)).to_have_count(0)  # nothing left to review, nor awaiting


def test_editor_writes_a_story_the_moderator_approves_and_readers_see_it(open_page):
    editor = open_page()
    admin_login(editor, "editor")
    write_and_submit_story(editor)

    reader = open_page()
    reader.goto("/")
    expect(reader.get_by_role("link", name=TITLE)).to_have_count(0)

    moderator = open_page()
    admin_login(moderator, "moderator")
    approve(moderator)

    reader.goto(f"/products/{SCARF}/")
    price = re.search(r"¥[\d,]+\.\d\d", reader.locator("main").inner_text()).group(0)
    reader.goto("/")
    reader.get_by_role("link", name=TITLE).first.click()
    expect(reader).to_have_url(re.compile(rf"/stories/{SLUG}/$"))
    expect(reader.locator("h1")).to_have_text(TITLE)
    card = reader.locator(".product-block")
    expect(card).to_contain_text(PRODUCTS[SCARF].name)
    expect(card).to_contain_text(price)
    expect(card.get_by_role("button", name="加入购物车")).to_be_visible()
