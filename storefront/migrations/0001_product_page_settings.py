from django.db import migrations, models

from core.roles import sync_roles


def create_settings_and_grant_operators(apps, schema_editor):
    """The settings row with its defaults (so no page view has to create it), and the operators' right to
    change it."""
    settings = apps.get_model("storefront", "StorefrontSettings")
    if not settings.objects.exists():
        settings.objects.create()
    sync_roles(apps)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("orders", "0002_roles"),
    ]

    operations = [
        migrations.CreateModel(
            name="StorefrontSettings",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "delivery_promise",
                    models.CharField(
                        blank=True,
                        default="下单后 48 小时内发货",
                        help_text="Shown on every product page beside the buy buttons. Leave empty to show no promise.",
                        max_length=80,
                        verbose_name="delivery promise (Chinese)",
                    ),
                ),
                (
                    "delivery_promise_en",
                    models.CharField(
                        blank=True,
                        default="Ships within 48 hours of your order",
                        help_text="Shown on the English pages; when empty they show the Chinese promise.",
                        max_length=80,
                        verbose_name="delivery promise (English)",
                    ),
                ),
            ],
            options={
                "verbose_name": "product page settings",
            },
        ),
        migrations.RunPython(create_settings_and_grant_operators, migrations.RunPython.noop),
    ]
