"""An editor presses "save draft" (or "submit for moderation") on a new page while Wagtail's first autosave of
it is still under way: the save waits for the autosave and then saves that same page, with the action the
editor chose; no second page of the same title, no error.

The autosave's request is held in the browser (Playwright's routing, as on a slow network) until the editor
has pressed the button, then let through to the real server.
"""

import re
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.actions import admin_login
from tests.e2e.test_product_chooser import new_story


def press(editor: Page, button: str) -> None:
    if button == "提交审核":
        editor.get_by_role("button", name="更多动作").click()
    editor.get_by_role("button", name=button).click()


@pytest.mark.parametrize(
    ("button", "title", "slug", "action"),
    [
        ("保存草稿", "秀山金银花的故事", "xiushan-jinyinhua-de-gushi", None),
        ("提交审核", "土家织锦的故事", "tujia-zhijin-de-gushi", "action-submit"),
    ],
)
def test_a_save_during_the_first_autosave_saves_the_same_page(open_page, button, title, slug, action):
    editor = open_page()
    admin_login(editor, "editor")
    new_story(editor)

    held: list[Route] = []
    creates: list[str] = []
    saves: list[str] = []

    def hold_autosave(route: Route) -> None:
        if route.request.resource_type == "fetch":
            held.append(route)
        else:
            creates.append(route.request.method)
            route.continue_()

    def note_save(route: Route) -> None:
        if route.request.resource_type == "document" and route.request.method == "POST":
            saves.append(route.request.post_data or "")
        route.continue_()

    editor.route(re.compile(r"/admin/pages/add/"), hold_autosave)
    editor.route(re.compile(r"/admin/pages/\d+/edit/"), note_save)
    editor.locator("#id_title").fill(title)
    editor.locator("#id_title").press("Tab")
    expect(editor.locator("#id_slug")).to_have_value(slug)
    while not held:
        editor.wait_for_timeout(100)

    press(editor, button)
    editor.wait_for_timeout(500)
    assert creates == [], "the save went to the create view while the autosave was creating the page"

    held.pop().continue_()
    expect(editor.locator(".messages")).to_contain_text(title)
    expect(editor.locator(".error-message")).to_have_count(0)
    assert creates == []
    (sent,) = saves  # one save, to the page the autosave created
    if action:
        assert action in parse_qs(sent), "the action the editor pressed was lost on the way"

    editor.goto("/admin/pages/")
    editor.get_by_role("link", name="查看'德秀集市'的子页面").click()
    editor.get_by_role("link", name="查看'商户故事'的子页面").click()
    expect(editor.locator("main").get_by_role("link", name=title, exact=True)).to_have_count(1)
