from django.db import migrations

from core.roles import sync_roles


def apply_roles(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_payments"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
