"""The outbox names its audience (``location:<pk>``) instead of holding a foreign key to a counter."""

from django.db import migrations, models


def location_to_audience(apps, schema_editor):
    Notification = apps.get_model("worker", "Notification")
    for notification in Notification.objects.filter(location__isnull=False).select_related("location").iterator():
        notification.audience = f"location:{notification.location_id}"
        notification.audience_name = notification.location.name
        notification.save(update_fields=["audience", "audience_name"])


def audience_to_location(apps, schema_editor):
    Notification = apps.get_model("worker", "Notification")
    for notification in Notification.objects.filter(audience__startswith="location:").iterator():
        notification.location_id = int(notification.audience.partition(":")[2])
        notification.save(update_fields=["location"])


class Migration(migrations.Migration):
    dependencies = [
        ("worker", "0002_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="audience",
            field=models.CharField(blank=True, db_index=True, max_length=64, verbose_name="audience"),
        ),
        migrations.AddField(
            model_name="notification",
            name="audience_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="addressed to"),
        ),
        migrations.RunPython(location_to_audience, audience_to_location),
        migrations.RemoveField(
            model_name="notification",
            name="location",
        ),
    ]
