"""One word per concept.

- ``Location.district`` becomes ``Location.county``: it holds a Dezhou county-level division
  (``DezhouCounty``), like ``Merchant.paired_county``; "district" is left to the delivery address
  (``Order.district``). The check constraint and the ordering follow the column.
- A producer is called a merchant everywhere: verbose names, help text, and the names of the
  permissions already stored for the model.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PERMISSION_NAMES = {
    "add_merchant": "Can add merchant",
    "change_merchant": "Can change merchant",
    "delete_merchant": "Can delete merchant",
    "view_merchant": "Can view merchant",
    "access_all_merchants": "Can see every merchant's products, stock and orders",
}


def rename_permissions(apps, schema_editor):
    """Permissions are created once with the verbose name of the day; give the stored ones the new word."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type = ContentType.objects.filter(app_label="catalog", model="merchant").first()
    if content_type is None:
        return
    for codename, name in PERMISSION_NAMES.items():
        Permission.objects.filter(content_type=content_type, codename=codename).update(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_location_webhook_and_opening"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Location.district → Location.county, with its check constraint and ordering.
        migrations.RemoveConstraint(
            model_name="location",
            name="location_counter_has_district",
        ),
        migrations.RenameField(
            model_name="location",
            old_name="district",
            new_name="county",
        ),
        migrations.AddConstraint(
            model_name="location",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind", "warehouse"), models.Q(("county", ""), _negated=True), _connector="OR"),
                name="location_counter_has_county",
            ),
        ),
        migrations.AlterModelOptions(
            name="location",
            options={
                "ordering": ["kind", "county", "name"],
                "verbose_name": "location",
                "verbose_name_plural": "locations",
            },
        ),
        # Producer → merchant.
        migrations.AlterModelOptions(
            name="merchant",
            options={
                "ordering": ["name"],
                "permissions": [("access_all_merchants", "Can see every merchant's products, stock and orders")],
                "verbose_name": "merchant",
                "verbose_name_plural": "merchants",
            },
        ),
        migrations.AlterField(
            model_name="merchant",
            name="members",
            field=models.ManyToManyField(
                blank=True,
                help_text="Users who manage this merchant's products, stock and orders.",
                related_name="merchants",
                to=settings.AUTH_USER_MODEL,
                verbose_name="member users",
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="merchant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="products",
                to="catalog.merchant",
                verbose_name="merchant",
            ),
        ),
        migrations.RunPython(rename_permissions, migrations.RunPython.noop),
    ]
