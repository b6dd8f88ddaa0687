"""Builders for the editorial tests: stories and the product blocks they embed."""

import datetime

from cms.models import StoryIndexPage, StoryPage
from tests import factories


def make_story(index: StoryIndexPage, *, body=(), publish: bool = True, **fields) -> StoryPage:
    i = factories.n()
    values = {"title": f"故事{i}", "slug": f"story-{i}", "date": datetime.date(2026, 10, 1), **fields}
    story = StoryPage(body=list(body), live=publish, **values)
    index.add_child(instance=story)
    if publish:
        story.save_revision().publish()
    return story


def grid(*products, heading: str = "") -> dict:
    return {"type": "product_grid", "value": {"heading": heading, "products": [p.pk for p in products]}}


def card(product, note: str = "") -> dict:
    return {"type": "product_card", "value": {"product": product.pk, "note": note}}


def merchant_card(merchant) -> dict:
    return {"type": "merchant_card", "value": {"merchant": merchant.pk}}
