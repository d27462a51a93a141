"""PostgreSQL full-text search, for when one machine is not enough.

The table `search_document` (made by this app's migrations on PostgreSQL only) holds per
article two tsvectors under GIN indexes:

- `vector`, the words: built with the 'simple' configuration (lower-case, no stemming, no
  stop words: the tokens are already what `citydesk.core.text` made of the text),
  weighted A for the title, B for tags and people, D for the body;
- `chars`, the character index: the title's bigrams (weight A) and the body's (D) with
  their positions, so that a fragment is the phrase of its bigrams, and the single
  characters of the title (B) and of the body (C). It is written as a tsvector literal,
  not through a text parser, so its lexemes are exactly the bigrams. A tsvector keeps
  positions up to 16,383: bigrams past that are left out (a fragment there is found by
  its words).

Ranking is by tier first, as on SQLite (see docs/search.md); within a tier by ts_rank_cd
(cover density: matches close together score higher) with the weights above, times the
same small bonus for recent articles.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.backends.utils import CursorWrapper

from citydesk.content.models import Article
from citydesk.core.text import Group, Query, Term, bigram_runs, char_set
from citydesk.search.backends.base import (
    SECONDS_PER_DAY,
    Filters,
    Hit,
    IndexDocument,
    Matcher,
    Prepared,
    SearchBackend,
    Tier,
)

TABLE = "search_document"
VECTOR_SQL = (
    "setweight(to_tsvector('simple', %s), 'A')"
    " || setweight(to_tsvector('simple', %s), 'B')"
    " || setweight(to_tsvector('simple', %s), 'D')"
)
MAX_POSITION = 16_383


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


def some_words_text(query: Query) -> str:
    """Any one of the query's words of two or more characters (or of any word, where
    none is that long): the weakest tier."""
    terms = [t for g in query.groups for t in g.terms]
    longer = [t for t in terms if len(t.alternatives[0][0]) > 1] or terms
    return " | ".join(_term(t, "") for t in longer)


def fragments_tsquery(query: Query, *, title_only: bool = False) -> str:
    """Every fragment of `query` as a tsquery literal: the phrase of its bigrams, or a
    single character among the text's characters."""
    parts = []
    for fragment in query.fragments:
        if len(fragment) == 1:
            parts.append(_lexeme(fragment, weight="B" if title_only else "BC"))
        else:
            phrase = tuple(bigram_runs(fragment)[0])
            parts.append(_phrase(phrase, weight="A" if title_only else "AD"))
    return " & ".join(parts)


def chars_vector(title: str, body: str) -> str:
    """The `chars` tsvector of folded text, as a tsvector literal."""
    positions: dict[str, list[str]] = defaultdict(list)
    at = 0
    for weight, text in (("A", title), ("D", body)):
        for run in bigram_runs(text):
            if at + len(run) >= MAX_POSITION:
                break
            for gram in run:
                at += 1
                positions[gram].append(f"{at}{weight}")
            at += 1  # a gap between runs: no phrase matches across punctuation
    for weight, position, text in (("B", 1, title), ("C", 2, body)):
        for char in char_set(text):
            positions[char].append(f"{position}{weight}")
    return " ".join(f"{_lexeme(lexeme)}:{','.join(p)}" for lexeme, p in positions.items())


class PostgresBackend(SearchBackend):
    vendor = "postgresql"

    def prepare(self, documents: Iterable[IndexDocument]) -> Prepared:
        docs = list(documents)
        rows = [
            (
                d.article_id,
                d.published_at,
                d.source[:100],
                d.title,
                d.meta,
                d.body,
                chars_vector(d.folded_title, d.folded_body),
            )
            for d in docs
        ]
        return Prepared([d.article_id for d in docs], {TABLE: rows})

    def write(self, prepared: Prepared) -> int:
        rows = prepared.rows[TABLE]
        if not rows:
            return 0
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (article_id, published_at, source, vector, chars)"
                f" VALUES (%s, %s, %s, {VECTOR_SQL}, %s::tsvector)"
                " ON CONFLICT (article_id) DO UPDATE SET published_at = EXCLUDED.published_at,"
                " source = EXCLUDED.source, vector = EXCLUDED.vector, chars = EXCLUDED.chars",
                rows,
            )
        return len(rows)

    def delete(self, article_ids: Iterable[int]) -> None:
        ids = list(article_ids)
        if ids:
            with self.connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {TABLE} WHERE article_id = ANY(%s)", [ids])

    def matcher(
        self, cursor: CursorWrapper, query: Query, filters: Filters, *, title_only: bool
    ) -> "PostgresMatcher":
        return PostgresMatcher(self, cursor, query, filters, title_only=title_only)

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


class _Source:
    """One tsvector column, the tsquery a tier asks of it, ts_rank_cd's weights for it
    ({D, C, B, A}) and the tier as an SQL expression on the row `d`."""

    def __init__(
        self,
        column: str,
        tsquery: str,
        param: str,
        weights: tuple[float, float, float, float],
        tier: str,
        tier_params: Sequence[Any] = (),
    ) -> None:
        self.column, self.tsquery, self.param = column, tsquery, param
        self.weights = "{" + ", ".join(repr(w) for w in weights) + "}"
        self.tier, self.tier_params = tier, list(tier_params)


class PostgresMatcher(Matcher):
    def __init__(
        self,
        backend: PostgresBackend,
        cursor: CursorWrapper,
        query: Query,
        filters: Filters,
        *,
        title_only: bool,
    ) -> None:
        self.backend = backend
        self.cursor = cursor
        self.now = filters.now
        self.where = ["d.published_at <= %s"]
        self.params: list[Any] = [filters.now]
        if filters.start is not None:
            self.where.append("d.published_at >= %s")
            self.params.append(filters.start)
        if filters.end is not None:
            self.where.append("d.published_at < %s")
            self.params.append(filters.end)
        if filters.source:
            self.where.append("d.source = %s")
            self.params.append(filters.source)
        if filters.channel_ids:
            through = Article.channels.through._meta.db_table
            self.where.append(
                f"d.article_id IN (SELECT article_id FROM {through} WHERE channel_id = ANY(%s))"
            )
            self.params.append(list(filters.channel_ids))
        body = 1.0 / backend.title_weight
        self.sources: list[_Source] = []
        if query.fragments:
            title = fragments_tsquery(query, title_only=True)
            self.sources.append(
                _Source(
                    "chars",
                    "%s::tsquery",
                    fragments_tsquery(query, title_only=title_only),
                    (body, body, 1.0, 1.0),
                    f"CASE WHEN d.chars @@ %s::tsquery THEN {Tier.TITLE} ELSE {Tier.TEXT} END",
                    [title],
                )
            )
        if query.groups:
            # Words: {D, C, B, A} are body, (unused), meta, title.
            weights = (body, 0.0, backend.meta_weight / backend.title_weight, 1.0)
            words = tsquery_text(query, title_only=title_only)
            self.sources.append(
                _Source("vector", "to_tsquery('simple', %s)", words, weights, str(Tier.ALL_WORDS))
            )
            self.weak = _Source(
                "vector",
                "to_tsquery('simple', %s)",
                some_words_text(query),
                weights,
                str(Tier.SOME_WORDS),
            )

    def _matching(
        self, source: _Source, *, columns: str = "", exclude: Sequence[int] = ()
    ) -> tuple[str, list[Any]]:
        """SELECT of the articles `source` matches under the filters, less `exclude`."""
        select = "d.article_id AS id" + (f", {columns}" if columns else "")
        conditions = [f"d.{source.column} @@ {source.tsquery}", *self.where]
        params = [source.param, *self.params]
        if exclude:
            conditions.append("NOT d.article_id = ANY(%s)")
            params.append(list(exclude))
        return f"SELECT {select} FROM {TABLE} d WHERE {' AND '.join(conditions)}", params

    def count(self, *, weak: bool = False, exclude: Sequence[int] = ()) -> int:
        sources = [self.weak] if weak else self.sources
        parts = [self._matching(s, exclude=exclude) for s in sources]
        self.cursor.execute(
            f"SELECT count(*) FROM ({' UNION '.join(sql for sql, _ in parts)}) x",
            [p for _, params in parts for p in params],
        )
        return int(self.cursor.fetchone()[0])

    def by_time(self, limit: int, offset: int) -> list[Hit]:
        parts = [self._matching(s, columns="d.published_at AS published") for s in self.sources]
        self.cursor.execute(
            f"SELECT id FROM ({' UNION '.join(sql for sql, _ in parts)}) x"
            " ORDER BY published DESC, id DESC LIMIT %s OFFSET %s",
            [*(p for _, params in parts for p in params), limit, offset],
        )
        return [Hit(int(row[0]), 0.0) for row in self.cursor.fetchall()]

    def _scored(self, source: _Source, exclude: Sequence[int]) -> tuple[str, list[Any]]:
        # ts_rank_cd reads every match's vector: rank among the newest RANK_LIMIT.
        sql, params = self._matching(source, exclude=exclude)
        self.cursor.execute(
            f"{sql} ORDER BY d.article_id DESC LIMIT 1 OFFSET %s",
            [*params, self.backend.rank_limit - 1],
        )
        floor = self.cursor.fetchone()
        columns = (
            f"ts_rank_cd('{source.weights}'::float4[], d.{source.column}, {source.tsquery}, 1)"
            f" AS s, d.published_at AS published, {source.tier} AS tier"
        )
        sql, params = self._matching(source, columns=columns, exclude=exclude)
        params = [source.param, *source.tier_params, *params]
        if floor is not None:
            sql += " AND d.article_id >= %s"
            params.append(floor[0])
        return sql, params

    def ranked(
        self, limit: int, offset: int, *, weak: bool = False, exclude: Sequence[int] = ()
    ) -> list[Hit]:
        sources = [self.weak] if weak else self.sources
        ctes, params, selects = [], [], []
        for i, source in enumerate(sources):
            sql, p = self._scored(source, exclude)
            ctes.append(f"s{i} AS MATERIALIZED ({sql})")
            params.extend(p)
            # An article takes the tier of the first source that has it.
            earlier = "".join(f" AND id NOT IN (SELECT id FROM s{j})" for j in range(i))
            selects.append(f"SELECT id, tier, s, published FROM s{i} WHERE true{earlier}")
        b = self.backend
        recency = (
            f"(1.0 + {b.recency_weight!r} / (1.0 + GREATEST(0, EXTRACT(EPOCH FROM"
            f" (%s - published))) / {b.recency_days * SECONDS_PER_DAY!r}))"
        )
        self.cursor.execute(
            f"WITH {', '.join(ctes)} SELECT id, tier, s * {recency} AS score"
            f" FROM ({' UNION ALL '.join(selects)}) x"
            " ORDER BY tier, score DESC, id DESC LIMIT %s OFFSET %s",
            [*params, self.now, limit, offset],
        )
        return [Hit(int(pk), float(score), int(tier)) for pk, tier, score in self.cursor.fetchall()]
