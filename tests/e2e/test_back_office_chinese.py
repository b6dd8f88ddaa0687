"""The back office in Chinese for the people who work in it every day: the editor, the moderator and the
operator sign in (their language is Chinese) and walk their daily screens; on each, no English shows
(`assert_chinese`), live pages read 已发布, the workflow's action reads 提交审核, and every request stays on the
site (no Gravatar: avatars are drawn from the site's own files).

Page titles of the English tree are content, not back-office text: the walk stays in the Chinese tree.
"""

import re

from playwright.sync_api import Page, expect

from tests.e2e.actions import admin_login
from tests.e2e.chinese import assert_chinese

HOME = "德秀集市"
STORIES = "商户故事"
STORY = "一梭一线织出好日子：隘口镇的土家织锦工坊"  # demo/page_data.py
SIBLING_SLUG = "guicuo-navel-orange-cooperative"  # another story under 商户故事
TO_SUBMIT = "就地杀青烘干：“武陵药都”的中药材"


def sign_in(page: Page, username: str, base: str) -> list[str]:
    """Sign in; the addresses of every request the browser then makes off the site (``base``)."""
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: request.url.startswith((base, "data:", "blob:")) or elsewhere.append(request.url),
    )
    admin_login(page, username)
    return elsewhere


def settled(page: Page) -> None:
    page.wait_for_load_state("networkidle")


def dashboard(page: Page) -> None:
    page.goto("/admin/")
    settled(page)
    expect(page.locator("main input[name=q]")).to_have_attribute("placeholder", "搜索所有页面…")
    avatar = page.locator(".avatar img").first
    expect(avatar).to_have_attribute("src", re.compile(r"^/"))  # the site's own default, not Gravatar
    assert_chinese(page)


def explorer(page: Page) -> None:
    """The home page's subpages, then the stories': a listing with its count, live pages 已发布."""
    page.goto("/admin/pages/")
    page.get_by_role("link", name=f"查看'{HOME}'的子页面").click()
    settled(page)
    assert_chinese(page)
    page.get_by_role("link", name=f"查看'{STORIES}'的子页面").click()
    settled(page)
    expect(page.locator("main")).to_contain_text(re.compile(r"第 1-\d+ 个，共 \d+ 个页面"))
    expect(page.locator("main table").first).to_contain_text("已发布")
    expect(page.locator("main")).not_to_contain_text("在用")
    assert_chinese(page)


def open_story(page: Page) -> None:
    """The story's editor, its status side panel, and the actions menu with the workflow's submit action."""
    page.get_by_role("link", name=STORY, exact=True).first.click()
    page.wait_for_url(re.compile(r"/admin/pages/\d+/edit/$"))
    settled(page)
    assert_chinese(page)
    page.get_by_role("button", name="状态").first.click()
    panel = page.locator("[data-side-panel='status']")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("已发布")
    assert_chinese(page)
    page.get_by_role("button", name="更多动作").click()
    expect(page.get_by_role("button", name="提交审核")).to_be_visible()
    assert_chinese(page)
    page.keyboard.press("Escape")


def invalid_saves(page: Page) -> None:
    """A new story without a title, then the story given a sibling's slug: the errors are in Chinese."""
    page.goto("/admin/pages/")
    page.get_by_role("link", name=f"查看'{HOME}'的子页面").click()
    page.get_by_role("link", name=f"查看'{STORIES}'的子页面").click()
    page.get_by_role("link", name="添加子页面").first.click()
    page.wait_for_url(re.compile(r"/add/cms/storypage/\d+/$"))
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("存在验证错误，页面未能创建。")
    assert_chinese(page)

    page.goto("/admin/pages/")
    page.get_by_role("link", name=f"查看'{HOME}'的子页面").click()
    page.get_by_role("link", name=f"查看'{STORIES}'的子页面").click()
    page.get_by_role("link", name=STORY, exact=True).first.click()
    page.wait_for_url(re.compile(r"/admin/pages/\d+/edit/$"))
    page.get_by_role("tab", name="推荐").click()
    page.fill("#id_slug", SIBLING_SLUG)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("存在验证错误，页面未能保存。")
    page.get_by_role("tab", name="推荐").click()
    expect(page.locator("[id$=-slug-errors]")).to_contain_text(SIBLING_SLUG)
    assert_chinese(page, allow=set(SIBLING_SLUG.split("-")))  # the slug typed is the editor's, shown as typed


def images(page: Page) -> None:
    page.goto("/admin/images/")
    settled(page)
    assert_chinese(page)
    ordering = page.locator("select[name=ordering]")
    expect(ordering.locator("option")).to_contain_text(["最新", "最早"], ignore_case=False)
    options = ordering.locator("option").all_inner_texts()
    assert any(text.startswith("使用次数") for text in options), options
    ordering.select_option("created_at")
    settled(page)
    assert_chinese(page)


def snippets(page: Page) -> None:
    page.goto("/admin/snippets/")
    settled(page)
    assert_chinese(page)
    page.goto("/admin/snippets/catalog/product/")
    settled(page)
    assert_chinese(page)


def aid_report(page: Page) -> None:
    page.goto("/admin/aid/")
    settled(page)
    expect(page.locator("select[name=group_by] option:checked")).to_have_text("月")
    assert_chinese(page)
    page.locator("select[name=group_by]").select_option("merchant")
    page.get_by_role("button", name="查看", exact=True).click()
    settled(page)
    expect(page.locator("select[name=group_by] option:checked")).to_have_text("商户")
    assert_chinese(page)


def submit_for_review(page: Page, title: str) -> None:
    page.goto("/admin/pages/")
    page.get_by_role("link", name=f"查看'{HOME}'的子页面").click()
    page.get_by_role("link", name=f"查看'{STORIES}'的子页面").click()
    page.get_by_role("link", name=title, exact=True).first.click()
    page.get_by_role("button", name="更多动作").click()
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".messages")).to_contain_text("已经提交进行审核")
    assert_chinese(page)


def test_the_editor_works_in_chinese(page, site):
    elsewhere = sign_in(page, "editor", site.base)
    dashboard(page)
    explorer(page)
    open_story(page)
    invalid_saves(page)
    images(page)
    snippets(page)
    assert elsewhere == []


def test_the_moderator_reviews_in_chinese(open_page, site):
    editor = open_page()
    sign_in(editor, "editor", site.base)
    submit_for_review(editor, TO_SUBMIT)

    page = open_page()
    elsewhere = sign_in(page, "moderator", site.base)
    dashboard(page)
    expect(page.locator("main")).to_contain_text(TO_SUBMIT)  # awaiting the moderator's review
    expect(page.locator("main")).to_contain_text("编辑审核")
    explorer(page)
    open_story(page)
    images(page)
    page.goto("/admin/reports/workflow/")
    settled(page)
    expect(page.locator("main")).to_contain_text("审核")
    assert_chinese(page)
    assert elsewhere == []


def test_the_operator_works_in_chinese(page, site):
    elsewhere = sign_in(page, "operator", site.base)
    dashboard(page)
    explorer(page)
    open_story(page)
    images(page)
    snippets(page)
    page.goto("/admin/merchants/")
    settled(page)
    assert_chinese(page)
    aid_report(page)
    assert elsewhere == []
