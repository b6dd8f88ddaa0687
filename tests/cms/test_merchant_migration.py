"""The migration that renamed producers to merchants (``cms/migrations/0005_merchant.py``): pages and
revisions stored before it, with ``producer_card`` blocks and a story's ``producer``, show their merchant
card and keep their merchant after it; migrating back restores the old names."""

import importlib
import json

import pytest
from django.apps import apps
from django.db import connection
from wagtail.blocks.migrations.migrate_operation import MigrateStreamData
from wagtail.models import Revision

from cms.models import StandardPage, StoryPage
from tests import factories
from tests.cms.helpers import make_story, merchant_card

pytestmark = pytest.mark.django_db

migration = importlib.import_module("cms.migrations.0005_merchant")

CARD_ID = "5b1f0e4e-8d2c-4a55-9b3e-2f7f0c1d9a10"


def old_body(merchant) -> list[dict]:
    """A body as stored before the migration: a paragraph and a producer card."""
    return [
        {"type": "paragraph", "value": "<p>织娘在家门口增收。</p>", "id": "0c9d5a52-57a4-4c0b-9a8e-2e3f4b5c6d7e"},
        {"type": "producer_card", "value": {"producer": merchant.pk}, "id": CARD_ID},
    ]


def store_as_before(page, merchant) -> None:
    """Write the page's body and latest revision as they were before the migration, past today's blocks."""
    body = old_body(merchant)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {page._meta.db_table} SET body = %s::jsonb WHERE page_ptr_id = %s",  # noqa: S608 (our table)
            [json.dumps(body), page.pk],
        )
    revision = page.latest_revision
    content = {**revision.content, "body": json.dumps(body)}
    if "merchant" in content:
        content["producer"] = content.pop("merchant")
    Revision.objects.filter(pk=revision.pk).update(content=content)


def migrate_forwards() -> None:
    migration.rename_revision_field(apps, None)
    for operation in migration.Migration.operations:
        if isinstance(operation, MigrateStreamData):
            operation.migrate_stream_data_forward(apps, None)


def block_types(page) -> list[str]:
    return [block.block_type for block in type(page).objects.get(pk=page.pk).body]


def test_pages_stored_with_a_producer_card_show_their_merchant_card_after_the_migration(client, story_index):
    merchant = factories.make_merchant(name="隘口镇土家织锦非遗工坊", slug="aikou-brocade")
    story = make_story(story_index, title="一梭一线", merchant=merchant)
    about = StandardPage(title="关于", slug="about")
    story_index.get_parent().add_child(instance=about)
    about.save_revision().publish()
    for page in (story, about):
        store_as_before(page, merchant)
        assert block_types(page) == ["paragraph"]  # today's blocks do not know the old card

    migrate_forwards()

    for page in (story, about):
        assert block_types(page) == ["paragraph", "merchant_card"]
        stored = type(page).objects.get(pk=page.pk)
        assert stored.body[1].id == CARD_ID and stored.body[1].value["merchant"] == merchant
        html = client.get(page.url).content.decode()
        assert '<aside class="merchant-card">' in html
        assert f'<a href="/merchants/{merchant.slug}/">隘口镇土家织锦非遗工坊</a>' in html
        draft = stored.get_latest_revision_as_object()
        assert [block.block_type for block in draft.body] == ["paragraph", "merchant_card"]
    assert StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object().merchant == merchant


def test_migrating_back_restores_the_producer_card(story_index):
    merchant = factories.make_merchant()
    story = make_story(story_index, merchant=merchant, body=[merchant_card(merchant)])

    migration.rename_blocks_back(apps, None)
    migration.rename_revision_field_back(apps, None)

    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM cms_storypage WHERE page_ptr_id = %s", [story.pk])
        (body,) = cursor.fetchone()
    body = json.loads(body) if isinstance(body, str) else body
    assert [(block["type"], block["value"]) for block in body] == [("producer_card", {"producer": merchant.pk})]
    content = StoryPage.objects.get(pk=story.pk).latest_revision.content
    assert content["producer"] == merchant.pk and "merchant" not in content
    assert json.loads(content["body"])[0]["type"] == "producer_card"
