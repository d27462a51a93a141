"""SQLite FTS5: the embedded default.

Three tables, made by this app's migrations on SQLite only:

- `search_fts` holds per article the title, body and meta text as space-joined word
  tokens. Its tokenizer is "ascii": it splits at spaces and ASCII punctuation and leaves
  every other character alone, so the tokens `citydesk.core.text` wrote are exactly the
  ones FTS5 indexes.
- `search_chars` is the character index: the title's and the body's bigrams (with
  positions, so that a fragment is the phrase of its bigrams) and the set of their
  single characters. It stores no text of its own ("contentless"): that would be three
  times the text again. Removing an article from it needs the text it was given, which
  `search_text` keeps, folded and compressed.
- `search_meta` holds the publish time and source, for filters and the recency bonus.

Ranking is by tier first (see docs/search.md): the fragments in the title, the fragments
in the text, all the words, some of the words; within a tier by FTS5's bm25 with column
weights, times a small bonus for recent articles.
"""

import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.backends.utils import CursorWrapper

from citydesk.content.models import Article
from citydesk.core.text import Group, Query, Term, bigram_runs, char_set
from citydesk.search.backends.base import (
    SECONDARY,
    SECONDS_PER_DAY,
    Filters,
    IndexDocument,
    Matcher,
    Prepared,
    SearchBackend,
    Tier,
)

TABLE = "search_fts"
CHARS = "search_chars"
TEXT = "search_text"
META = "search_meta"
# SQLite builds before 3.32 allow 999 variables a statement.
CHUNK = 400
# As migration 0002 made it.
WORDS_TABLE = f"CREATE VIRTUAL TABLE {TABLE} USING fts5(title, body, meta, tokenize = 'ascii')"
INSERTS = {
    TABLE: ("rowid", "title", "body", "meta"),
    META: ("article_id", "published", "source"),
    CHARS: ("rowid", "title", "body", "title_chars", "body_chars"),
    TEXT: ("article_id", "packed"),
}
# A one-character token between runs in the bigram columns: never a bigram, so no phrase
# matches across punctuation.
RUN_GAP = "x"


def _phrase(tokens: Iterable[str], *, prefix: bool = False) -> str:
    quoted = '"' + " ".join(tokens).replace('"', '""') + '"'
    return quoted + " *" if prefix else quoted


def _term(term: Term) -> str:
    alternatives = [
        _phrase(tokens, prefix=term.prefix and i == 0) for i, tokens in enumerate(term.alternatives)
    ]
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


def _group(group: Group) -> str:
    every = " AND ".join(_term(t) for t in group.terms)
    if group.phrase:
        # The phrase adds to bm25 where the words stand together; AND still finds the rest.
        return f"({_phrase(group.phrase)} OR ({every}))"
    return f"({every})"


def match_expression(query: Query, *, title_only: bool = False) -> str:
    """The FTS5 query for all of `query`'s words: every token quoted, so nothing is read
    as syntax."""
    expression = " AND ".join(_group(g) for g in query.groups)
    return f"title : ({expression})" if title_only else expression


def some_words_expression(query: Query) -> str:
    """Any one of the query's words of two or more characters (or of any word, where
    none is that long): the weakest tier."""
    terms = [t for g in query.groups for t in g.terms]
    longer = [t for t in terms if len(t.alternatives[0][0]) > 1] or terms
    return " OR ".join(_term(t) for t in longer)


def fragments_expression(query: Query, *, title_only: bool = False) -> str:
    """The FTS5 query for every fragment of `query` as a character sequence: the phrase
    of its bigrams, or a single character among the text's characters."""
    parts = []
    for fragment in query.fragments:
        if len(fragment) == 1:
            columns = "title_chars" if title_only else "title_chars body_chars"
            parts.append(f"{{{columns}}} : {_phrase([fragment])}")
        else:
            columns = "title" if title_only else "title body"
            parts.append(f"{{{columns}}} : {_phrase(bigram_runs(fragment)[0])}")
    return " AND ".join(parts)


def _bigram_column(folded: str) -> str:
    return f" {RUN_GAP} ".join(" ".join(run) for run in bigram_runs(folded))


def _chars_row(article_id: int, title: str, body: str) -> tuple[int, str, str, str, str]:
    return (
        article_id,
        _bigram_column(title),
        _bigram_column(body),
        " ".join(char_set(title)),
        " ".join(char_set(body)),
    )


def _pack(title: str, body: str) -> bytes:
    return zlib.compress(f"{title}\x00{body}".encode(), 1)


def _unpack(packed: bytes) -> tuple[str, str]:
    title, _, body = zlib.decompress(packed).decode().partition("\x00")
    return title, body


def _seconds(value: datetime) -> int:
    return int(value.timestamp())


class SQLiteFTS5Backend(SearchBackend):
    vendor = "sqlite"

    def prepare(self, documents: Iterable[IndexDocument]) -> Prepared:
        docs = list(documents)
        return Prepared(
            [d.article_id for d in docs],
            {
                TABLE: [(d.article_id, d.title, d.body, d.meta) for d in docs],
                META: [(d.article_id, _seconds(d.published_at), d.source) for d in docs],
                CHARS: [_chars_row(d.article_id, d.folded_title, d.folded_body) for d in docs],
                TEXT: [(d.article_id, _pack(d.folded_title, d.folded_body)) for d in docs],
            },
        )

    def write(self, prepared: Prepared) -> int:
        if not prepared.article_ids:
            return 0
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            # FTS5 tables have no UPSERT: drop what is stored, then insert.
            self._delete(cursor, prepared.article_ids)
            for table, rows in prepared.rows.items():
                columns = INSERTS[table]
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                )
        return len(prepared.article_ids)

    def delete(self, article_ids: Iterable[int]) -> None:
        ids = list(article_ids)
        if ids:
            with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
                self._delete(cursor, ids)

    def _delete(self, cursor: CursorWrapper, ids: list[int]) -> None:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({marks})", chunk)
            cursor.execute(f"DELETE FROM {META} WHERE article_id IN ({marks})", chunk)
            # A contentless table forgets an article only when told the text it was given.
            cursor.execute(
                f"SELECT article_id, packed FROM {TEXT} WHERE article_id IN ({marks})", chunk
            )
            stored = cursor.fetchall()
            if stored:
                cursor.executemany(
                    f"INSERT INTO {CHARS} ({CHARS}, rowid, title, body, title_chars, body_chars)"
                    " VALUES ('delete', %s, %s, %s, %s, %s)",
                    [_chars_row(pk, *_unpack(packed)) for pk, packed in stored],
                )
                cursor.execute(f"DELETE FROM {TEXT} WHERE article_id IN ({marks})", chunk)

    def _filters(self, filters: Filters) -> tuple[list[str], list[Any]]:
        """Conditions on the meta table `m`, `now` included."""
        where = ["m.published <= %s"]
        params: list[Any] = [_seconds(filters.now)]
        if filters.start is not None:
            where.append("m.published >= %s")
            params.append(_seconds(filters.start))
        if filters.end is not None:
            where.append("m.published < %s")
            params.append(_seconds(filters.end))
        if filters.source:
            where.append("m.source = %s")
            params.append(filters.source)
        if filters.channel_ids:
            through = Article.channels.through._meta.db_table
            marks = ", ".join(["%s"] * len(filters.channel_ids))
            where.append(
                f"m.article_id IN (SELECT article_id FROM {through} WHERE channel_id IN ({marks}))"
            )
            params.extend(filters.channel_ids)
        return where, params

    def matcher(
        self, cursor: CursorWrapper, query: Query, filters: Filters, *, title_only: bool
    ) -> "SQLiteMatcher":
        return SQLiteMatcher(self, cursor, query, filters, title_only=title_only)

    def indexed_ids(self, after: int = 0, limit: int = 1000) -> list[int]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT article_id FROM {META} WHERE article_id > %s ORDER BY article_id LIMIT %s",
                [after, limit],
            )
            return [int(row[0]) for row in cursor.fetchall()]

    def clear(self) -> None:
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            # FTS5 deletes a stored row's tokens one row at a time (a quarter of a full
            # build, measured); made again, the table is empty at once.
            cursor.execute(f"DROP TABLE {TABLE}")
            cursor.execute(WORDS_TABLE)
            cursor.execute(f"DELETE FROM {META}")
            cursor.execute(f"INSERT INTO {CHARS} ({CHARS}) VALUES ('delete-all')")
            cursor.execute(f"DELETE FROM {TEXT}")

    def optimize(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
            cursor.execute(f"INSERT INTO {CHARS} ({CHARS}) VALUES ('optimize')")


class _Source:
    """One FTS5 table, what a tier asks of it and the tier; for the fragments, what makes
    tier 1 (`title`) beside tier 2."""

    def __init__(self, table: str, match: str, weights: str, tier: Tier, title: str = "") -> None:
        self.table, self.match, self.weights, self.tier, self.title = (
            table,
            match,
            weights,
            tier,
            title,
        )


class SQLiteMatcher(Matcher):
    combine = True  # both parts are bm25 over FTS5: their scores add up
    published = "m.published AS published"

    def __init__(
        self,
        backend: SQLiteFTS5Backend,
        cursor: CursorWrapper,
        query: Query,
        filters: Filters,
        *,
        title_only: bool,
    ) -> None:
        self.backend = backend
        self.cursor = cursor
        self.where, self.params = backend._filters(filters)
        self.now = _seconds(filters.now)
        b = backend
        self.parts: list[_Source] = []
        words_weights = f"{b.title_weight!r}, 1.0, {b.meta_weight!r}"
        if query.fragments:
            self.parts.append(
                _Source(
                    CHARS,
                    fragments_expression(query, title_only=title_only),
                    f"{b.title_weight!r}, 0.0, {b.title_weight!r}, 0.0",
                    Tier.TEXT,
                    title=fragments_expression(query, title_only=True),
                )
            )
        if query.groups:
            match = match_expression(query, title_only=title_only)
            self.parts.append(_Source(TABLE, match, words_weights, Tier.ALL_WORDS))
            self.weak = _Source(TABLE, some_words_expression(query), words_weights, Tier.SOME_WORDS)

    def _matching(
        self, source: _Source, *, columns: str = "", exclude: Sequence[int] = ()
    ) -> tuple[str, list[Any]]:
        """SELECT of the articles `source` matches under the filters, less `exclude`."""
        t = source.table
        select = f"{t}.rowid AS id" + (f", {columns}" if columns else "")
        conditions = [f"{t} MATCH %s", *self.where]
        params = [source.match, *self.params]
        if exclude:
            conditions.append(f"{t}.rowid NOT IN ({', '.join(['%s'] * len(exclude))})")
            params.extend(exclude)
        return (
            f"SELECT {select} FROM {t} JOIN {META} m ON m.article_id = {t}.rowid"
            f" WHERE {' AND '.join(conditions)}",
            params,
        )

    def _counted(
        self, source: _Source, exclude: Sequence[int] = (), *, exact: bool = True
    ) -> tuple[str, list[Any]]:
        """Like `_matching`, without the meta table where no filter but `now` needs it:
        several times faster, and the few articles scheduled for later count too (the
        reader is told "about N results")."""
        if len(self.where) > 1:
            return self._matching(source, exclude=exclude)
        t = source.table
        sql = f"SELECT rowid AS id FROM {t} WHERE {t} MATCH %s"
        params: list[Any] = [source.match]
        if exclude:
            sql += f" AND rowid NOT IN ({', '.join(['%s'] * len(exclude))})"
            params.extend(exclude)
        return sql, params

    def _scored(
        self,
        source: _Source,
        exclude: Sequence[int],
        *,
        window: int,
        common: bool = False,
        matches: int = 0,
    ) -> tuple[str, list[Any]]:
        """The matches with their tier and bm25; a source that matches thousands of
        articles is ranked among the newest `window` of them (bm25 costs microseconds a
        match)."""
        t = source.table
        sql, params = self._matching(source, exclude=exclude)
        self.cursor.execute(f"{sql} ORDER BY id DESC LIMIT 1 OFFSET %s", [*params, window - 1])
        row = self.cursor.fetchone()
        floor = f" AND rowid >= {int(row[0])}" if row else ""
        tier, tier_params = f"{int(source.tier)}", []
        if source.title:
            tier = (
                f"CASE WHEN {t}.rowid IN (SELECT rowid FROM {t} WHERE {t} MATCH %s{floor})"
                f" THEN {int(Tier.TITLE)} ELSE {int(source.tier)} END"
            )
            tier_params = [source.title]
        score = f"-bm25({t}, {source.weights})"
        if source.title:
            # Of articles holding the fragments in their titles, the title decides (the
            # shorter the title, the likelier it is the one a span was copied from); the
            # body and the words only break near ties.
            score += f" - {SECONDARY!r} * bm25({t}, 0.0, 1.0, 0.0, 1.0)"
        columns = f"{tier} AS tier, {score} AS s, m.published AS published"
        sql, params = self._matching(source, columns=columns, exclude=exclude)
        return sql + floor.replace("rowid", f"{t}.rowid"), [*tier_params, *params]

    def _recency(self) -> tuple[str, list[Any]]:
        b = self.backend
        return (
            f"(1.0 + {b.recency_weight!r} / (1.0 + max(0, %s - published)"
            f" / {b.recency_days * SECONDS_PER_DAY!r}))",
            [self.now],
        )
