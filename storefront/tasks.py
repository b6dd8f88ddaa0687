"""The storefront's background work: keeping product cards ready (``storefront.cards``)."""

from celery import shared_task

from storefront.cards import warm_cards as warm_cards_now
from worker.tasks import IDEMPOTENT


@shared_task(name="storefront.warm_cards", **IDEMPOTENT)
def warm_cards(product_ids: list[int] | None = None) -> int:
    """Render the missing or stale cards of these products (all public products when None)."""
    return warm_cards_now(product_ids)
