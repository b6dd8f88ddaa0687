"""Remembered page routes (``cms.routes``): an address is found in the page tree once, then served with one page
query, and follows every change to the tree at once: unpublishing, renaming, a new translation, another site."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, Site

from cms.models import HomePage, StoryIndexPage
from tests.cms.helpers import make_story


def tree_queries(client, path: str, **extra) -> tuple[int, int, int, int]:
    """The response's status and how many page, site and view restriction queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **extra)
    sql = [query["sql"] for query in queries.captured_queries]
    pages = sum(text.startswith('SELECT "wagtailcore_page"."id"') for text in sql)  # a page's row, specific or not
    sites = sum(text.startswith('SELECT "wagtailcore_site"') for text in sql)
    restrictions = sum('FROM "wagtailcore_pageviewrestriction"' in text for text in sql)
    return response.status_code, pages, sites, restrictions


def title(response) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S).group(1).strip()


def test_a_story_is_found_once_then_served_with_its_own_row(client, story_index):
    make_story(story_index, title="一梭一线织出好日子", slug="brocade")

    first = tree_queries(client, "/stories/brocade/")
    again = tree_queries(client, "/stories/brocade/")

    assert first[0] == again[0] == 200
    # Found: the site, then the root, its translation, the home, the index and the story; remembered: the story
    # alone (the link above its title to its index is its own address less its slug), and no site query at all.
    assert first[1] >= 5 and first[2] >= 1
    assert again[1] == 1 and again[2] == 0
    assert first[3] >= 1 and again[3] == 0  # no view restriction when found: none read again
    page = client.get("/stories/brocade/")
    assert title(page) == "一梭一线织出好日子"
    assert '<p class="story__kicker"><a href="/stories/">' in page.content.decode()


def test_a_remembered_story_asks_for_the_password_as_soon_as_its_index_is_made_private(
    client, story_index, django_capture_on_commit_callbacks
):
    from wagtail.models import PageViewRestriction

    make_story(story_index, title="一梭一线织出好日子", slug="brocade")
    assert tree_queries(client, "/stories/brocade/")[0] == 200
    assert tree_queries(client, "/stories/brocade/")[3] == 0  # remembered without restrictions

    with django_capture_on_commit_callbacks(execute=True):
        restriction = PageViewRestriction.objects.create(page=story_index, restriction_type="password", password="pw")
    private = client.get("/stories/brocade/")
    assert 'name="password"' in private.content.decode() and "一梭一线织出好日子" not in private.content.decode()
    assert tree_queries(client, "/stories/brocade/")[3] >= 1  # remembered behind one: read on every request

    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    assert title(client.get("/stories/brocade/")) == "一梭一线织出好日子"


def test_an_unpublished_story_leaves_its_address_at_once(client, story_index):
    story = make_story(story_index, title="一梭一线织出好日子", slug="brocade")
    assert client.get("/stories/brocade/").status_code == 200

    story.unpublish()
    assert client.get("/stories/brocade/").status_code == 404

    story.save_revision().publish()
    assert client.get("/stories/brocade/").status_code == 200
    # Unpublished without a signal (a bulk update): a remembered page is loaded only while it is live.
    Page.objects.filter(pk=story.pk).update(live=False)
    assert client.get("/stories/brocade/").status_code == 404


def test_a_renamed_story_moves_to_its_new_address_at_once(client, story_index):
    story = make_story(story_index, title="一梭一线织出好日子", slug="brocade")
    assert client.get("/stories/brocade/").status_code == 200

    story.slug = "weaving"
    story.save_revision().publish()

    assert title(client.get("/stories/weaving/")) == "一梭一线织出好日子"
    old = client.get("/stories/brocade/")
    assert old.status_code != 200  # 404, or Wagtail's redirect to the new address
    assert old.status_code == 404 or old["Location"].endswith("/stories/weaving/")


def test_an_english_address_shows_the_translation_once_it_is_published(client, home, story_index, english):
    home.copy_for_translation(english).save_revision().publish()
    story_index.copy_for_translation(english).save_revision().publish()
    story = make_story(story_index, title="一梭一线织出好日子", slug="brocade")

    for _ in range(2):  # found, then remembered: the Chinese original, at the English address
        assert title(client.get("/en/stories/brocade/")) == "一梭一线织出好日子"

    translated = story.copy_for_translation(english)
    translated.title = "Weaving a living"
    translated.save_revision().publish()

    assert title(client.get("/en/stories/brocade/")) == "Weaving a living"
    assert '<p class="story__kicker"><a href="/en/stories/">' in client.get("/en/stories/brocade/").content.decode()
    assert title(client.get("/stories/brocade/")) == "一梭一线织出好日子"


@pytest.fixture
def other_site(db):
    """A second site (another host) whose home has its own "stories" with the same slugs."""
    root = Page.get_first_root_node()
    other_home = HomePage(title="另一个站点", slug="other-site")
    root.add_child(instance=other_home)
    other_home.save_revision().publish()
    index = StoryIndexPage(title="故事", slug="stories")
    other_home.add_child(instance=index)
    index.save_revision().publish()
    make_story(index, title="另一个站点的故事", slug="brocade")
    return Site.objects.create(hostname="other.example", port=80, root_page=other_home)


def test_each_host_finds_its_own_sites_page(client, story_index, other_site):
    make_story(story_index, title="一梭一线织出好日子", slug="brocade")

    for _ in range(2):  # found, then remembered: still per host
        assert title(client.get("/stories/brocade/")) == "一梭一线织出好日子"
        assert title(client.get("/stories/brocade/", HTTP_HOST="other.example")) == "另一个站点的故事"

    # The other site given up: its host is served by the default site from then on.
    other_site.delete()
    assert title(client.get("/stories/brocade/", HTTP_HOST="other.example")) == "一梭一线织出好日子"
