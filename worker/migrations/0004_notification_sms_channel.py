"""Text messages (SMS) to shoppers' mobiles join the outbox's channels (``worker/sms.py``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("worker", "0003_notification_audience"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="channel",
            field=models.CharField(
                choices=[
                    ("email", "E-mail"),
                    ("webhook", "Counter webhook"),
                    ("counter", "Counter queue"),
                    ("sms", "Text message (SMS)"),
                ],
                max_length=16,
                verbose_name="channel",
            ),
        ),
    ]
