"""The editors' dashboard: drafts and pages awaiting moderation, in place of Wagtail's own "your pages in a
workflow" panel; merchants and counter staff (no page permissions) do not get them."""

import pytest
from django.urls import reverse
from wagtail.models import Page

from cms.dashboard import drafts, pages_in_moderation
from core import roles
from tests import factories
from tests.fixtures.http import login
from tests.fixtures.users import english_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return Page.objects.get(depth=2, locale__language_code="zh-hans").specific


def test_drafts_and_moderation_from_real_pages(client, home):
    editor = english_admin(factories.make_user("editor", group=roles.EDITORS))
    other_editor = factories.make_user("editor2", group=roles.EDITORS)
    home.title = "首页（草稿）"
    home.save_revision(user=other_editor)
    assert [page.pk for page in drafts(editor)] == [home.pk]
    assert list(pages_in_moderation(editor)) == []

    html = login(client, editor).get(reverse("wagtailadmin_home")).content.decode()
    assert 'data-dashboard-panel="drafts" data-count="1"' in html and "首页（草稿）" in html
    assert reverse("wagtailadmin_pages:edit", args=[home.pk]) in html
    assert "No page is waiting for moderation." in html

    home.get_workflow().start(home, editor)

    assert list(drafts(editor)) == []  # in moderation now, not a draft any more
    [state] = pages_in_moderation(other_editor)  # every editor sees what waits, not only its submitter
    assert state.content_object.pk == home.pk and state.requested_by == editor
    html = login(client, editor).get(reverse("wagtailadmin_home")).content.decode()
    assert 'data-dashboard-panel="awaiting-moderation" data-count="1"' in html
    assert 'id="objects-in-workflow-section"' not in html  # Wagtail's subset of the same list is replaced


def test_merchants_get_no_page_panels(client, world):
    html = login(client, english_admin(world.alice)).get(reverse("wagtailadmin_home")).content.decode()

    assert 'data-dashboard-panel="drafts"' not in html and 'data-dashboard-panel="awaiting-moderation"' not in html
