"""The demo's home and story pages stay within 16 SQL queries when rendered after a warming request;
a story under a restricted page still asks for its password."""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from cms.models import StoryIndexPage, StoryPage

MAX_QUERIES = 16  # 15, and one for the certificates of the product cards shown (catalog.certificates)


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory):
    return str(tmp_path_factory.mktemp("demo-media"))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, demo_media):
    """The demo loaded once for the module, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=demo_media), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def media_root(settings, demo_media):
    """The demo's pictures live in the module's media folder (overrides the per-test folder)."""
    settings.MEDIA_ROOT = demo_media
    return demo_media


def cold_queries(client, url: str):
    """After one warming request (renditions drawn, menus, footers and home facts cached: what a page
    costs once the whole-page cache has dropped it), count the queries of the next one."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, queries


def story_urls() -> list[str]:
    return [story.url for story in StoryPage.objects.live().order_by("path")]


@pytest.mark.django_db
def test_home_pages_render_in_a_bounded_number_of_queries(demo, client):
    for url in ("/", "/en/"):
        response, queries = cold_queries(client, url)
        assert len(queries) <= MAX_QUERIES, "\n".join(q["sql"][:200] for q in queries.captured_queries)
        html = response.content.decode()
        assert "隘口镇" in html or "Aikou" in html
        assert "format-webp" in html or ".webp" in html


@pytest.mark.django_db
def test_every_demo_story_renders_in_a_bounded_number_of_queries(demo, client):
    urls = story_urls()
    assert len(urls) == 12  # six stories, in Chinese and in English
    for url in urls:
        response, queries = cold_queries(client, url)
        assert len(queries) <= MAX_QUERIES, f"{url}\n" + "\n".join(q["sql"][:200] for q in queries.captured_queries)
        html = response.content.decode()
        assert "¥" in html, url  # the product blocks show their live price
        assert ".webp" in html, url


@pytest.mark.django_db
def test_a_password_on_the_story_index_still_guards_its_stories(demo, client):
    index = StoryIndexPage.objects.get(locale__language_code="zh-hans")
    url = story_urls()[0]
    PageViewRestriction.objects.create(page=index, restriction_type="password", password="secret")

    response = client.get(url)

    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()
    assert "¥" not in response.content.decode()
