"""One pickup per order and counter: the code and the hand-over guard move from the fulfilments to it."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_merchant_wording_location_county"),
        ("orders", "0009_contact_email_optional"),
    ]

    operations = [
        migrations.CreateModel(
            name="Pickup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=8, verbose_name="pickup code")),
                (
                    "handover_failures",
                    models.PositiveSmallIntegerField(default=0, verbose_name="wrong pickup codes in a row"),
                ),
                (
                    "handover_locked_until",
                    models.DateTimeField(blank=True, null=True, verbose_name="hand-over locked until"),
                ),
                ("ready_at", models.DateTimeField(blank=True, null=True, verbose_name="ready for pickup")),
                ("handed_over_at", models.DateTimeField(blank=True, null=True, verbose_name="handed over")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created")),
                (
                    "location",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pickups",
                        to="catalog.location",
                        verbose_name="counter",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pickups",
                        to="orders.order",
                        verbose_name="order",
                    ),
                ),
            ],
            options={"verbose_name": "pickup", "verbose_name_plural": "pickups", "ordering": ["pk"]},
        ),
        migrations.AddConstraint(
            model_name="pickup",
            constraint=models.UniqueConstraint(
                fields=("order", "location"), name="pickup_unique_per_order_and_counter"
            ),
        ),
        migrations.AddConstraint(
            model_name="pickup",
            constraint=models.UniqueConstraint(
                condition=models.Q(("closed_at__isnull", True)), fields=("code",), name="pickup_code_unique_while_open"
            ),
        ),
        migrations.AddField(
            model_name="fulfilment",
            name="pickup",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="parts",
                to="orders.pickup",
                verbose_name="pickup",
            ),
        ),
        migrations.CreateModel(
            name="CounterCodeGuard",
            fields=[
                (
                    "location",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="catalog.location",
                        verbose_name="counter",
                    ),
                ),
                (
                    "failures",
                    models.PositiveSmallIntegerField(default=0, verbose_name="unknown pickup codes in a row"),
                ),
                (
                    "locked_until",
                    models.DateTimeField(blank=True, null=True, verbose_name="code field locked until"),
                ),
            ],
            options={"verbose_name": "counter code guard", "verbose_name_plural": "counter code guards"},
        ),
    ]
