from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0013_certificates_from_fields")]

    operations = [
        migrations.RemoveField(
            model_name="merchant",
            name="aid_certificate_issuer",
        ),
        migrations.RemoveField(
            model_name="merchant",
            name="aid_certificate_number",
        ),
        migrations.RemoveField(
            model_name="merchant",
            name="aid_certificate_valid_until",
        ),
        migrations.RemoveField(
            model_name="merchant",
            name="geographical_indication",
        ),
        migrations.RemoveField(
            model_name="merchant",
            name="green_food",
        ),
        migrations.RemoveField(
            model_name="merchant",
            name="organic",
        ),
        migrations.RemoveField(
            model_name="product",
            name="aid_certificate_issuer",
        ),
        migrations.RemoveField(
            model_name="product",
            name="aid_certificate_number",
        ),
        migrations.RemoveField(
            model_name="product",
            name="aid_certificate_valid_until",
        ),
        migrations.RemoveField(
            model_name="product",
            name="geographical_indication",
        ),
        migrations.RemoveField(
            model_name="product",
            name="green_food",
        ),
        migrations.RemoveField(
            model_name="product",
            name="organic",
        ),
    ]
