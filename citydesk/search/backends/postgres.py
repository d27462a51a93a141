"""PostgreSQL full-text search, for when one machine is not enough.

The table `search_document` (made by this app's migrations on PostgreSQL only) holds per
article:

- `vector`, the words: a tsvector built with the 'simple' configuration (lower-case, no
  stemming, no stop words: the tokens are already what `citydesk.core.text` made of the
  text), weighted A for the title, B for tags and people, D for the body, under GIN;
- the character index: `chars`, the distinct bigrams and single characters of the title
  and body, and `title_chars`, those of the title, each a tsvector without positions
  under GIN (built from the list itself, not through a text parser, so its lexemes are
  exactly the bigrams); and `title_text` and `body_text`, the folded text. The bigrams
  find the articles that may hold a fragment; for a fragment of three or more characters
  the text then says whether it does (strpos). A fragment of one or two characters is one
  lexeme, and the index alone answers it.

Ranking is by tier first, as on SQLite (see docs/search.md). Within tiers 1 and 2 by
BM25 of the fragments in the title and body text (occurrences and length, the title
weighted TITLE_WEIGHT times), within tiers 3 and 4 by ts_rank over the words (their
frequency, and for several words how close together they stand) with the weights above,
divided by the document's length as BM25 does; each times the same small bonus for recent
articles.
"""

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from django.db import transaction
from django.db.backends.utils import CursorWrapper

from citydesk.content.models import Article
from citydesk.core.text import Group, Query, Term, bigram_runs, char_set
from citydesk.search.backends.base import (
    SECONDARY,
    SECONDS_PER_DAY,
    Filters,
    Hit,
    IndexDocument,
    Matcher,
    Prepared,
    Results,
    SearchBackend,
    Tier,
)

TABLE = "search_document"
VECTOR_SQL = (
    "setweight(to_tsvector('simple', %s), 'A')"
    " || setweight(to_tsvector('simple', %s), 'B')"
    " || setweight(to_tsvector('simple', %s), 'D')"
)
CHARS_SQL = "array_to_tsvector(string_to_array(%s, ' '))"
# BM25's constants, and the lengths (in characters) its length normalisation divides by.
K1, B = 1.2, 0.75
# A part most articles hold is ranked among its newest matches found by reading the
# newest articles back: at least this many times as many as it needs, more where its
# count says it is sparser, and never more than MAX_WALK articles (a walk reads each
# one's bigrams from TOAST: about 6 µs an article at 1,000,000).
WALK = 10
MAX_WALK = 5000
TYPICAL_TITLE, TYPICAL_BODY = 20.0, 500.0
# How many bigrams of a fragment the index is asked for at least (asked_lexemes), and
# how often the table's statistics of the most common ones are read again.
ASKED = 2
STATS_SECONDS = 600.0
# From how many documents in the index a part of the fragments may be counted by the
# index alone (see `PostgresMatcher._count`).
INDEX_COUNT_ROWS = 100_000
# How many ids of the primary key a range may span for each match (PostgresMatcher._newest):
# at 1,000,000 a range's bitmap took about 0.04 µs an id, and sorting the matches 1.5 µs
# each.
SPAN_PER_MATCH = 32


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


def fragment_lexemes(fragment: str) -> list[str]:
    """What the character index holds for a fragment: its bigrams, or the character."""
    return [fragment] if len(fragment) == 1 else list(dict.fromkeys(bigram_runs(fragment)[0]))


def asked_lexemes(fragment: str, common: Mapping[str, float]) -> list[str]:
    """What the index is asked for a fragment: of one the text then decides (three or
    more characters), its bigrams less those `common` lists (the most common in the
    index, with the share of rows that hold each), keeping at least ASKED, the rarest.

    A bitmap of the index costs time for each bigram's posting list it walks, and a
    bigram most articles hold barely narrows it: 高质量发展 at 1,000,000 articles took 13
    to 19 ms with its four bigrams, 7 to 9 ms without 质量 and 发展 (one article in nine
    and in three), and found the same 53,733 articles. The text check keeps the matches
    exact."""
    lexemes = fragment_lexemes(fragment)
    if len(fragment) < 3:
        return lexemes
    rarest = sorted(range(len(lexemes)), key=lambda i: common.get(lexemes[i], 0.0))
    kept = [i for i in rarest if lexemes[i] not in common]
    kept += [i for i in rarest if lexemes[i] in common][: max(0, ASKED - len(kept))]
    return [lexemes[i] for i in sorted(kept)]


def chars_lexemes(*texts: str) -> list[str]:
    """The distinct bigrams and single characters of folded texts."""
    lexemes = {gram for text in texts for run in bigram_runs(text) for gram in run}
    lexemes.update(c for text in texts for c in char_set(text))
    return sorted(lexemes)


class PostgresBackend(SearchBackend):
    vendor = "postgresql"
    exact_count = 500  # an exact count reads each match's text from TOAST

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self._statistics: dict[str, tuple[float, Any]] = {}

    def _statistic(self, key: str, read: Callable[[], Any]) -> Any:
        """What `read` gives, kept for STATS_SECONDS (ANALYZE changes it seldom)."""
        now = time.monotonic()
        kept = self._statistics.get(key)
        if kept is None or now - kept[0] > STATS_SECONDS:
            kept = self._statistics[key] = (now, read())
        return kept[1]

    def common_lexemes(self, cursor: CursorWrapper, column: str) -> dict[str, float]:
        """The lexemes ANALYZE found most common in a tsvector column of the index, with
        the share of rows that hold each (none before the first ANALYZE)."""

        def read() -> dict[str, float]:
            cursor.execute(
                "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
                " WHERE schemaname = current_schema() AND tablename = %s AND attname = %s",
                [TABLE, column],
            )
            row = cursor.fetchone()
            return dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}

        return cast(dict[str, float], self._statistic(f"common {column}", read))

    def rows(self, cursor: CursorWrapper) -> float:
        """About how many documents the index holds (as of the last ANALYZE: -1 before
        it)."""

        def read() -> float:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [TABLE])
            return float(cursor.fetchone()[0])

        return cast(float, self._statistic("rows", read))

    def search(self, query: Query, filters: Filters, **kwargs: Any) -> Results:
        reader = self.reader
        with transaction.atomic(using=reader.alias), reader.cursor() as cursor:
            # The planner prices a tsvector match on a sequential scan as cheap, not
            # knowing that it fetches every row's vector from TOAST (a hundred times the
            # bitmap scan of the GIN index, measured): it is told to take the index.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            # Parallel workers start slower than they help at a search's size (the newest
            # 500 of 70,000 matches: 17 ms alone, 27 ms with one worker), and readers'
            # searches run side by side on the server's few cores anyway.
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            return super().search(query, filters, **kwargs)

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
                # One string each, split by the server: psycopg adapts a text[] of a
                # thousand bigrams element by element in Python (2.5 ms an article,
                # measured: most of an import's indexing time). A lexeme is letters and
                # digits only, so a space cannot be in one.
                " ".join(chars_lexemes(d.folded_title, d.folded_body)),
                " ".join(chars_lexemes(d.folded_title)),
                d.folded_title,
                d.folded_body,
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
                f"INSERT INTO {TABLE} (article_id, published_at, source, vector, chars,"
                " title_chars, title_text, body_text)"
                f" VALUES (%s, %s, %s, {VECTOR_SQL}, {CHARS_SQL}, {CHARS_SQL}, %s, %s)"
                " ON CONFLICT (article_id) DO UPDATE SET published_at = EXCLUDED.published_at,"
                " source = EXCLUDED.source, vector = EXCLUDED.vector, chars = EXCLUDED.chars,"
                " title_chars = EXCLUDED.title_chars, title_text = EXCLUDED.title_text,"
                " body_text = EXCLUDED.body_text",
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
        # After a rebuild, VACUUM too: it marks the pages all-visible, which the bitmap
        # scans of every search then skip checking (p95 53 ms against 77 ms without, over
        # the evaluation's queries). VACUUM cannot run inside a transaction.
        command = "ANALYZE" if self.connection.in_atomic_block else "VACUUM ANALYZE"
        with self.connection.cursor() as cursor:
            cursor.execute(f"{command} {TABLE}")


class _Source:
    """One way a query matches: the condition on the row `d` and its parameters, the
    score and its parameters, and the tier (an SQL expression, with its parameters);
    `rough` is the condition the index alone answers, for counting, `ranged` the same
    written for a range of the primary key (see `_fragments`), and `rest` what the text
    then decides (none: the index decides alone)."""

    def __init__(
        self,
        condition: str,
        params: Sequence[Any],
        score: str,
        score_params: Sequence[Any],
        tier: str,
        tier_params: Sequence[Any] = (),
        rough: tuple[str, Sequence[Any]] | None = None,
        ranged: tuple[str, Sequence[Any]] | None = None,
        rest: tuple[str, Sequence[Any]] = ("TRUE", ()),
        join: str = "",
    ) -> None:
        self.condition, self.params = condition, list(params)
        self.score, self.score_params = score, list(score_params)
        self.tier, self.tier_params = tier, list(tier_params)
        self.rough = rough or (condition, params)
        self.ranged = ranged or self.rough
        self.rest = rest
        self.join = join
        # The ids of the newest articles the index finds, newest first, where a count
        # saw them all; else the share of the ids its count went through that it found
        # (PostgresMatcher._count).
        self.newest: list[int] | None = None
        self.density: float | None = None
        # Whether the index's bitmap holds exactly the documents `rough` matches (no
        # weights or phrases, which PostgreSQL checks in the row), so that its size is
        # their count; and the share of documents that hold it, where the table's
        # statistics tell (`_fragments`).
        self.bitmap_exact = False
        self.share: float | None = None

    def index_only(self, *, ranged: bool = False) -> "_Source":
        """The part with only the condition the index answers (for counts and floors)."""
        return _Source(*(self.ranged if ranged else self.rough), "", [], "")

    def text_only(self) -> "_Source":
        """The part with only what the text decides: for the rows the index found."""
        return _Source(
            *self.rest, self.score, self.score_params, self.tier, self.tier_params,
            join=self.join,
        )  # fmt: skip


def _occurrences(text: str, fragment: str) -> str:
    """How often the fragment (the parameter) occurs in a text: in bytes, which need no
    scan of the UTF-8 as counting characters does (three times faster scoring)."""
    return (
        f"((octet_length({text}) - octet_length(replace({text}, %s, '')))"
        f" / {len(fragment.encode())})::float8"
    )


class PostgresMatcher(Matcher):
    backend: PostgresBackend
    published = "d.published_at AS published"

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
        self.parts: list[_Source] = []
        if query.fragments:
            self.parts.append(self._fragments(query, title_only=title_only))
        if query.groups:
            # Words: ts_rank's {D, C, B, A} are body, (unused), meta, title.
            body = 1.0 / backend.title_weight
            weights = (body, 0.0, backend.meta_weight / backend.title_weight, 1.0)
            self.parts.append(self._words(tsquery_text(query, title_only=title_only), weights))
            self.weak = self._words(some_words_text(query), weights, tier=Tier.SOME_WORDS)

    def by_time(self, limit: int, offset: int) -> list[Hit]:
        """Newest first, looked for among the newest documents first.

        Sorting every match by time visits a table page for each (230,000 for 经济 at
        1,000,000 articles: 0.36 s). The newest documents, sixteen times as many as the
        page needs, are a range of the publish-time index, and the index's bitmap ANDed
        with it visits the matches in that range only; where they fill the page, they
        are the newest of all (every later match is in the range). Else the range is
        widened, and at last there is none.
        """
        span = 16 * (offset + limit)
        for _ in range(3):
            since = self._published_since(span)
            if since is None:
                break
            self.where.append("d.published_at >= %s")
            self.params.append(since)
            try:
                hits = super().by_time(limit, offset)
            finally:
                self.where.pop()
                self.params.pop()
            if len(hits) == limit:
                return hits
            span *= 16
        return super().by_time(limit, offset)

    def _published_since(self, span: int) -> Any:
        """The publish time of the `span`-th newest document (None where fewer), read
        along the publish-time index alone."""
        rows = self._walked(
            f"SELECT published_at FROM {TABLE} d WHERE {self.where[0]}"
            " ORDER BY published_at DESC OFFSET %s LIMIT 1",
            [self.params[0], span - 1],
        )
        return rows[0][0] if rows else None

    def _walked(self, sql: str, params: list[Any], *, bitmaps: bool = True) -> list[Any]:
        """The rows of a read along an index, which the search otherwise keeps off (see
        `PostgresBackend.search`); without `bitmaps`, no bitmap scan either."""
        self.cursor.execute(
            "SELECT set_config('enable_indexscan', 'on', true),"
            " set_config('enable_bitmapscan', %s, true)",
            ["on" if bitmaps else "off"],
        )
        self.cursor.execute(sql, params)
        rows = self.cursor.fetchall()
        self.cursor.execute(
            "SELECT set_config('enable_indexscan', 'off', true),"
            " set_config('enable_bitmapscan', 'on', true)"
        )
        return rows

    def _words(self, text: str, weights: tuple[float, ...], tier: Tier = Tier.ALL_WORDS) -> _Source:
        array = "{" + ", ".join(repr(w) for w in weights) + "}"
        return _Source(
            "d.vector @@ to_tsquery('simple', %s)",
            [text],
            # Normalisation 2 divides by the length: of the articles holding a reader's
            # words, the one about them (short, or saying them often) ranks first. The
            # evaluation's success@10 was 0.779 with ts_rank_cd over 1 + log(length),
            # 0.790 with this (SQLite: 0.791).
            f"ts_rank('{array}'::float4[], d.vector, to_tsquery('simple', %s), 2)",
            [text],
            str(int(tier)),
        )

    def _fragments(self, query: Query, *, title_only: bool) -> _Source:
        """Every fragment in the title (or text): the bigrams, then the text for a
        fragment of three or more characters."""
        column = "title_chars" if title_only else "chars"
        common = self.backend.common_lexemes(self.cursor, column)
        lexemes = [lexeme for f in query.fragments for lexeme in asked_lexemes(f, common)]
        tsquery = " & ".join(_lexeme(lexeme) for lexeme in dict.fromkeys(lexemes))
        condition, params = [f"d.{column} @@ %s::tsquery"], [tsquery]
        in_title, title_params = [], []
        score, score_params = [], []
        b = self.backend
        for fragment in query.fragments:
            in_title.append("strpos(v.t, %s) > 0")
            title_params.append(fragment)
            if len(fragment) > 2 and title_only:
                condition.append("strpos(v.t, %s) > 0")
                params.append(fragment)
            elif len(fragment) > 2:
                condition.append("(strpos(v.t, %s) > 0 OR strpos(v.b, %s) > 0)")
                params.extend([fragment, fragment])
            # BM25 without idf (the same fragments for every article): occurrences,
            # saturated, over the text's length against a typical one.
            # The title decides; the body breaks near ties (as on SQLite).
            for text, weight, typical in (
                ("v.t", b.title_weight, TYPICAL_TITLE),
                ("v.b", SECONDARY, TYPICAL_BODY),
            ):
                # tf / (tf + k) as 1 - k / (tf + k): the occurrences counted once.
                k = f"{K1!r} * ({1 - B!r} + {B!r} * {text}l / {typical!r})"
                score.append(f"{weight!r} * (1.0 - {k} / ({_occurrences(text, fragment)} + {k}))")
                score_params.append(fragment)
        source = _Source(
            " AND ".join(condition),
            params,
            " + ".join(score),
            score_params,
            f"CASE WHEN {' AND '.join(in_title)} THEN {int(Tier.TITLE)} ELSE {int(Tier.TEXT)} END",
            title_params,
            rough=(condition[0], params[:1]),
            # PostgreSQL prices an AND of lexemes as if they were independent, and a
            # fragment's bigrams are not: it expects one article of a million to hold
            # 疫情 & 情防 & 防控 (25,802 do), and so filters a range of the primary key
            # rather than AND its bitmap with the index's, reading every match's row
            # (15 to 20 ms, where the AND takes 4 to 8). OR-ed with a lexeme no article
            # holds (a lexeme has no spaces), the same condition is priced as one
            # unknown lexeme: at most one row in 200.
            ranged=(condition[0], [f"({tsquery}) | ' '"]),
            rest=(" AND ".join(condition[1:]) or "TRUE", params[1:]),
            # The text once a row, out of TOAST: PostgreSQL fetches a value again for
            # every use of the column. The body's length is its UTF-8 bytes over three,
            # its characters where it is Chinese: counting them (a call a character)
            # took 5 of the 17 ms of scoring 500 articles at 1,000,000.
            join=" CROSS JOIN LATERAL (SELECT t, b, char_length(t) AS tl,"
            " octet_length(b) / 3.0 AS bl"
            " FROM (SELECT d.title_text || '' AS t, d.body_text || '' AS b OFFSET 0) x) v",
        )
        source.bitmap_exact = True
        shares = [common.get(lexeme, 0.0) for lexeme in set(lexemes)]
        if len(query.fragments) == 1 and min(shares) > 0 and max(shares) <= 1.25 * min(shares):
            # The bigrams of one fragment, about as common as each other, come together:
            # 习近 and 近平 are each in 22.9% of the articles at 1,000,000, 习近平 in
            # 23.0%. (Where they differ, or belong to fragments of their own, their AND
            # could be anything up to the rarer's share: the index counts it.)
            source.share = min(shares)
        return source

    def _matching(
        self, source: _Source, *, columns: str = "", exclude: Sequence[int] = ()
    ) -> tuple[str, list[Any]]:
        """SELECT of the articles `source` matches under the filters, less `exclude`."""
        select = "d.article_id AS id" + (f", {columns}" if columns else "")
        conditions = [source.condition, *self.where]
        params = [*source.params, *self.params]
        if exclude:
            conditions.append("NOT d.article_id = ANY(%s)")
            params.append(list(exclude))
        return (
            f"SELECT {select} FROM {TABLE} d{source.join} WHERE {' AND '.join(conditions)}",
            params,
        )

    def _counted(
        self, source: _Source, exclude: Sequence[int] = (), *, exact: bool = True
    ) -> tuple[str, list[Any]]:
        if exact:
            return self._matching(source, exclude=exclude)
        # The articles with every bigram of the fragments: the text is not read, so a
        # fragment of three or more characters counts a few articles that hold its
        # bigrams apart too (an exact count reads every match's text from TOAST).
        return self._matching(source.index_only(), exclude=exclude)

    def _count(self, part: _Source, cap: int) -> int:
        """As the base class's; where the count sees every match (fewer than `cap`), the
        same statement keeps the newest RANK_LIMIT ids for the ranking, which then needs
        no second bitmap of the index (10 to 25 ms for 养老 or 人工智能 at 1,000,000).

        In a large index with no filter but the publish time, the fragments' part is
        counted by the index alone, and past `cap` (`_index_count`), where so many hold
        it that the ranking will find its newest without its count's ids, by a range of
        the key (`_newest`) or a walk: counting reads every match's row, 10 to 31 ms for
        10,000 at 1,000,000 articles."""
        if part.bitmap_exact and len(self.where) == 1:
            rows = self.backend.rows(self.cursor)  # -1 before the first ANALYZE
            if rows >= INDEX_COUNT_ROWS and (found := self._index_count(part, rows)) is not None:
                # The fewest matches for which `_newest` tries a range of the key.
                window = self.backend.rank_limit
                if found >= max(4 * window, (rows * 2 * window / SPAN_PER_MATCH) ** 0.5):
                    part.density = found / rows
                    return found
        sql, params = self._counted(part, exact=False)
        self.cursor.execute(
            f"SELECT count(*), (array_agg(id ORDER BY id DESC))[1:%s], min(id), max(id)"
            f" FROM ({sql} LIMIT %s) AS c",
            [self.backend.rank_limit, *params, cap],
        )
        found, newest, low, high = self.cursor.fetchone()
        if found < cap:
            part.newest = [int(pk) for pk in newest or ()]
        elif high > low:
            # The table is stored about in id order, and a bitmap's rows come in
            # storage order: the first `cap` matches span the ids from `low` to `high`.
            part.density = found / (high - low + 1)
        return int(found)

    def _index_count(self, part: _Source, rows: float) -> int | None:
        """About how many documents hold a part by the index alone: its share of the rows
        where the table's statistics tell, else as many as the index's bitmap holds (the
        publish time not read: the few articles scheduled for later are counted too).

        The bitmap's size is known once it is built, before any row is read, and only
        EXPLAIN ANALYZE reports it: stopped after the first row, it costs the bitmap
        alone (1 to 7 ms for 足球 to 一带一路 at 1,000,000, where counting their rows
        up to 10,000 took 10 to 31). None where the plan is not one bitmap of the index.
        """
        if part.share is not None:
            return int(part.share * rows)
        condition, params = part.rough
        self.cursor.execute(
            "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF, COSTS OFF, FORMAT JSON)"
            f" SELECT 1 FROM {TABLE} d WHERE {condition} LIMIT 1",
            params,
        )
        plan = self.cursor.fetchone()[0]
        node = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        while node.get("Plans") and len(node["Plans"]) == 1:
            node = node["Plans"][0]
        if node.get("Node Type") != "Bitmap Index Scan":
            return None
        return int(node["Actual Rows"])

    def _scored(
        self,
        source: _Source,
        exclude: Sequence[int],
        *,
        window: int,
        common: bool = False,
        matches: int = 0,
    ) -> tuple[str, list[Any]]:
        # Scoring reads every match's vector or text: rank among the newest `window` of
        # the articles the index alone finds, read again by key (a second bitmap of the
        # index costs as much as the first, and reads a row for each match it finds).
        newest = None
        if source.newest is not None and not exclude:
            newest = source.newest[:window]
        elif common:
            newest = self._newest_walked(source, exclude, window)
        if newest is None:
            newest = self._newest(source, exclude, window, matches)
        part = source.text_only()
        columns = f"{part.score} AS s, d.published_at AS published, {part.tier} AS tier"
        sql, params = self._matching(part, columns=columns)
        params = [*part.score_params, *part.tier_params, *params, newest]
        return f"{sql} AND d.article_id = ANY(%s)", params

    def _newest(
        self, source: _Source, exclude: Sequence[int], window: int, matches: int
    ) -> list[int]:
        """The ids of the newest `window` articles the index finds for `source` (all of
        them where fewer hold it).

        Sorting every match by id visits a table page for each (8,300 pages for 养老 at
        570,000 articles, 14 ms). Where `matches` (counted) are many, the newest ids in
        which twice `window` of them are expected are tried first: the planner ANDs the
        index's bitmap with that range of the primary key and visits those pages only
        (for the fragments, once their condition is written to be priced as it should:
        `_Source.ranged`). Where that range holds fewer, once more as far back as those
        it holds say (a topic of years past: 疫情防控 or 手机 at 1,000,000), then all.
        A range costs time for each id in it, the sort for each match: a range of more
        than SPAN_PER_MATCH ids a match is not tried.
        """
        sql, params = self._matching(source.index_only(), exclude=exclude)
        newest = f" ORDER BY d.article_id DESC LIMIT {int(window)}"
        if matches > 4 * window:
            # The ends of the primary key.
            low, high = self._walked(f"SELECT min(article_id), max(article_id) FROM {TABLE}", [])[0]
            ranged, ranged_params = self._matching(source.index_only(ranged=True), exclude=exclude)
            span = max(1, (high - low) * 2 * window // matches) if high is not None else None
            for _ in range(2):
                if span is None or span > SPAN_PER_MATCH * matches or span > high - low:
                    break  # all of them, by the sort below
                self.cursor.execute(
                    f"{ranged} AND d.article_id >= %s{newest}", [*ranged_params, high - span]
                )
                ids = [int(row[0]) for row in self.cursor.fetchall()]
                if len(ids) == window:
                    return ids
                # At most 16 times as far back.
                span = span * 2 * window // max(len(ids), -(-window // 8))
        self.cursor.execute(sql + newest, params)
        return [int(row[0]) for row in self.cursor.fetchall()]

    def _newest_walked(
        self, source: _Source, exclude: Sequence[int], window: int
    ) -> list[int] | None:
        """The newest `window` articles the index finds for a part most articles hold,
        read from the newest article back (each one's index entry read from TOAST), at
        most WALK times `window` articles, or twice as many as its density says hold
        `window`, up to MAX_WALK; None where those hold fewer, or where MAX_WALK would not.

        For 的, in 70,000 of 75,000 articles, that reads about 110 articles (1 ms) where
        the index's bitmap sorts all 70,000 (17 to 25 ms). For 一带一路, in one article
        of twenty at 1,000,000, about 4,000 (5 ms) where the index's bitmap alone, of its
        50,826 matches, takes 7 ms."""
        walk = WALK * window
        if source.density:
            needed = 2 * window / source.density
            if needed > MAX_WALK:
                return None
            walk = max(walk, int(needed) + 1)
        conditions, params = list(self.where), list(self.params)
        if exclude:
            conditions.append("NOT d.article_id = ANY(%s)")
            params.append(list(exclude))
        condition, condition_params = source.rough
        # A walk along the primary key, and no bitmap.
        rows = self._walked(
            f"SELECT d.article_id FROM (SELECT * FROM {TABLE} d WHERE {' AND '.join(conditions)}"
            " ORDER BY d.article_id DESC LIMIT %s) d"
            f" WHERE {condition} ORDER BY d.article_id DESC LIMIT %s",
            [*params, walk, *condition_params, window],
            bitmaps=False,
        )
        newest = [int(row[0]) for row in rows]
        return newest if len(newest) == window else None

    def _recency(self) -> tuple[str, list[Any]]:
        b = self.backend
        return (
            f"(1.0 + {b.recency_weight!r} / (1.0 + GREATEST(0, EXTRACT(EPOCH FROM"
            f" (%s - published))) / {b.recency_days * SECONDS_PER_DAY!r}))",
            [self.now],
        )
