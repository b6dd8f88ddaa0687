"""A producer is called a merchant everywhere, stories and their bodies included.

- ``StoryPage.producer`` becomes ``StoryPage.merchant`` (the column is renamed; ``related_name`` stays
  ``stories``), and the story revisions stored before it carry the merchant under the new name too.
- The body block ``producer_card`` (a ``ProducerCardBlock`` with a ``producer`` child) becomes
  ``merchant_card`` (a ``MerchantCardBlock`` with a ``merchant`` child) in every ``StreamField(BodyBlock())``:
  story, campaign and standard pages, and all their revisions, through Wagtail's stream-data
  migration tools. Migrating backwards renames the blocks back.
- Wagtail's reference index (where a merchant is used) names the renamed field and block paths.
"""

import django.db.models.deletion
import wagtail.fields
from django.db import migrations, models
from wagtail.blocks.migrations.migrate_operation import MigrateStreamData
from wagtail.blocks.migrations.operations import RenameStreamChildrenOperation, RenameStructChildrenOperation
from wagtail.models.reference_index import ReferenceIndex as CurrentReferenceIndex

BODY_MODELS = ("storypage", "campaignpage", "standardpage")

# Forwards: the block type first, then its child (found under the block's new name).
FORWARDS = [
    (RenameStreamChildrenOperation(old_name="producer_card", new_name="merchant_card"), ""),
    (RenameStructChildrenOperation(old_name="producer", new_name="merchant"), "merchant_card"),
]
BACKWARDS = [
    (RenameStructChildrenOperation(old_name="merchant", new_name="producer"), "merchant_card"),
    (RenameStreamChildrenOperation(old_name="merchant_card", new_name="producer_card"), ""),
]


def body_field():
    """``StreamField(BodyBlock())`` as it is after this migration (the same on the three page models)."""
    return wagtail.fields.StreamField(
        [
            ("paragraph", 0),
            ("image", 4),
            ("gallery", 6),
            ("quote", 10),
            ("facts", 15),
            ("video", 17),
            ("product_card", 20),
            ("product_grid", 23),
            ("merchant_card", 25),
        ],
        blank=True,
        block_lookup={
            0: (
                "cms.blocks.SafeRichTextBlock",
                (),
                {
                    "features": ["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr"],
                    "icon": "pilcrow",
                    "label": "Paragraph",
                },
            ),
            1: ("wagtail.images.blocks.ImageChooserBlock", (), {"label": "image"}),
            2: (
                "wagtail.blocks.CharBlock",
                (),
                {
                    "help_text": "Describes the picture.",
                    "label": "alternative text",
                    "max_length": 200,
                    "required": False,
                },
            ),
            3: ("wagtail.blocks.CharBlock", (), {"label": "caption", "max_length": 250, "required": False}),
            4: ("wagtail.blocks.StructBlock", [[("image", 1), ("alt", 2), ("caption", 3)]], {}),
            5: ("wagtail.blocks.ListBlock", (4,), {"label": "images", "min_num": 2}),
            6: ("wagtail.blocks.StructBlock", [[("images", 5)]], {}),
            7: ("wagtail.blocks.TextBlock", (), {"label": "quote"}),
            8: ("wagtail.blocks.CharBlock", (), {"label": "speaker", "max_length": 120}),
            9: ("wagtail.blocks.CharBlock", (), {"label": "speaker's role", "max_length": 120, "required": False}),
            10: ("wagtail.blocks.StructBlock", [[("text", 7), ("speaker", 8), ("role", 9)]], {}),
            11: (
                "wagtail.blocks.CharBlock",
                (),
                {"help_text": 'For example "320 名".', "label": "figure", "max_length": 32},
            ),
            12: (
                "wagtail.blocks.CharBlock",
                (),
                {"help_text": 'For example "签约织娘".', "label": "label", "max_length": 80},
            ),
            13: ("wagtail.blocks.StructBlock", [[("figure", 11), ("label", 12)]], {}),
            14: ("wagtail.blocks.ListBlock", (13,), {"label": "facts", "min_num": 1}),
            15: ("wagtail.blocks.StructBlock", [[("facts", 14)]], {}),
            16: (
                "wagtail.embeds.blocks.EmbedBlock",
                (),
                {"help_text": "A link to the video on a supported site.", "label": "video address"},
            ),
            17: ("wagtail.blocks.StructBlock", [[("video", 16), ("caption", 3)]], {}),
            18: ("cms.blocks.ProductChooserBlock", (), {"label": "product"}),
            19: ("wagtail.blocks.CharBlock", (), {"label": "editor's note", "max_length": 200, "required": False}),
            20: ("wagtail.blocks.StructBlock", [[("product", 18), ("note", 19)]], {}),
            21: ("wagtail.blocks.CharBlock", (), {"label": "heading", "max_length": 120, "required": False}),
            22: ("wagtail.blocks.ListBlock", (18,), {"label": "products", "min_num": 1}),
            23: ("wagtail.blocks.StructBlock", [[("heading", 21), ("products", 22)]], {}),
            24: ("cms.blocks.MerchantChooserBlock", (), {"label": "merchant"}),
            25: ("wagtail.blocks.StructBlock", [[("merchant", 24)]], {}),
        },
        verbose_name="body",
    )


def rename_blocks_back(apps, schema_editor):
    """The reverse of the ``MigrateStreamData`` operations below (Wagtail's own only run forwards)."""
    for model_name in BODY_MODELS:
        MigrateStreamData("cms", model_name, "body", BACKWARDS).migrate_stream_data_forward(apps, schema_editor)


def _rename_revision_key(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Revision = apps.get_model("wagtailcore", "Revision")
    content_type = ContentType.objects.filter(app_label="cms", model="storypage").first()
    if content_type is None:
        return
    revisions = Revision.objects.filter(content_type=content_type, content__has_key=old)
    for revision in revisions.only("pk", "content").iterator():
        revision.content[new] = revision.content.pop(old)
        revision.save(update_fields=["content"])


def rename_revision_field(apps, schema_editor):
    """Story revisions keep their fields by name: a draft or an old revision keeps its merchant."""
    _rename_revision_key(apps, "producer", "merchant")


def rename_revision_field_back(apps, schema_editor):
    _rename_revision_key(apps, "merchant", "producer")


# Reference index rows of the page models: (model path, end of the content path) before and after.
REFERENCE_PATHS = [
    (("producer", "producer"), ("merchant", "merchant")),
    (("body.producer_card.producer", ".producer"), ("body.merchant_card.merchant", ".merchant")),
]


def _rename_reference_paths(apps, renames) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    ReferenceIndex = apps.get_model("wagtailcore", "ReferenceIndex")
    page_types = list(ContentType.objects.filter(app_label="cms", model__in=BODY_MODELS).values_list("pk", flat=True))
    for (old_model_path, old_end), (new_model_path, new_end) in renames:
        rows = ReferenceIndex.objects.filter(content_type_id__in=page_types, model_path=old_model_path)
        for row in rows.iterator():
            if row.content_path.endswith(old_end):
                row.content_path = row.content_path.removesuffix(old_end) + new_end
            row.model_path = new_model_path
            row.content_path_hash = CurrentReferenceIndex._get_content_path_hash(row.content_path)
            row.save(update_fields=["model_path", "content_path", "content_path_hash"])


def rename_reference_paths(apps, schema_editor):
    _rename_reference_paths(apps, REFERENCE_PATHS)


def rename_reference_paths_back(apps, schema_editor):
    _rename_reference_paths(apps, [(new, old) for old, new in REFERENCE_PATHS])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_merchant_wording_location_county"),
        ("cms", "0004_impact_page"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [
        migrations.RenameField(model_name="storypage", old_name="producer", new_name="merchant"),
        migrations.AlterField(
            model_name="storypage",
            name="merchant",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="stories",
                to="catalog.merchant",
                verbose_name="merchant",
            ),
        ),
        migrations.RunPython(rename_revision_field, rename_revision_field_back),
        *(migrations.AlterField(model_name=model_name, name="body", field=body_field()) for model_name in BODY_MODELS),
        migrations.RunPython(migrations.RunPython.noop, rename_blocks_back),
        *(
            MigrateStreamData(
                app_name="cms", model_name=model_name, field_name="body", operations_and_block_paths=FORWARDS
            )
            for model_name in BODY_MODELS
        ),
        migrations.RunPython(rename_reference_paths, rename_reference_paths_back),
    ]
