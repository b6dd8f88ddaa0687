"""Move the page cache's generation on after every change to what public pages show."""

from django.db.models.signals import post_delete, post_save

from catalog.models import Category, Location, Merchant, Product, ProductImage, Stock, Variant
from orders.models import AidSettings, ShopSettings
from storefront.page_cache import bump_on_commit

SHOWN_ON_PAGES = (Product, Variant, ProductImage, Stock, Merchant, Category, Location, ShopSettings, AidSettings)


def content_changed(sender, raw: bool = False, **kwargs) -> None:
    if not raw:
        bump_on_commit()


for model in SHOWN_ON_PAGES:
    post_save.connect(content_changed, sender=model, dispatch_uid=f"page_cache_save_{model._meta.label}")
    post_delete.connect(content_changed, sender=model, dispatch_uid=f"page_cache_delete_{model._meta.label}")
