"""Gift packs: a pack in a cart (``CartPackLine``), and order lines that are a pack's components (the pack,
its name and how many packs, as sold)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0016_packs"),
        ("orders", "0017_aid_export"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="pack",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="catalog.pack",
                verbose_name="gift pack",
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="pack_name",
            field=models.CharField(blank=True, max_length=128, verbose_name="gift pack"),
        ),
        migrations.AddField(
            model_name="orderline",
            name="pack_quantity",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="packs"),
        ),
        migrations.CreateModel(
            name="CartPackLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("quantity", models.PositiveIntegerField(verbose_name="quantity")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="added")),
                (
                    "cart",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pack_lines",
                        to="orders.cart",
                        verbose_name="cart",
                    ),
                ),
                (
                    "pack",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.pack",
                        verbose_name="gift pack",
                    ),
                ),
            ],
            options={
                "verbose_name": "cart gift pack",
                "verbose_name_plural": "cart gift packs",
                "ordering": ["pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("cart", "pack"), name="cartpackline_unique_pack"),
                    models.CheckConstraint(
                        condition=models.Q(("quantity__gte", 1)), name="cartpackline_quantity_positive"
                    ),
                ],
            },
        ),
    ]
