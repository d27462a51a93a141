"""PostgreSQL full-text search over segmented text, for when one machine is not enough.

The table `search_document` (made by this app's migration on PostgreSQL only) holds per
article a tsvector built with the 'simple' configuration (lower-case, no stemming, no
stop words: the tokens are already what `citydesk.core.text` made of the text), weighted
A for the title, B for tags and people, D for the body, under a GIN index. Ranking is
ts_rank_cd (cover density: matches close together score higher) with those weights,
times the same small bonus for recent articles as the SQLite backend.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

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

TABLE = "search_document"
VECTOR_SQL = (
    "setweight(to_tsvector('simple', %s), 'A')"
    " || setweight(to_tsvector('simple', %s), 'B')"
    " || setweight(to_tsvector('simple', %s), 'D')"
)


def _lexeme(token: str, *, prefix: bool = False, weight: str = "") -> str:
    quoted = "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"
    suffix = ("*" if prefix else "") + weight
    return f"{quoted}:{suffix}" if suffix else quoted


def _phrase(tokens: tuple[str, ...], *, prefix: bool = False, weight: str = "") -> str:
    last = len(tokens) - 1
    lexemes = [_lexeme(t, prefix=prefix and i == last, weight=weight) for i, t in enumerate(tokens)]
    return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"


def _term(term: Term, weight: str) -> str:
    alternatives = [
        _phrase(tokens, prefix=term.prefix and i == 0, weight=weight)
        for i, tokens in enumerate(term.alternatives)
    ]
    return alternatives[0] if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")"


def _group(group: Group, weight: str) -> str:
    every = " & ".join(_term(t, weight) for t in group.terms)
    if group.phrase:
        return f"({_phrase(group.phrase, weight=weight)} | ({every}))"
    return f"({every})"


def tsquery_text(query: Query, *, title_only: bool = False) -> str:
    """Text for to_tsquery: every token a quoted lexeme, so nothing is read as syntax."""
    weight = "A" if title_only else ""
    return " & ".join(_group(g, weight) for g in query.groups)


class PostgresBackend(SearchBackend):
    vendor = "postgresql"

    def add_bulk(self, documents: Iterable[IndexDocument]) -> int:
        rows = [
            (d.article_id, d.published_at, d.source[:100], d.title, d.meta, d.body)
            for d in documents
        ]
        if not rows:
            return 0
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (article_id, published_at, source, vector)"
                f" VALUES (%s, %s, %s, {VECTOR_SQL})"
                " ON CONFLICT (article_id) DO UPDATE SET published_at = EXCLUDED.published_at,"
                " source = EXCLUDED.source, vector = EXCLUDED.vector",
                rows,
            )
        return len(rows)

    def delete(self, article_ids: Iterable[int]) -> None:
        ids = list(article_ids)
        if ids:
            with self.connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {TABLE} WHERE article_id = ANY(%s)", [ids])

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
        where = ["d.vector @@ q.query", "d.published_at <= %s"]
        params: list[Any] = [filters.now]
        if filters.start is not None:
            where.append("d.published_at >= %s")
            params.append(filters.start)
        if filters.end is not None:
            where.append("d.published_at < %s")
            params.append(filters.end)
        if filters.source:
            where.append("d.source = %s")
            params.append(filters.source)
        if filters.channel_ids:
            through = Article.channels.through._meta.db_table
            where.append(
                f"d.article_id IN (SELECT article_id FROM {through} WHERE channel_id = ANY(%s))"
            )
            params.append(list(filters.channel_ids))
        source = f"{TABLE} d, to_tsquery('simple', %s) q(query)"
        text = tsquery_text(query, title_only=title_only)
        condition = " AND ".join(where)
        count_params = [text, *params]
        floor = None
        with self.connection.cursor() as cursor:
            if sort == "relevance":
                # As in SQLite: a query matching more than RANK_LIMIT articles is ranked
                # among the newest RANK_LIMIT (ts_rank_cd reads every match's vector).
                cursor.execute(
                    f"SELECT d.article_id FROM {source} WHERE {condition}"
                    " ORDER BY d.article_id DESC LIMIT 1 OFFSET %s",
                    [*count_params, self.rank_limit - 1],
                )
                floor = cursor.fetchone()
                ranked_condition = condition
                ranked_params = list(params)
                if floor is not None:
                    ranked_condition += " AND d.article_id >= %s"
                    ranked_params.append(floor[0])
                # ts_rank_cd's weights are {D, C, B, A}: body, (unused), meta, title.
                weights = (
                    f"{{{1.0 / self.title_weight!r}, 0.0, "
                    f"{self.meta_weight / self.title_weight!r}, 1.0}}"
                )
                recency = (
                    f"(1.0 + {self.recency_weight!r} / (1.0 + GREATEST(0, EXTRACT(EPOCH FROM"
                    f" (%s - d.published_at))) / {self.recency_days * SECONDS_PER_DAY!r}))"
                )
                score = f"ts_rank_cd('{weights}'::float4[], d.vector, q.query, 1) * {recency}"
                cursor.execute(
                    f"SELECT d.article_id, {score} AS score FROM {source}"
                    f" WHERE {ranked_condition}"
                    " ORDER BY score DESC, d.article_id DESC LIMIT %s OFFSET %s",
                    [filters.now, text, *ranked_params, limit, offset],
                )
            else:
                cursor.execute(
                    f"SELECT d.article_id, 0.0 FROM {source} WHERE {condition}"
                    " ORDER BY d.published_at DESC, d.article_id DESC LIMIT %s OFFSET %s",
                    [*count_params, limit, offset],
                )
            hits = [Hit(int(pk), float(value)) for pk, value in cursor.fetchall()]
            # The hits tell the total only when they are all there is.
            if count and (offset or len(hits) == limit or floor is not None):
                cursor.execute(f"SELECT count(*) FROM {source} WHERE {condition}", count_params)
                total = int(cursor.fetchone()[0])
            else:
                total = offset + len(hits)
        return Results(total=total, hits=hits)

    def indexed_ids(self, after: int = 0, limit: int = 1000) -> list[int]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT article_id FROM {TABLE} WHERE article_id > %s"
                " ORDER BY article_id LIMIT %s",
                [after, limit],
            )
            return [int(row[0]) for row in cursor.fetchall()]

    def clear(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {TABLE}")

    def optimize(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {TABLE}")
