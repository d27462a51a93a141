"""The index table: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL.

Raw SQL, each statement for its own database vendor only; other vendors get nothing (and
no search backend will run on them). Also the first entries of the local dictionary.
"""

from django.db import migrations

SQLITE = [
    (
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
        "title, body, meta, tokenize = 'ascii')",
        "DROP TABLE IF EXISTS search_fts",
    ),
    # Filters and the recency bonus read these for every match: a narrow table of their
    # own, because reading a column of the FTS5 table loads the whole stored text.
    (
        "CREATE TABLE IF NOT EXISTS search_meta ("
        " article_id INTEGER PRIMARY KEY,"
        " published INTEGER NOT NULL,"
        " source TEXT NOT NULL DEFAULT '')",
        "DROP TABLE IF EXISTS search_meta",
    ),
]

POSTGRESQL = [
    (
        "CREATE TABLE IF NOT EXISTS search_document ("
        " article_id bigint PRIMARY KEY,"
        " published_at timestamp with time zone NOT NULL,"
        " source varchar(100) NOT NULL DEFAULT '',"
        " vector tsvector NOT NULL)",
        "DROP TABLE IF EXISTS search_document",
    ),
    (
        "CREATE INDEX IF NOT EXISTS search_document_vector ON search_document USING GIN (vector)",
        "DROP INDEX IF EXISTS search_document_vector",
    ),
    (
        "CREATE INDEX IF NOT EXISTS search_document_published ON search_document (published_at)",
        "DROP INDEX IF EXISTS search_document_published",
    ),
]

BY_VENDOR = {"sqlite": SQLITE, "postgresql": POSTGRESQL}

# Names and places of the city that jieba's dictionary cuts apart; editors add more in
# the newsroom (搜索词典).
FIRST_WORDS = [
    ("沪苏同城化", "上海与苏州同城化发展"),
    ("强富美高", "经济强、百姓富、环境美、社会文明程度高"),
    ("姑苏区", "苏州市辖区"),
    ("虎丘区", "苏州市辖区"),
    ("吴中区", "苏州市辖区"),
    ("相城区", "苏州市辖区"),
    ("吴江区", "苏州市辖区"),
    ("苏州工业园区", ""),
    ("苏州高新区", ""),
    ("长三角一体化", ""),
]


def create(apps, schema_editor):
    for forward, _backward in BY_VENDOR.get(schema_editor.connection.vendor, []):
        schema_editor.execute(forward)


def drop(apps, schema_editor):
    for _forward, backward in reversed(BY_VENDOR.get(schema_editor.connection.vendor, [])):
        schema_editor.execute(backward)


def add_words(apps, schema_editor):
    DictionaryWord = apps.get_model("search", "DictionaryWord")
    for word, note in FIRST_WORDS:
        DictionaryWord.objects.get_or_create(word=word, defaults={"note": note})


def remove_words(apps, schema_editor):
    DictionaryWord = apps.get_model("search", "DictionaryWord")
    DictionaryWord.objects.filter(word__in=[w for w, _n in FIRST_WORDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0001_dictionary")]

    operations = [
        migrations.RunPython(create, drop),
        migrations.RunPython(add_words, remove_words),
    ]
