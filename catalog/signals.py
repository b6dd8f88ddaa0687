"""Keep derived search text in step with the rows it is built from."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from catalog.models import Category, Merchant, Product
from catalog.services import refresh_search_text


@receiver(post_save, sender=Product, dispatch_uid="catalog_product_search_text")
def product_saved(sender, instance: Product, raw: bool = False, **kwargs) -> None:
    if not raw:
        refresh_search_text([instance.pk])


@receiver(post_save, sender=Merchant, dispatch_uid="catalog_merchant_search_text")
@receiver(post_save, sender=Category, dispatch_uid="catalog_category_search_text")
def parent_saved(sender, instance, raw: bool = False, created: bool = False, **kwargs) -> None:
    if not raw and not created:
        refresh_search_text(instance.products.values_list("pk", flat=True))
