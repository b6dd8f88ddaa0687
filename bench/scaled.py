"""The scaled catalogue: the demo, then clones of its products up to 2,000 products and 6,000 variants.

Clones share the demo's pictures, merchants, categories and locations (11 counters and the origin
warehouse), and every variant gets stock everywhere. Rows are bulk-inserted for speed; each stock row
gets the matching "receive" entry in the stock ledger, as the services would write.

Run: ``DJANGO_SETTINGS_MODULE=bench.settings python -m bench.scaled [products] [variants]``
"""

import sys

import django


def load(products: int = 2000, variants: int = 6000) -> dict[str, int]:
    from django.db import transaction

    from catalog.models import Location, Product, ProductImage, Stock, StockMovement, Variant
    from catalog.search import product_search_text
    from demo.loader import load_demo

    load_demo(with_users=False)
    templates = list(Product.objects.select_related("merchant", "category").prefetch_related("images"))
    locations = list(Location.objects.filter(is_active=True).order_by("pk"))
    missing = products - len(templates)
    extra_variants = variants - Variant.objects.count()
    per_clone, remainder = divmod(extra_variants, max(missing, 1))
    with transaction.atomic():
        clones = []
        for n in range(missing):
            source = templates[n % len(templates)]
            name = f"{source.name} · 第{n // len(templates) + 2}批"
            clones.append(
                Product(
                    merchant=source.merchant,
                    category=source.category,
                    name=name,
                    slug=f"{source.slug}-b{n}",
                    summary=source.summary,
                    description=source.description,
                    origin=source.origin,
                    is_published=True,
                    season_start_month=source.season_start_month,
                    season_end_month=source.season_end_month,
                    shelf_life_days=source.shelf_life_days,
                )
            )
            clones[-1].search_text = product_search_text(clones[-1])
        Product.objects.bulk_create(clones, batch_size=500)
        images, new_variants = [], []
        for n, clone in enumerate(clones):
            source = templates[n % len(templates)]
            images += [
                ProductImage(product=clone, image_id=item.image_id, alt_text=item.alt_text, sort_order=item.sort_order)
                for item in source.images.all()
            ]
            new_variants += [
                Variant(
                    product=clone,
                    sku=f"BX-{clone.pk}-{v}",
                    name=f"{v + 1} 件装",
                    price=1990 + 1000 * v + (n % 97) * 10,
                    weight_grams=500 * (v + 1),
                    sort_order=v,
                )
                for v in range(per_clone + (n < remainder))
            ]
        ProductImage.objects.bulk_create(images, batch_size=1000)
        Variant.objects.bulk_create(new_variants, batch_size=1000)
        stocks = [
            Stock(variant=variant, location=location, on_hand=200 if location.kind == "warehouse" else 20)
            for variant in new_variants
            for location in locations
        ]
        Stock.objects.bulk_create(stocks, batch_size=2000)
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    stock=stock,
                    kind=StockMovement.Kind.RECEIVE,
                    quantity=stock.on_hand,
                    on_hand_after=stock.on_hand,
                    allocated_after=0,
                    reason="benchmark catalogue",
                    reference="BENCH",
                )
                for stock in stocks
            ],
            batch_size=2000,
        )
    return {
        "products": Product.objects.count(),
        "variants": Variant.objects.count(),
        "locations": len(locations),
        "stock_rows": Stock.objects.count(),
    }


if __name__ == "__main__":
    django.setup()
    args = [int(value) for value in sys.argv[1:3]]
    print(load(*args))
