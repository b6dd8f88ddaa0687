"""Product cards, rendered once per product and language and kept until the product changes.

A list page needs only which products it shows (``selectors.product_refs``: ids in order, one cheap
query); ``render_cards`` then takes their cards from the cache in two round trips and renders only the
missing or stale ones, from one shaped query. A card is current while neither its product nor its
merchant was stamped after it was built (``storefront.page_cache``): a price change, a new picture or
availability a shopper would see differently. Cards are kept per day too, as certificates and seasons
follow the date, and ``FRAGMENT_CACHE_SECONDS`` at most (0 renders every card afresh).

Every card shown, cached or not, records its product and merchant as what the page depends on.
"""

from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from catalog.models import Product
from core.cache import get_with_marks
from storefront import selectors
from storefront.page_cache import depends_on, product_tags

TEMPLATE = "storefront/includes/product_card.html"

Ref = tuple[int, int]  # (product id, merchant id)


def _key(language: str, product_id: int) -> str:
    return f"card:{timezone.localdate().isoformat()}:{language}:{product_id}"


def render_card(product: Product) -> SafeString:
    """The card of a product shaped and prepared by the selectors."""
    return mark_safe(get_template(TEMPLATE).render({"product": product}))  # noqa: S308 (a template's output)


def render_cards(request: HttpRequest | None, refs: Sequence[Ref]) -> list[SafeString]:
    """The cards of the public products among ``refs``, in order (a product no longer public is left out)."""
    refs = list(refs)
    tags = {pk: product_tags(pk, merchant_id) for pk, merchant_id in refs}
    depends_on(request, (tag for each in tags.values() for tag in each))
    language = get_language()
    keys = {pk: _key(language, pk) for pk, _merchant_id in refs}
    keep = settings.FRAGMENT_CACHE_SECONDS
    stored, marks, built_at = {}, {}, 0
    if keys and keep:  # the cards, their tags' marks and the clock in one round trip
        stored, marks, built_at = get_with_marks(list(keys.values()), {tag for each in tags.values() for tag in each})
    cards: dict[int, SafeString] = {}
    for pk, key in keys.items():
        entry = stored.get(key)
        if entry is not None and max(marks[tag] for tag in tags[pk]) <= entry[0]:
            cards[pk] = mark_safe(entry[1])  # noqa: S308 (rendered here from a template)
    missing = [pk for pk in keys if pk not in cards]
    if missing:
        products = selectors.prepare_for_display(
            selectors.shape_products(selectors.public_products().filter(pk__in=missing))
        )
        fresh = {product.pk: render_card(product) for product in products}
        if keep:
            cache.set_many({keys[pk]: (built_at, str(card)) for pk, card in fresh.items()}, keep)
        cards.update(fresh)
    return [cards[pk] for pk in keys if pk in cards]


WARM_BATCH = 200


def warm_cards(product_ids: Sequence[int] | None = None) -> int:
    """Render the cards of these public products (all of them when None) that are missing or stale, in every
    language, so that lists find them ready. Returns how many products were looked at."""
    if not settings.FRAGMENT_CACHE_SECONDS:
        return 0
    products = selectors.public_products().order_by("pk")
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    refs = list(products.values_list("pk", "merchant_id"))
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for start in range(0, len(refs), WARM_BATCH):
                render_cards(None, refs[start : start + WARM_BATCH])
    return len(refs)
