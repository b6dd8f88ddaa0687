import io
import itertools

import pytest
from django.core.cache import cache
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images.models import Image

from catalog.models import Category, Location, ProductImage, Stock, Variant
from tests import factories

_colours = itertools.cycle([(243, 128, 24), (170, 28, 40), (40, 128, 78), (36, 58, 128)])


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded pictures and their renditions go to a throw-away directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


def make_image(title: str = "picture") -> Image:
    """A real (small) PNG stored as a Wagtail image."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), next(_colours)).save(buffer, format="PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name=f"{title}.png"))


def add_images(product, count: int = 2) -> list[ProductImage]:
    return [
        ProductImage.objects.create(
            product=product, image=make_image(f"{product.slug}-{i}"), alt_text=f"{product.name} 图{i + 1}", sort_order=i
        )
        for i in range(count)
    ]


def set_stock(variant: Variant, location: Location, on_hand: int, allocated: int = 0) -> Stock:
    stock, _ = Stock.objects.update_or_create(
        variant=variant, location=location, defaults={"on_hand": on_hand, "allocated": allocated}
    )
    return stock


def build_catalogue(count: int, *, category: Category, warehouse: Location, counter: Location) -> list:
    """``count`` published products in ``category``, each with 3 variants, 2 pictures, stock at 2 places."""
    merchant = factories.make_merchant()
    products = []
    for i in range(count):
        product = factories.make_product(merchant, category=category, name=f"山茶油{i}", variants=3)
        add_images(product)
        for variant in product.variants.all():
            set_stock(variant, warehouse, 20)
            set_stock(variant, counter, 4, allocated=1)
        products.append(product)
    return products


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counts live in the cache; each test starts without any."""
    cache.clear()
