"""English names and summaries of products, categories and merchants, shown on the English site (blank:
the Chinese is shown there, marked as such). Blank when added, so no product's search text changes yet; it
takes the English in as it is given (``catalog.search.product_search_text``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0009_search_text_in_pinyin"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="name_en",
            field=models.CharField(
                blank=True,
                help_text="Shown on the English site; leave blank to show the Chinese there.",
                max_length=64,
                verbose_name="name in English",
            ),
        ),
        migrations.AddField(
            model_name="merchant",
            name="name_en",
            field=models.CharField(
                blank=True,
                help_text="Shown on the English site; leave blank to show the Chinese there.",
                max_length=128,
                verbose_name="name in English",
            ),
        ),
        migrations.AddField(
            model_name="merchant",
            name="summary_en",
            field=models.CharField(
                blank=True,
                help_text="Shown on the English site; leave blank to show the Chinese there.",
                max_length=300,
                verbose_name="summary in English",
            ),
        ),
        migrations.AddField(
            model_name="product",
            name="name_en",
            field=models.CharField(
                blank=True,
                help_text="Shown on the English site; leave blank to show the Chinese there.",
                max_length=128,
                verbose_name="name in English",
            ),
        ),
        migrations.AddField(
            model_name="product",
            name="summary_en",
            field=models.CharField(
                blank=True,
                help_text="Shown on the English site; leave blank to show the Chinese there.",
                max_length=300,
                verbose_name="summary in English",
            ),
        ),
    ]
