"""Store each product's ``to_tsvector('simple', search_text)`` and index that column (issue 14).

Searching used a GIN index on the expression, so PostgreSQL parsed ``search_text`` again for every row it
ranked (``ts_rank`` reads the vector, not the index) and for every row of a sequential scan, which the
planner picks when a word matches most products: 140-300 ms on 2,000 products. The vector is now a
stored generated column, kept by PostgreSQL on every write (bulk ones too), and the GIN index covers it.

The index is built with ``fastupdate = off``: products change rarely and are searched on every request,
and with the pending list on, rows written since the last vacuum are found by scanning that list, which
made the index useless after a bulk load until the next (auto)vacuum.

Adding the column rewrites the table under an exclusive lock (seconds at 50,000 products), so the
migration lifts ``DB_STATEMENT_TIMEOUT`` for its own transaction.

On SQLite the column is a NULL kept for the schema's sake; search there reads ``search_text``.
"""

import django.contrib.postgres.search
from django.db import migrations, models

import catalog.search

VECTOR_INDEX = (
    "CREATE INDEX IF NOT EXISTS product_search_vector_gin ON catalog_product "
    "USING GIN (search_vector) WITH (fastupdate = off)"
)
DROP_VECTOR_INDEX = "DROP INDEX IF EXISTS product_search_vector_gin"
EXPRESSION_INDEX = (
    "CREATE INDEX IF NOT EXISTS catalog_product_search_gin ON catalog_product "
    "USING GIN (to_tsvector('simple'::regconfig, search_text))"
)
DROP_EXPRESSION_INDEX = "DROP INDEX IF EXISTS catalog_product_search_gin"


def no_statement_timeout(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET LOCAL statement_timeout = 0")


def index_the_column(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_EXPRESSION_INDEX)
        schema_editor.execute(VECTOR_INDEX)
        schema_editor.execute("ANALYZE catalog_product")


def index_the_expression(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_VECTOR_INDEX)
        schema_editor.execute(EXPRESSION_INDEX)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_merchant_image_collections")]

    operations = [
        migrations.RunPython(no_statement_timeout, no_statement_timeout),
        migrations.AddField(
            model_name="product",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=catalog.search.SimpleTsVector(models.F("search_text")),
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        migrations.RunPython(index_the_column, index_the_expression),
        migrations.RunPython(migrations.RunPython.noop, no_statement_timeout),
    ]
