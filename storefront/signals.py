"""Stamp what public pages show after every change to it, as narrowly as the change allows.

| change | stamped (after commit) |
| --- | --- |
| a product | the product and the catalogue (which products lists hold, their order and counts) |
| a variant | its product and the catalogue (prices sort lists); its shown availability is refreshed |
| a product picture | its product |
| a pre-sale (opened, its windows or plan changed, deleted) | its product and the catalogue |
| a stock row (a sale, a receipt) | nothing, unless the shown availability changed (``storefront.availability``) |
| a stock row whose free units did not change, or stayed above the low-stock level | nothing, nothing checked |
| a merchant | the merchant (every card of theirs) and the catalogue (filters, merchant pages) |
| a certificate (submitted, approved, rejected, revoked, expired) | its merchant and products, catalogue, register |
| the products a certificate lists | those products, its merchant, the catalogue and the register |
| a category | the category (product pages name it) and the catalogue |
| a location, shop, aid or product page settings (not made with defaults), a view restriction | the site: every page |
| an operator's search synonym | searches: every page showing results or suggestions for a query |
"""

import threading

from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.models import PageViewRestriction

from catalog.models import (
    Category,
    Certificate,
    Location,
    Merchant,
    PreSale,
    Product,
    ProductImage,
    SearchSynonym,
    Stock,
    Variant,
)
from catalog.presales import presale_of
from orders.models import AidSettings, ShopSettings
from storefront import availability
from storefront.models import StorefrontSettings
from storefront.page_cache import CATALOGUE, CERTIFIED, SEARCH, SITE, changed_on_commit, product_tags

_pending = threading.local()


def _refresh_pending() -> None:
    variant_ids = getattr(_pending, "variants", set())
    _pending.variants = set()
    if variant_ids:
        availability.refresh_variants(variant_ids)


def refresh_after_commit(variant_id: int) -> None:
    """Refresh the shown availability of the variant's product once this transaction commits
    (one refresh per transaction, however many stock rows it changed)."""
    if not hasattr(_pending, "variants"):
        _pending.variants = set()
    _pending.variants.add(variant_id)
    transaction.on_commit(_refresh_pending)


def product_changed(sender, instance: Product, raw: bool = False, **kwargs) -> None:
    if not raw:
        changed_on_commit([*product_tags(instance.pk), CATALOGUE])


def variant_changed(sender, instance: Variant, raw: bool = False, **kwargs) -> None:
    if not raw:
        changed_on_commit([*product_tags(instance.product_id), CATALOGUE])
        refresh_after_commit(instance.pk)


def picture_changed(sender, instance: ProductImage, raw: bool = False, **kwargs) -> None:
    if not raw:
        changed_on_commit(product_tags(instance.product_id))


def presale_changed(sender, instance: PreSale, raw: bool = False, **kwargs) -> None:
    if not raw:
        product_id = Variant.objects.filter(pk=instance.variant_id).values_list("product_id", flat=True).first()
        changed_on_commit([*(product_tags(product_id) if product_id else []), CATALOGUE])


def _is_presale(stock: Stock) -> bool:
    """A pre-sale's page shows exactly how much of its plan is left, so each of its sales is refreshed.

    No query when the row's variant came loaded with its pre-sale (a checkout's cart lines are)."""
    variant = stock.variant if Stock.variant.is_cached(stock) else None
    if variant is not None and Variant.presale.is_cached(variant):
        return presale_of(variant) is not None
    return PreSale.objects.filter(variant_id=stock.variant_id).exists()


def stock_changed(sender, instance: Stock, raw: bool = False, created: bool = False, **kwargs) -> None:
    if raw:
        return
    before = None if created else getattr(instance, "available_when_read", None)
    if before is not None:
        level = settings.CATALOG_LOW_STOCK_LEVEL
        if before == instance.available:
            return  # as many free units as before (a reservation paid): nothing shown changed
        if before > level and instance.available > level and not _is_presale(instance):
            return  # more than "only N left" here before and after: the variant is in stock either way
    refresh_after_commit(instance.variant_id)


def merchant_changed(sender, instance: Merchant, raw: bool = False, **kwargs) -> None:
    if not raw:
        changed_on_commit([f"merchant:{instance.pk}", CATALOGUE])


def certificate_changed(
    sender, instance: Certificate, raw: bool = False, created: bool = False, signal=None, **kwargs
) -> None:
    # Every page showing one of the merchant's products depends on its merchant tag, which so covers them all;
    # the listed products are stamped too while there is a list (none yet when created, none left when deleted).
    if raw:
        return
    tags = [f"merchant:{instance.merchant_id}", CATALOGUE, CERTIFIED]
    if signal is post_save and not created and instance.scope == Certificate.Scope.PRODUCTS:
        tags += [f"product:{pk}" for pk in instance.products.values_list("pk", flat=True)]
    changed_on_commit(tags)


def certificate_products_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """Products added to or removed from a certificate's list (either side of the relation)."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # product.certificates.add(...): the instance is the product
        tags = [*product_tags(instance.pk, instance.merchant_id)]
    else:
        tags = [f"merchant:{instance.merchant_id}", *(f"product:{pk}" for pk in pk_set or ())]
    changed_on_commit([*tags, CATALOGUE, CERTIFIED])


def category_changed(sender, instance: Category, raw: bool = False, **kwargs) -> None:
    if not raw:
        changed_on_commit([f"category:{instance.pk}", CATALOGUE])


def synonym_changed(sender, instance: SearchSynonym, raw: bool = False, **kwargs) -> None:
    if not raw:
        changed_on_commit([SEARCH])


def site_changed(sender, raw: bool = False, **kwargs) -> None:
    if not raw:
        changed_on_commit([SITE])


def settings_changed(sender, raw: bool = False, created: bool = False, **kwargs) -> None:
    # Settings are created with their defaults the first time a page reads them: nothing shown changes.
    if not raw and not created:
        changed_on_commit([SITE])


RECEIVERS = {
    Product: product_changed,
    Variant: variant_changed,
    ProductImage: picture_changed,
    PreSale: presale_changed,
    Stock: stock_changed,
    Merchant: merchant_changed,
    Certificate: certificate_changed,
    Category: category_changed,
    Location: site_changed,
    ShopSettings: settings_changed,
    AidSettings: settings_changed,
    StorefrontSettings: settings_changed,
    PageViewRestriction: site_changed,
    SearchSynonym: synonym_changed,
}

m2m_changed.connect(
    certificate_products_changed, sender=Certificate.products.through, dispatch_uid="page_cache_certificate_products"
)

for model, receiver in RECEIVERS.items():
    post_save.connect(receiver, sender=model, dispatch_uid=f"page_cache_save_{model._meta.label}")
    post_delete.connect(receiver, sender=model, dispatch_uid=f"page_cache_delete_{model._meta.label}")
