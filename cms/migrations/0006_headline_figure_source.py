"""Every headline figure names where it was published and the year: the programme's figures are shown only
under their source, apart from what the shop's own ledger records. The figures stored so far were all taken
from the 2023 report on the Dezhou–Xiushan cooperation, so they get it as their source."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0005_merchant"),
    ]

    operations = [
        migrations.AddField(
            model_name="headlinefigure",
            name="source",
            field=models.CharField(
                default="报道《德州秀山 万水千山情不断 携手共赴富裕路》",
                help_text="Where the figure was published, e.g. the report's title. Always shown with the figure.",
                max_length=200,
                verbose_name="source",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="headlinefigure",
            name="source_year",
            field=models.PositiveSmallIntegerField(
                default=2023,
                help_text="The year of the source.",
                validators=[
                    django.core.validators.MinValueValidator(2000),
                    django.core.validators.MaxValueValidator(2100),
                ],
                verbose_name="year",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="headlinefigure",
            name="source_url",
            field=models.URLField(
                blank=True, help_text="A link to the source, if online.", verbose_name="source address"
            ),
        ),
    ]
