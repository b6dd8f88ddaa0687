"""The storefront's background work: keeping product cards ready (``storefront.cards``), forgetting spent sign-in
codes (``storefront.phone_sign_in``), stamping pre-sale pages when their order window opens or closes."""

from celery import shared_task

from storefront.availability import stamp_presale_edges
from storefront.cards import warm_cards as warm_cards_now
from storefront.phone_sign_in import delete_old_codes
from worker.tasks import IDEMPOTENT


@shared_task(name="storefront.warm_cards", **IDEMPOTENT)
def warm_cards(product_ids: list[int] | None = None) -> int:
    """Render the missing or stale cards of these products (all public products when None)."""
    return warm_cards_now(product_ids)


@shared_task(name="storefront.presale_edges", **IDEMPOTENT)
def presale_edges() -> int:
    """Stamp the pages of pre-sales whose order window opened or closed since the last run."""
    return stamp_presale_edges()


@shared_task(name="storefront.delete_old_sign_in_codes", **IDEMPOTENT)
def delete_old_sign_in_codes() -> int:
    """Delete sign-in codes sent more than a day ago (they hold mobile numbers and are of no use after)."""
    return delete_old_codes()
