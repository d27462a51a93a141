"""On PostgreSQL, search_document is vacuumed after 1% of its rows change, not 20%, and
its indexes with it.

A common query's count is the size of the character index's bitmap
(PostgresMatcher._index_count), which holds the entries of rows updated or deleted until
a vacuum removes them: at the default 20% an index of 1,000,000 documents could count up
to 200,000 entries too many. A vacuum may also skip the indexes where few pages hold dead
rows (INDEX_CLEANUP auto), as edits to recent articles leave them: `vacuum_index_cleanup`
makes it clean them always.
"""

from django.db import migrations

FORWARD = (
    "ALTER TABLE search_document"
    " SET (autovacuum_vacuum_scale_factor = 0.01, vacuum_index_cleanup = on)"
)
BACKWARD = (
    "ALTER TABLE search_document RESET (autovacuum_vacuum_scale_factor, vacuum_index_cleanup)"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_character_index")]

    operations = [migrations.RunPython(forward, backward)]
