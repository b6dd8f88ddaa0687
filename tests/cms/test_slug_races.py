"""Two page forms writing the same slug under the same parent at once (PostgreSQL): one gets the slug, the
other is told the slug is taken, as a form error; never a server error, never two pages with one slug.

Before the fix both requests passed the slug check before either wrote, and the second failed in Wagtail's
``Page.save`` (``ValidationError`` on ``slug``: a 500). ``hold_writes`` holds each form between its checks
and its write until both have checked (or 2 s pass: once page forms are serialised, the second waits for
the first's transaction instead, and so never reaches the barrier while the first holds it).
"""

import contextlib
import threading

import pytest
from django.test import Client
from wagtail.models import Page

from cms.autosave import AutosavedDraft
from cms.models import StoryPage
from cms.page_forms import PinyinSlugFormMixin
from tests.cms.test_pinyin_slugs import SLUG, TITLE, add_url, autosave, story_form
from tests.fixtures.http import login
from tests.fixtures.races import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hold_writes(monkeypatch):
    barrier = threading.Barrier(2, timeout=2)
    original = PinyinSlugFormMixin.save

    def save(form, commit=True):
        # Broken after 2 s when the other form is not writing at the same time (it waits for this one).
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return original(form, commit=commit)

    monkeypatch.setattr(PinyinSlugFormMixin, "save", save)


def new_page_save(editor, story_index, title: str):
    client = login(Client(raise_request_exception=False), editor)
    return lambda: client.post(add_url(story_index), story_form(title, SLUG))


def assert_one_saved_one_told(responses) -> None:
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 302], statuses  # one saved (redirected), one form shown again; no 500
    (refused,) = [response for response in responses if response.status_code == 200]
    (error,) = refused.context["form"].errors["slug"]
    assert f"“{SLUG}”" in error


def test_two_new_pages_with_one_slug_at_once_one_is_told(editor, story_index, hold_writes):
    responses = run_together(
        new_page_save(editor, story_index, TITLE), new_page_save(editor, story_index, "另一个故事")
    )

    assert_one_saved_one_told(responses)
    assert StoryPage.objects.filter(slug=SLUG).count() == 1
    assert StoryPage.objects.count() == 1  # nothing half-written by the refused one


def test_two_new_pages_taking_an_abandoned_drafts_slug_at_once(client, editor, story_index, hold_writes):
    login(client, editor)
    abandoned = autosave(client, story_index, TITLE, SLUG)

    responses = run_together(new_page_save(editor, story_index, TITLE), new_page_save(editor, story_index, TITLE))

    assert_one_saved_one_told(responses)
    abandoned.refresh_from_db()
    assert abandoned.slug == f"{SLUG}-draft-{abandoned.pk}"  # released once, not twice
    new = StoryPage.objects.exclude(pk=abandoned.pk).get()
    assert new.slug == SLUG
    assert not AutosavedDraft.objects.filter(page_id=new.pk).exists()
    assert Page.objects.filter(slug__startswith=SLUG).count() == 2
