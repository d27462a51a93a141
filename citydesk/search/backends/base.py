"""What every search backend does, and the values that pass through it.

A backend stores one document per published article (its text already folded and
segmented by `citydesk.core.text`) and answers `citydesk.core.text.Query` objects. It
never sees what a reader typed, so no query string can reach the database's own query
syntax. A feature a backend lacks raises NotImplementedError.
"""

import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

from citydesk.core import replica
from citydesk.core.text import Query

SECONDS_PER_DAY = 86_400
COUNT_CAP = 10_000  # "about 10,000 results" is as much as a reader needs to know
# For articles holding the fragments: the weight of the body and of the words beside the
# title's (the title decides; they break near ties).
SECONDARY = 0.1


@dataclass(frozen=True)
class IndexDocument:
    """One article as the index holds it: the title, body and meta fields are space-joined
    word tokens; folded_title and folded_body the folded text itself, for the character
    index (`citydesk.core.text.bigram_runs`)."""

    article_id: int
    title: str
    body: str
    meta: str  # tags, people, source: what the page names besides its text
    published_at: datetime
    source: str = ""
    folded_title: str = ""
    folded_body: str = ""


@dataclass
class Prepared:
    """Documents as one backend stores them: the ids, and rows for each of its tables."""

    article_ids: list[int]
    rows: dict[str, list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Filters:
    """Restrictions a reader picks; `now` hides articles whose publish time is ahead."""

    now: datetime
    channel_ids: tuple[int, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    source: str = ""


class Tier(enum.IntEnum):
    """How an article holds a query, strongest first: the order of results comes first
    from this, then from the score (see docs/search.md)."""

    TITLE = 1  # every fragment, as typed, in the title
    TEXT = 2  # every fragment in the title or the body
    ALL_WORDS = 3  # every word
    SOME_WORDS = 4  # some of the words (only where few articles hold the whole query)


@dataclass(frozen=True)
class Hit:
    article_id: int
    score: float  # higher is better; comparable within one tier of one result list only
    tier: int = Tier.ALL_WORDS


@dataclass
class Results:
    total: int
    hits: list[Hit] = field(default_factory=list)


class SearchBackend:
    """Base class: named in settings.SEARCH_BACKENDS, one instance per alias and process.

    OPTIONS (all optional): TITLE_WEIGHT and META_WEIGHT (relative to the body's 1),
    RECENCY_WEIGHT (how much more a brand-new article scores than an old one: 0.02 = 2%,
    a tie-breaker)
    and RECENCY_DAYS (the age at which half of that boost is gone); RANK_LIMIT (a query
    matching more articles than this is ranked among the newest RANK_LIMIT: ranking costs
    time for every match); COMMON_RANK_LIMIT (the same for a query COUNT_CAP articles or
    more hold, too common to tell many apart: its newest COMMON_RANK_LIMIT, and as many
    more for each further COMMON_RANK_LIMIT results a page reaches); WEAK_LIMIT (where at
    most this many articles hold the whole query, those with some of its words follow
    them); DATABASE (the database alias).
    """

    vendor = ""  # the database vendor this backend needs
    rank_limit_default = 500
    # Up to this many matches in all (by the sources' own counts), the total is counted
    # exactly, as the union of the sources; beyond, it is the larger count ("about N").
    exact_count = 2000

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        self.alias = alias
        options = params.get("OPTIONS", {})
        self.using: str = options.get("DATABASE", "default")
        self.title_weight = float(options.get("TITLE_WEIGHT", 10.0))
        self.meta_weight = float(options.get("META_WEIGHT", 3.0))
        self.recency_weight = float(options.get("RECENCY_WEIGHT", 0.02))
        self.recency_days = float(options.get("RECENCY_DAYS", 365.0))
        self.rank_limit = max(1, int(options.get("RANK_LIMIT", self.rank_limit_default)))
        self.common_rank_limit = max(1, int(options.get("COMMON_RANK_LIMIT", 100)))
        self.weak_limit = max(0, int(options.get("WEAK_LIMIT", 100)))

    @property
    def connection(self) -> BaseDatabaseWrapper:
        return connections[self.using]

    @property
    def reader(self) -> BaseDatabaseWrapper:
        """The connection searches read: the replica's in a reader's request that reads
        it (core.replica), as the rest of its page does; the index's own otherwise."""
        if self.using == DEFAULT_DB_ALIAS:
            return connections[replica.reading()]
        return self.connection

    def is_usable(self) -> bool:
        return self.connection.vendor == self.vendor

    def add(self, document: IndexDocument) -> None:
        self.add_bulk([document])

    def add_bulk(self, documents: Iterable[IndexDocument]) -> int:
        """Store documents, replacing any stored for the same articles; returns the count."""
        return self.write(self.prepare(documents))

    def prepare(self, documents: Iterable[IndexDocument]) -> Prepared:
        """The rows `write` stores for these documents: work for the CPU alone, with no
        database, so that a rebuild prepares one batch while the database writes the last."""
        raise NotImplementedError

    def write(self, prepared: Prepared) -> int:
        """Store prepared documents (see `add_bulk`); returns the count."""
        raise NotImplementedError

    def delete(self, article_ids: Iterable[int]) -> None:
        raise NotImplementedError

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
        """Matches of `query`, best first (sort="relevance": by tier, then score) or newest
        first ("time"; the articles of tiers 1 to 3).

        `count=False` skips counting every match (total is then the hits' length);
        `title_only` matches titles alone (suggestions as you type).
        """
        if query.is_empty:
            return Results(total=0)
        with self.reader.cursor() as cursor:
            matcher = self.matcher(cursor, query, filters, title_only=title_only)
            if sort == "relevance" and matcher.sources == 2:
                return self._fragments_and_words(matcher, limit, offset, count, title_only)
            if sort == "relevance":
                hits = matcher.ranked(limit, offset)
            else:
                hits = matcher.by_time(limit, offset)
            # The hits tell the total only when they are all there is.
            if count and (offset or len(hits) == limit):
                return Results(total=self._total(matcher, matcher.counts()), hits=hits)
            return Results(total=offset + len(hits), hits=hits)

    def _total(self, matcher: "Matcher", found: list[int]) -> int:
        """Exact while the sources find few articles; beyond, the larger of their counts
        ("about N": the sets overlap mostly, and each is counted up to COUNT_CAP, or
        past it where a backend counts without reading the matches)."""
        return matcher.count() if sum(found) <= self.exact_count else max(found)

    def _fragments_and_words(
        self, matcher: "Matcher", limit: int, offset: int, count: bool, title_only: bool
    ) -> Results:
        # How many articles each way finds tells which are needed: when the fragments
        # alone find more than RANK_LIMIT, no article with the words alone reaches a page
        # a reader opens.
        # The fragments alone fill the ranking from RANK_LIMIT on: no article with the
        # words alone reaches a page, and the words need no count.
        found = matcher.counts(enough=self.rank_limit)
        total = self._total(matcher, found)
        if not title_only and total <= min(self.weak_limit, self.rank_limit):
            return self._with_weak_tier(matcher, total, limit, offset, count)
        sources = 1 if found[0] >= self.rank_limit else matcher.sources
        hits = matcher.ranked(limit, offset, sources=sources)
        return Results(total=total if count else offset + len(hits), hits=hits)

    def _with_weak_tier(
        self, matcher: "Matcher", total: int, limit: int, offset: int, count: bool
    ) -> Results:
        """Few articles hold the whole query: those with some of its words follow them."""
        hits = matcher.ranked(total, 0)
        held = [h.article_id for h in hits]
        if offset + limit > total:
            hits += matcher.ranked(offset + limit - total, 0, weak=True, exclude=held)
        hits = hits[offset : offset + limit]
        if count:
            return Results(total=total + matcher.count(weak=True, exclude=held), hits=hits)
        return Results(total=offset + len(hits), hits=hits)

    def matcher(
        self, cursor: CursorWrapper, query: Query, filters: Filters, *, title_only: bool
    ) -> "Matcher":
        """The statements of one search on this backend."""
        raise NotImplementedError

    def indexed_ids(self, after: int = 0, limit: int = 1000) -> list[int]:
        """Article ids in the index, ascending, after `after` (for rebuilds)."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def optimize(self) -> None:
        """Compact the index after a large rebuild; a no-op where nothing needs doing."""

    def all_indexed_ids(self, batch: int = 5000) -> Iterator[int]:
        after = 0
        while ids := self.indexed_ids(after, batch):
            yield from ids
            after = ids[-1]


class Matcher:
    """One query under its filters on one backend: the articles of tiers 1 to 3 (those
    holding its fragments or all its words) or, with `weak`, of tier 4 (some words).

    Its `parts` are the ways it matches, strongest first: the fragments (tiers 1 and 2),
    then the words (tier 3); a query has one or both. A backend says in SQL how a part
    matches (`_matching`), is counted (`_counted`) and scored (`_scored`); the statements
    that combine them are the same on every backend and written here.
    """

    cursor: CursorWrapper
    backend: SearchBackend
    parts: list[Any]
    found: Sequence[int] = ()  # what `counts` found for each part, in order (not every part)
    weak: Any  # the words' part for tier 4
    combine = False  # whether an article with the fragments adds its words' score
    published = "published"  # the column of the publish time, as `published`

    @property
    def sources(self) -> int:
        return len(self.parts)

    def _matching(
        self, part: Any, *, columns: str = "", exclude: Sequence[int] = ()
    ) -> tuple[str, list[Any]]:
        """SELECT of the articles (`id`, then `columns`) a part matches under the
        filters, less `exclude`."""
        raise NotImplementedError

    def _counted(
        self, part: Any, exclude: Sequence[int] = (), *, exact: bool = True
    ) -> tuple[str, list[Any]]:
        """Like `_matching`, or a cheaper SELECT of about the same ids (`exact=False`:
        for the capped counts that only tell "about N")."""
        return self._matching(part, exclude=exclude)

    def _scored(
        self,
        part: Any,
        exclude: Sequence[int],
        *,
        window: int,
        common: bool = False,
        matches: int = 0,
    ) -> tuple[str, list[Any]]:
        """SELECT of `id, tier, s, published` (s: higher is better) of the articles a
        part matches, its newest `window` at most; `common`: COUNT_CAP articles or more
        hold it; `matches`: how many `counts` found (0: not counted)."""
        raise NotImplementedError

    def _recency(self) -> tuple[str, list[Any]]:
        """The factor for the column `published` (1 for an old article, a little more for
        a new one), and its parameters."""
        raise NotImplementedError

    def count(self, *, weak: bool = False, exclude: Sequence[int] = ()) -> int:
        """The articles matched (by any part), less `exclude`."""
        parts = [self._counted(p, exclude) for p in ([self.weak] if weak else self.parts)]
        self.cursor.execute(
            f"SELECT count(*) FROM ({' UNION '.join(sql for sql, _ in parts)}) AS u",
            [p for _, params in parts for p in params],
        )
        return int(self.cursor.fetchone()[0])

    def counts(self, enough: int = COUNT_CAP) -> list[int]:
        """The articles each part matches, each counted up to COUNT_CAP (a count costs
        time for every match; a backend that can count without reading them may count
        past it); once a part finds `enough`, the later ones are not
        counted (the total is then about that many, and the ranking that asks for
        fewer ranks that part alone)."""
        found: list[int] = []
        for part in self.parts:
            if found and found[-1] >= min(COUNT_CAP, enough):
                break
            found.append(self._count(part, COUNT_CAP))
        self.found = found
        return found

    def _count(self, part: Any, cap: int) -> int:
        """The articles a part matches, up to `cap` (by `_counted`, not exact); a
        backend may count past `cap` where that costs no more."""
        sql, params = self._counted(part, exact=False)
        self.cursor.execute(f"SELECT count(*) FROM ({sql} LIMIT %s) AS c", [*params, cap])
        return int(self.cursor.fetchone()[0])

    def by_time(self, limit: int, offset: int) -> list[Hit]:
        """Newest first: the newest of each part, then the newest of those."""
        parts = [self._matching(p, columns=self.published) for p in self.parts]
        newest = [
            f"SELECT * FROM ({sql} ORDER BY published DESC LIMIT %s) AS n{i}"
            for i, (sql, _) in enumerate(parts)
        ]
        params = [p for _, part_params in parts for p in [*part_params, offset + limit]]
        self.cursor.execute(
            f"SELECT id FROM ({' UNION '.join(newest)}) AS u"
            " ORDER BY published DESC, id DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [Hit(int(row[0]), 0.0) for row in self.cursor.fetchall()]

    def ranked(
        self,
        limit: int,
        offset: int,
        *,
        sources: int = 2,
        weak: bool = False,
        exclude: Sequence[int] = (),
    ) -> list[Hit]:
        """Best first, by tier, then score, of the first `sources` parts (or, `weak`, of
        tier 4 alone); a part that matches more than RANK_LIMIT articles is ranked among
        the newest RANK_LIMIT of them (COMMON_RANK_LIMIT where counted at COUNT_CAP)."""
        ctes, params, selects = [], [], []
        ranking = [self.weak] if weak else self.parts[:sources]
        b = self.backend
        found = () if weak else self.found
        for i, part in enumerate(ranking):
            common = i < len(found) and found[i] >= COUNT_CAP
            window = b.rank_limit
            if common:
                # In steps, so that the pages of one step are cut from one ranking.
                steps = -(-(offset + limit) // b.common_rank_limit)
                window = min(b.rank_limit, steps * b.common_rank_limit)
            matches = found[i] if i < len(found) else 0
            sql, part_params = self._scored(
                part, exclude, window=window, common=common, matches=matches
            )
            ctes.append(f"s{i} AS MATERIALIZED ({sql})")
            params.extend(part_params)
            # An article takes the tier of the first part that has it.
            earlier = "".join(f" AND id NOT IN (SELECT id FROM s{j})" for j in range(i))
            selects.append(f"SELECT id, tier, s, published FROM s{i} WHERE 1 = 1{earlier}")
        if self.combine and len(ranking) == 2:
            # An article with the fragments scores its words too, at a tenth: they bring
            # in the tags and people (META_WEIGHT) and break near ties.
            selects[0] = (
                f"SELECT s0.id, s0.tier, s0.s + {SECONDARY!r} * coalesce(s1.s, 0.0) AS s,"
                " s0.published FROM s0 LEFT JOIN s1 ON s1.id = s0.id"
            )
        recency, recency_params = self._recency()
        self.cursor.execute(
            f"WITH {', '.join(ctes)} SELECT id, tier, s * {recency} AS score"
            f" FROM ({' UNION ALL '.join(selects)}) AS r"
            " ORDER BY tier, score DESC, id DESC LIMIT %s OFFSET %s",
            [*params, *recency_params, limit, offset],
        )
        return [Hit(int(pk), float(score), int(tier)) for pk, tier, score in self.cursor.fetchall()]
