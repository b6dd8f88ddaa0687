"""Rebuild every product's search text: product and merchant names are now stored in pinyin too
(full and initials: 脐橙 → ``qicheng``, ``qc``; ``catalog.search.pinyin_tokens``), so Latin-letter searches
find the products already there. The stored vector and its GIN index follow by themselves (migration 0007).

The longer vector must stay in the row. A row over about 2 kB has its widest value moved out of line, and
that was the vector (``tsvector`` storage is EXTENDED): every row a sequential scan or a rank read was then
fetched from the TOAST table (4-10 ms instead of under 2 at 2,000 products), and the planner, seeing a
small table, chose that scan. ``search_vector`` is therefore stored MAIN (kept in the row; the search text
and the description are compressed or moved out first), set before the rebuild so that every rewritten
row follows it. Rows whose text does not change are not written.

Backwards: the storage goes back to EXTENDED; the text keeps its pinyin (a superset of the old text).
"""

from django.db import migrations

from catalog.search import product_search_text

BATCH = 500


def keep_the_vector_in_the_row(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE catalog_product ALTER COLUMN search_vector SET STORAGE MAIN")


def let_the_vector_go_out_of_line(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE catalog_product ALTER COLUMN search_vector SET STORAGE EXTENDED")


def rebuild_search_text(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    changed = []
    for product in Product.objects.select_related("merchant", "category").order_by("pk").iterator(chunk_size=BATCH):
        text = product_search_text(product)
        if text != product.search_text:
            product.search_text = text
            changed.append(product)
        if len(changed) >= BATCH:
            Product.objects.bulk_update(changed, ["search_text"])
            changed = []
    if changed:
        Product.objects.bulk_update(changed, ["search_text"])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE catalog_product")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0008_search_synonyms"),
    ]

    operations = [
        migrations.RunPython(keep_the_vector_in_the_row, let_the_vector_go_out_of_line),
        migrations.RunPython(rebuild_search_text, migrations.RunPython.noop),
    ]
