"""The pickup code and the hand-over guard now live on the order's pickup at each counter (0011 copied them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0011_pickups_from_fulfilments"),
    ]

    operations = [
        migrations.RemoveField(model_name="fulfilment", name="pickup_code"),
        migrations.RemoveField(model_name="fulfilment", name="handover_failures"),
        migrations.RemoveField(model_name="fulfilment", name="handover_locked_until"),
    ]
