"""Page slugs in pinyin, a taken slug said with the page holding it, and abandoned autosaved drafts that give
their slug up (``cms.slugs``, ``cms.page_forms``, ``cms.autosave``)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.models import EditingSession
from wagtail.models import get_default_page_content_type
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from cms.autosave import AutosavedDraft
from cms.models import StoryPage
from cms.slugs import pinyin_slug
from tests.fixtures.http import login

pytestmark = pytest.mark.django_db

TITLE = "秀山脐橙的故事"
SLUG = "xiushan-qicheng-de-gushi"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        (TITLE, SLUG),
        ("2024年秀山脐橙", "2024-nian-xiushan-qicheng"),
        ("土家织锦：Café 新品！", "tujia-zhijin-cafe-xinpin"),
        ("绿茶 Green Tea", "lvcha-green-tea"),  # ü as v, as keyboards type it
        ("！？", ""),
    ],
)
def test_a_chinese_title_becomes_a_pinyin_slug(title, slug):
    assert pinyin_slug(title) == slug


def test_a_long_title_is_cut_between_words():
    slug = pinyin_slug("秀山脐橙的故事" * 20, max_length=30)
    assert slug == "xiushan-qicheng-de-gushi"
    assert len(pinyin_slug("秀山脐橙的故事" * 40)) <= 255


def test_the_editor_asks_the_slug_of_a_title(client, editor):
    url = reverse("cms_pinyin_slug")
    assert client.get(url, {"title": TITLE}).status_code == 302  # signed-in staff only

    login(client, editor)
    assert client.get(url, {"title": TITLE}).json() == {"slug": SLUG}


def story_form(title: str, slug: str = "", action: str | None = None) -> dict:
    data = {
        "title": title,
        "slug": slug,
        "township": "",
        "date": "2026-11-20",
        "intro": "",
        "body": streamfield([]),
        "comments": inline_formset([]),
    }
    if action:
        data[action] = "1"
    return nested_form_data(data)


def add_url(story_index) -> str:
    return reverse("wagtailadmin_pages:add", args=("cms", "storypage", story_index.pk))


def save(client, story_index, title: str, slug: str = ""):
    return client.post(add_url(story_index), story_form(title, slug))


def autosave(client, story_index, title: str, slug: str) -> StoryPage:
    """What Wagtail's autosave sends a new page's form (it asks for JSON): the page is created as a draft."""
    response = client.post(add_url(story_index), story_form(title, slug), HTTP_ACCEPT="application/json")
    assert response.json()["success"], response.content
    return StoryPage.objects.get(pk=response.json()["pk"])


def slug_errors(response) -> list[str]:
    assert response.status_code == 200, "the form was expected to be refused"
    return response.context["form"].errors.get("slug", [])


def test_a_page_saved_without_a_slug_gets_its_title_in_pinyin(client, editor, story_index):
    login(client, editor)

    assert save(client, story_index, TITLE).status_code == 302
    assert save(client, story_index, TITLE).status_code == 302

    slugs = sorted(StoryPage.objects.values_list("slug", flat=True))
    assert slugs == [SLUG, f"{SLUG}-2"]


def test_a_page_made_in_code_without_a_slug_gets_pinyin(story_index):
    story = StoryPage(title=TITLE, date=datetime.date(2026, 11, 20))
    story_index.add_child(instance=story)
    assert story.slug == SLUG


def test_a_slug_held_by_a_published_page_is_refused_naming_the_page(client, editor, story_index):
    login(client, editor)
    save(client, story_index, TITLE, SLUG)
    held = StoryPage.objects.get(slug=SLUG)
    held.save_revision().publish()

    (error,) = slug_errors(save(client, story_index, "另一个故事", SLUG))

    assert f"“{SLUG}”" in error and f"“{TITLE}”" in error
    assert "never been published" not in error  # it is not a draft
    assert f'href="{reverse("wagtailadmin_pages:edit", args=(held.pk,))}"' in error
    assert 'target="_blank"' in error  # the editor's form stays open


def test_a_draft_the_editor_saved_keeps_its_slug_and_is_named(client, editor, story_index):
    login(client, editor)
    draft = autosave(client, story_index, TITLE, SLUG)
    # The editor then pressed "save draft" on it: it is theirs, not an abandoned autosave.
    edit = client.post(reverse("wagtailadmin_pages:edit", args=(draft.pk,)), story_form(TITLE, SLUG))
    assert edit.status_code == 302
    assert not AutosavedDraft.objects.filter(page_id=draft.pk).exists()

    (error,) = slug_errors(save(client, story_index, TITLE, SLUG))

    assert "从未发布的草稿" in error  # said to be a draft never published (the editor reads Chinese)
    assert f'href="{reverse("wagtailadmin_pages:edit", args=(draft.pk,))}"' in error
    draft.refresh_from_db()
    assert draft.slug == SLUG


def test_an_abandoned_autosaved_draft_gives_its_slug_to_the_new_page(client, editor, story_index):
    login(client, editor)
    abandoned = autosave(client, story_index, TITLE, SLUG)

    response = save(client, story_index, TITLE, SLUG)

    assert response.status_code == 302
    new = StoryPage.objects.exclude(pk=abandoned.pk).get()
    assert new.slug == SLUG
    abandoned.refresh_from_db()
    assert abandoned.slug == f"{SLUG}-draft-{abandoned.pk}"  # kept, with what it holds, under another slug
    assert abandoned.title == TITLE
    assert abandoned.get_latest_revision_as_object().slug == abandoned.slug  # what its edit form opens
    assert not AutosavedDraft.objects.filter(page_id=new.pk).exists()  # saved by the editor


def test_an_autosaved_draft_still_open_in_an_editor_keeps_its_slug(client, editor, story_index):
    login(client, editor)
    draft = autosave(client, story_index, TITLE, SLUG)
    EditingSession.objects.create(
        user=editor,
        content_type=get_default_page_content_type(),
        object_id=str(draft.pk),
        last_seen_at=timezone.now() - datetime.timedelta(minutes=2),
    )

    (error,) = slug_errors(save(client, story_index, TITLE, SLUG))

    assert f'href="{reverse("wagtailadmin_pages:edit", args=(draft.pk,))}"' in error
    draft.refresh_from_db()
    assert draft.slug == SLUG


def test_an_autosaved_draft_in_moderation_keeps_its_slug(client, editor, story_index):
    login(client, editor)
    draft = autosave(client, story_index, TITLE, SLUG)
    draft.get_workflow().start(draft, editor)

    assert slug_errors(save(client, story_index, TITLE, SLUG))
    draft.refresh_from_db()
    assert draft.slug == SLUG
