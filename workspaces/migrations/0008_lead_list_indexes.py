"""Indexes for the leads list at any size (workspaces.lead_list): its order and keyset, with a
status filter or without, and on PostgreSQL trigram (pg_trgm) GIN indexes for its search, each
over exactly the expression the search filters on (``UPPER(...) LIKE UPPER('%…%')`` is how
Django writes ``icontains``). SQLite (the embedded ``make run``) has no pg_trgm: its search
scans, which is fine at its size."""

from django.db import migrations, models

TRIGRAM_INDEXES = {
    "lead_name_trgm": "UPPER((first_name || ' ' || last_name)::text) gin_trgm_ops",
    "lead_email_trgm": "UPPER(email::text) gin_trgm_ops",
    "lead_phone_trgm": "phone gin_trgm_ops",
}


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON workspaces_lead USING gin ({expression})"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0007_lead_names_plain_text"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="lead",
            name="lead_ws_status",
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["workspace", "updated_at", "id"], name="lead_ws_recent"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=["workspace", "status", "updated_at", "id"], name="lead_ws_status_recent"
            ),
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
