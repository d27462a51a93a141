"""The character index beside the word index (see citydesk/search/backends/).

Raw SQL for each database vendor, as in 0002. Articles indexed before it get a durable
task each batch that indexes them again (`citydesk worker` runs them), so an upgrade finds
fragments in old articles too; until then, those are found by their words.
"""

import datetime
import uuid

from django.db import migrations

SQLITE = [
    (
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_chars USING fts5("
        "title, body, title_chars, body_chars,"
        " content = '', tokenize = 'ascii', detail = 'full')",
        "DROP TABLE IF EXISTS search_chars",
    ),
    # What search_chars was given, folded and compressed: a contentless table forgets an
    # article only when told its text again.
    (
        "CREATE TABLE IF NOT EXISTS search_text ("
        " article_id INTEGER PRIMARY KEY,"
        " packed BLOB NOT NULL)",
        "DROP TABLE IF EXISTS search_text",
    ),
]

POSTGRESQL = [
    *(
        (
            f"ALTER TABLE search_document ADD COLUMN IF NOT EXISTS {column} {kind}"
            f" NOT NULL DEFAULT ''",
            f"ALTER TABLE search_document DROP COLUMN IF EXISTS {column}",
        )
        for column, kind in (
            ("chars", "tsvector"),
            ("title_chars", "tsvector"),
            ("title_text", "text"),
            ("body_text", "text"),
        )
    ),
    *(
        (
            f"CREATE INDEX IF NOT EXISTS search_document_{column}"
            f" ON search_document USING GIN ({column})",
            f"DROP INDEX IF EXISTS search_document_{column}",
        )
        for column in ("chars", "title_chars")
    ),
    # Text and vectors out of line (TOAST), so the rows a bitmap scan of the indexes
    # visits are a hundred bytes, not kilobytes.
    (
        "ALTER TABLE search_document SET (toast_tuple_target = 128)",
        "ALTER TABLE search_document RESET (toast_tuple_target)",
    ),
]

BY_VENDOR = {"sqlite": SQLITE, "postgresql": POSTGRESQL}
INDEXED = {"sqlite": "search_meta", "postgresql": "search_document"}
BATCH = 500  # citydesk.search.actions.BATCH_SIZE at the time of this migration
NO_RUN_AFTER = datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc)  # "as soon as possible"


def create(apps, schema_editor):
    for forward, _backward in BY_VENDOR.get(schema_editor.connection.vendor, []):
        schema_editor.execute(forward)


def drop(apps, schema_editor):
    for _forward, backward in reversed(BY_VENDOR.get(schema_editor.connection.vendor, [])):
        schema_editor.execute(backward)


def queue(apps, schema_editor):
    table = INDEXED.get(schema_editor.connection.vendor)
    if table is None:
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT article_id FROM {table} ORDER BY article_id")
        ids = [row[0] for row in cursor.fetchall()]
    Task = apps.get_model("django_tasks_database", "DBTaskResult")
    Task.objects.bulk_create(
        Task(
            id=uuid.uuid4(),
            args_kwargs={"args": [], "kwargs": {"article_ids": ids[start : start + BATCH]}},
            task_path="citydesk.search.tasks.index_new_articles",
            backend_name="default",
            queue_name="default",
            priority=0,
            run_after=NO_RUN_AFTER,
        )
        for start in range(0, len(ids), BATCH)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_index_tables"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunPython(create, drop),
        migrations.RunPython(queue, migrations.RunPython.noop),
    ]
