from django.db import migrations

from core.roles import sync_roles


def apply_roles(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("worker", "0001_initial"),
        ("catalog", "0004_location_webhook_and_opening"),
        ("orders", "0004_payment_roles"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
