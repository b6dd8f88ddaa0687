"""Keep derived rows in step with the rows they are built from: search text, merchants' image access."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from catalog import images
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


@receiver(post_save, sender=Merchant, dispatch_uid="catalog_merchant_image_collection")
def merchant_saved(sender, instance: Merchant, raw: bool = False, **kwargs) -> None:
    """A new merchant gets its image collection and group; a renamed one's collection follows the name."""
    if not raw:
        images.ensure_merchant_collection(instance)


@receiver(post_delete, sender=Merchant, dispatch_uid="catalog_merchant_image_group")
def merchant_deleted(sender, instance: Merchant, **kwargs) -> None:
    images.remove_merchant_group(instance.pk)


@receiver(m2m_changed, sender=Merchant.members.through, dispatch_uid="catalog_merchant_members_images")
def members_changed(sender, instance, action: str, reverse: bool, **kwargs) -> None:
    """Members are edited in several places (the merchant form, the user's merchants, load_demo): whichever
    side changed, the merchants' image groups follow, so a removed member loses the images at once."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if reverse:
        images.sync_user_merchant_groups(instance)  # ``user.merchants`` changed
    else:
        images.sync_merchant_members(instance)
