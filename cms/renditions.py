"""Pictures shown by the editorial pages with their renditions read in one query."""

from collections.abc import Iterable

from django.db.models import Prefetch
from wagtail.images import get_image_model

from catalog.models import Product

# Renditions story cards are shown in (WebP, for ``srcset``).
CARD_IMAGE_FILTERS = ("fill-480x320|format-webp", "fill-960x640|format-webp")


def story_images() -> Prefetch:
    """Prefetch of a story's hero image with its card renditions."""
    renditions = get_image_model().get_rendition_model().objects.filter(filter_spec__in=CARD_IMAGE_FILTERS)
    return Prefetch("hero_image__renditions", queryset=renditions)


def attach_renditions(holders: Iterable[tuple[object | None, str]]) -> None:
    """Give the images that ``holders`` point at (an object and the name of its image foreign key) every
    rendition they have, read together with the images in one query, so that rendering them reads no
    rendition from the cache or the database. Images without any rendition yet are left as they are."""
    holders = [(obj, name) for obj, name in holders if obj is not None and getattr(obj, f"{name}_id")]
    wanted = {getattr(obj, f"{name}_id") for obj, name in holders}
    if not wanted:
        return
    images: dict[int, object] = {}
    rendition_model = get_image_model().get_rendition_model()
    for rendition in rendition_model.objects.filter(image_id__in=wanted).select_related("image"):
        image = images.setdefault(rendition.image_id, rendition.image)
        if image is rendition.image:
            image.prefetched_renditions = []
        rendition.image = image
        image.prefetched_renditions.append(rendition)
    for obj, name in holders:
        image = images.get(getattr(obj, f"{name}_id"))
        if image is None:
            continue
        if obj._meta.get_field(name).is_cached(obj):
            getattr(obj, name).prefetched_renditions = image.prefetched_renditions
        else:
            setattr(obj, name, image)


def product_pictures(products: Iterable[Product | None]) -> list[tuple[object, str]]:
    """``attach_renditions`` holders for the pictures of shaped products."""
    return [(picture, "image") for product in products if product is not None for picture in product.gallery]
