from django.db import migrations

SEARCH_INDEX = (
    "CREATE INDEX IF NOT EXISTS catalog_product_search_gin ON catalog_product "
    "USING GIN (to_tsvector('simple'::regconfig, search_text))"
)
DROP_SEARCH_INDEX = "DROP INDEX IF EXISTS catalog_product_search_gin"

# The stock ledger is append-only. The one change allowed is Django's
# SET_NULL of the actor when a user account is deleted.
LEDGER_GUARD = """
CREATE OR REPLACE FUNCTION catalog_stockmovement_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
       AND (NEW.id, NEW.stock_id, NEW.kind, NEW.quantity, NEW.allocated_change, NEW.on_hand_after,
            NEW.allocated_after, NEW.reason, NEW.reference, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.stock_id, OLD.kind, OLD.quantity, OLD.allocated_change, OLD.on_hand_after,
            OLD.allocated_after, OLD.reason, OLD.reference, OLD.created_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the stock ledger is append-only: %% refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER catalog_stockmovement_append_only
    BEFORE UPDATE OR DELETE ON catalog_stockmovement
    FOR EACH ROW EXECUTE FUNCTION catalog_stockmovement_append_only();
"""
DROP_LEDGER_GUARD = """
DROP TRIGGER IF EXISTS catalog_stockmovement_append_only ON catalog_stockmovement;
DROP FUNCTION IF EXISTS catalog_stockmovement_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_INDEX)
        schema_editor.execute(LEDGER_GUARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_LEDGER_GUARD)
        schema_editor.execute(DROP_SEARCH_INDEX)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
