"""SQLite FTS5 over segmented text: the embedded default.

The table `search_fts` (made by this app's migration on SQLite only) holds per article
the title, body and meta text as space-joined tokens; `search_meta` beside it holds the
publish time and source, for filters and the recency bonus. The tokenizer is "ascii": it
splits at spaces and ASCII punctuation and leaves every other character alone, so the
tokens `citydesk.core.text` wrote are exactly the ones FTS5 indexes. Ranking is FTS5's
bm25 with column weights (title, body, meta), times a small bonus for recent articles.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.backends.utils import CursorWrapper

from citydesk.content.models import Article
from citydesk.core.text import Group, Query, Term
from citydesk.search.backends.base import (
    SECONDS_PER_DAY,
    Filters,
    Hit,
    IndexDocument,
    Results,
    SearchBackend,
)

TABLE = "search_fts"
META = "search_meta"
# SQLite builds before 3.32 allow 999 variables a statement.
CHUNK = 400


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
    """The FTS5 query for `query`: every token quoted, so nothing is read as syntax."""
    expression = " AND ".join(_group(g) for g in query.groups)
    return f"title : ({expression})" if title_only else expression


def _seconds(value: datetime) -> int:
    return int(value.timestamp())


class SQLiteFTS5Backend(SearchBackend):
    vendor = "sqlite"

    def add_bulk(self, documents: Iterable[IndexDocument]) -> int:
        docs = list(documents)
        if not docs:
            return 0
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            # FTS5 tables have no UPSERT: drop what is stored, then insert.
            self._delete(cursor, [d.article_id for d in docs])
            cursor.executemany(
                f"INSERT INTO {TABLE} (rowid, title, body, meta) VALUES (%s, %s, %s, %s)",
                [(d.article_id, d.title, d.body, d.meta) for d in docs],
            )
            cursor.executemany(
                f"INSERT INTO {META} (article_id, published, source) VALUES (%s, %s, %s)",
                [(d.article_id, _seconds(d.published_at), d.source) for d in docs],
            )
        return len(docs)

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

    def _filters(self, filters: Filters) -> tuple[list[str], list[Any]]:
        """Conditions on the meta table `m`; empty when only `now` applies."""
        where: list[str] = []
        params: list[Any] = []
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

    def search(
        self,
        query: Query,
        filters: Filters,
        *,
        sort: str = "relevance",
        limit: int = 10,
        offset: int = 0,
        count: bool = True,
        title_only: bool = False,
    ) -> Results:
        if query.is_empty:
            return Results(total=0)
        now = _seconds(filters.now)
        match = match_expression(query, title_only=title_only)
        extra, extra_params = self._filters(filters)
        joined = f"{TABLE} JOIN {META} m ON m.article_id = {TABLE}.rowid"
        condition = " AND ".join([f"{TABLE} MATCH %s", "m.published <= %s", *extra])
        params: list[Any] = [match, now, *extra_params]
        floor = None
        with self.connection.cursor() as cursor:
            if sort == "relevance":
                # bm25 costs a few microseconds a match; a query that matches tens of
                # thousands of articles is ranked among the newest RANK_LIMIT of them.
                cursor.execute(
                    f"SELECT {TABLE}.rowid FROM {joined} WHERE {condition}"
                    f" ORDER BY {TABLE}.rowid DESC LIMIT 1 OFFSET %s",
                    [*params, self.rank_limit - 1],
                )
                floor = cursor.fetchone()
                if floor is not None:
                    condition += f" AND {TABLE}.rowid >= %s"
                    params.append(floor[0])
                recency = (
                    f"(1.0 + {self.recency_weight!r} / (1.0 + max(0, {now} - m.published)"
                    f" / {self.recency_days * SECONDS_PER_DAY!r}))"
                )
                weights = f"{self.title_weight!r}, 1.0, {self.meta_weight!r}"
                score = f"-bm25({TABLE}, {weights}) * {recency}"
                order = f"score DESC, {TABLE}.rowid DESC"
            else:
                score, order = "0.0", f"m.published DESC, {TABLE}.rowid DESC"
            cursor.execute(
                f"SELECT {TABLE}.rowid, {score} AS score FROM {joined} WHERE {condition}"
                f" ORDER BY {order} LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            hits = [Hit(int(rowid), float(value)) for rowid, value in cursor.fetchall()]
            # The hits tell the total only when they are all there is.
            if count and (offset or len(hits) == limit or floor is not None):
                total = self._count(cursor, match, extra, extra_params, now)
            else:
                total = offset + len(hits)
        return Results(total=total, hits=hits)

    def _count(
        self, cursor: CursorWrapper, match: str, extra: list[str], params: list[Any], now: int
    ) -> int:
        if extra:
            cursor.execute(
                f"SELECT count(*) FROM {TABLE} JOIN {META} m ON m.article_id = {TABLE}.rowid"
                f" WHERE {TABLE} MATCH %s AND m.published <= %s AND " + " AND ".join(extra),
                [match, now, *params],
            )
        else:
            # Without filters FTS5 counts from its own doclists, several times faster; the
            # few articles scheduled for later are counted too ("about N results").
            cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE {TABLE} MATCH %s", [match])
        return int(cursor.fetchone()[0])

    def indexed_ids(self, after: int = 0, limit: int = 1000) -> list[int]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT article_id FROM {META} WHERE article_id > %s ORDER BY article_id LIMIT %s",
                [after, limit],
            )
            return [int(row[0]) for row in cursor.fetchall()]

    def clear(self) -> None:
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE}")
            cursor.execute(f"DELETE FROM {META}")

    def optimize(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
