"""Operators' search synonyms (``SearchSynonym``: a word and the words it also means), and the Operators
role's permissions on them (only that role gets them: the back-office screens follow them)."""

from django.db import migrations, models

from core.roles import sync_roles


def grant_roles(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_product_search_vector"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchSynonym",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "word",
                    models.CharField(
                        help_text=(
                            "What shoppers type, e.g. 橙子. "
                            "Searching it also finds its synonyms, not the other way round."
                        ),
                        max_length=32,
                        unique=True,
                        verbose_name="word",
                    ),
                ),
                (
                    "synonyms",
                    models.CharField(
                        help_text="Catalogue words it also means, separated by spaces or commas, e.g. 脐橙 柑橘.",
                        max_length=300,
                        verbose_name="also finds",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
            ],
            options={
                "verbose_name": "search synonym",
                "verbose_name_plural": "search synonyms",
                "ordering": ["word"],
            },
        ),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
