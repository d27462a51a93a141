"""On PostgreSQL, search_document is vacuumed after 1% of its rows change, not 20%.

A common query's count is the size of the character index's bitmap
(PostgresMatcher._index_count), which holds the entries of rows updated or deleted until
a vacuum removes them: at the default 20% an index of 1,000,000 documents could count up
to 200,000 entries too many.
"""

from django.db import migrations

FORWARD = "ALTER TABLE search_document SET (autovacuum_vacuum_scale_factor = 0.01)"
BACKWARD = "ALTER TABLE search_document RESET (autovacuum_vacuum_scale_factor)"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_character_index")]

    operations = [migrations.RunPython(forward, backward)]
