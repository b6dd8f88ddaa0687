"""Acceptance: an editor writes a story embedding two products and submits it through the admin's
own views; a moderator approves it; it is published. Editors cannot touch stock, orders or merchants."""

import pytest
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from catalog.models import Merchant
from cms.models import StoryPage
from tests import factories
from tests.fixtures.catalog import set_stock

pytestmark = pytest.mark.django_db


def story_form(merchant: Merchant, products) -> dict:
    return nested_form_data(
        {
            "title": "织锦新品上市",
            "slug": "new-brocade",
            "merchant": merchant.pk,
            "township": "aikou",
            "date": "2026-11-20",
            "intro": "隘口镇织娘的新作品。",
            "body": streamfield(
                [
                    ("paragraph", rich_text("<p>今年秋天，织娘们织出了新的图纹。</p>")),
                    *[("product_card", {"product": product.pk, "note": ""}) for product in products],
                ]
            ),
            "comments": inline_formset([]),
            "action-submit": "Submit",
        }
    )


def test_editor_submits_a_story_and_a_moderator_approves_it(client, story_index, editor, moderator, warehouse):
    merchant = factories.make_merchant(name="隘口镇土家织锦非遗工坊")
    scarf = factories.make_product(merchant, name="土家织锦围巾", price=26800)
    bag = factories.make_product(merchant, name="土家织锦手提包", price=18800)
    for product in (scarf, bag):
        set_stock(product.variants.get(), warehouse, 9)

    client.force_login(editor)
    add_url = reverse("wagtailadmin_pages:add", args=("cms", "storypage", story_index.pk))
    assert client.get(add_url).status_code == 200
    response = client.post(add_url, story_form(merchant, [scarf, bag]))

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    story = StoryPage.objects.get(slug="new-brocade")
    assert not story.live
    state = story.current_workflow_state
    assert state is not None and state.status == "in_progress"
    assert state.requested_by == editor
    assert client.get(story.url or "/stories/new-brocade/").status_code == 404  # not public yet

    # The editor cannot publish by themselves.
    publish = client.post(
        reverse("wagtailadmin_pages:edit", args=(story.pk,)),
        {**story_form(merchant, [scarf, bag]), "action-publish": "Publish"},
    )
    assert not StoryPage.objects.get(pk=story.pk).live
    assert publish.status_code in (200, 302, 403)

    client.force_login(moderator)
    task_state = story.current_workflow_task_state
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=(story.pk, "approve", task_state.pk)),
        {"comment": "写得好"},
    )
    assert response.status_code in (200, 302)

    story.refresh_from_db()
    assert story.live
    assert story.current_workflow_state is None
    assert story.revisions.count() >= 1

    client.logout()
    html = client.get(f"/en{story.url}").content.decode()
    assert "织锦新品上市" in html
    assert "土家织锦围巾" in html and "¥268.00" in html
    assert "土家织锦手提包" in html and "¥188.00" in html


def test_editors_cannot_reach_stock_orders_or_merchants(client, editor):
    merchant = factories.make_merchant()
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200
    for perm in ("catalog.change_stock", "catalog.change_merchant", "catalog.add_stockmovement", "orders.change_order"):
        assert not editor.has_perm(perm), perm
    for url in (reverse("stock:index"), reverse("orders:index"), f"/admin/merchants/edit/{merchant.pk}/"):
        assert client.get(url).status_code in (302, 403), url
    root = Page.objects.get(depth=1)
    assert not root.permissions_for_user(editor).can_publish()
    assert root.permissions_for_user(editor).can_add_subpage()


def test_scheduled_publishing_waits_for_go_live(client, story_index, moderator):
    from django.utils import timezone

    story = StoryPage(title="定时故事", slug="scheduled", date=timezone.localdate())
    story_index.add_child(instance=story)
    story.go_live_at = timezone.now() + timezone.timedelta(days=1)
    story.save_revision(user=moderator).publish(user=moderator)

    story.refresh_from_db()
    assert not story.live and story.go_live_at is not None
