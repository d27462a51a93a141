"""What every search backend does, and the values that pass through it.

A backend stores one document per published article (its text already folded and
segmented by `citydesk.core.text`) and answers `citydesk.core.text.Query` objects. It
never sees what a reader typed, so no query string can reach the database's own query
syntax. A feature a backend lacks raises NotImplementedError.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from citydesk.core.text import Query

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class IndexDocument:
    """One article as the index holds it; the three text fields are space-joined tokens."""

    article_id: int
    title: str
    body: str
    meta: str  # tags, people, source: what the page names besides its text
    published_at: datetime
    source: str = ""


@dataclass(frozen=True)
class Filters:
    """Restrictions a reader picks; `now` hides articles whose publish time is ahead."""

    now: datetime
    channel_ids: tuple[int, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    source: str = ""


@dataclass(frozen=True)
class Hit:
    article_id: int
    score: float  # higher is better; comparable within one result list only


@dataclass
class Results:
    total: int
    hits: list[Hit] = field(default_factory=list)


class SearchBackend:
    """Base class: named in settings.SEARCH_BACKENDS, one instance per alias and process.

    OPTIONS (all optional): TITLE_WEIGHT and META_WEIGHT (relative to the body's 1),
    RECENCY_WEIGHT (how much more a brand-new article scores than an old one: 0.1 = 10%)
    and RECENCY_DAYS (the age at which half of that boost is gone); RANK_LIMIT (a query
    matching more articles than this is ranked among the newest RANK_LIMIT: ranking costs
    time for every match); DATABASE (the database alias).
    """

    vendor = ""  # the database vendor this backend needs

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        self.alias = alias
        options = params.get("OPTIONS", {})
        self.using: str = options.get("DATABASE", "default")
        self.title_weight = float(options.get("TITLE_WEIGHT", 10.0))
        self.meta_weight = float(options.get("META_WEIGHT", 3.0))
        self.recency_weight = float(options.get("RECENCY_WEIGHT", 0.1))
        self.recency_days = float(options.get("RECENCY_DAYS", 365.0))
        self.rank_limit = max(1, int(options.get("RANK_LIMIT", 5000)))

    @property
    def connection(self) -> BaseDatabaseWrapper:
        return connections[self.using]

    def is_usable(self) -> bool:
        return self.connection.vendor == self.vendor

    def add(self, document: IndexDocument) -> None:
        self.add_bulk([document])

    def add_bulk(self, documents: Iterable[IndexDocument]) -> int:
        """Store documents, replacing any stored for the same articles; returns the count."""
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
        """Matches of `query`, best first (sort="relevance") or newest first ("time").

        `count=False` skips counting every match (total is then the hits' length);
        `title_only` matches titles alone (suggestions as you type).
        """
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
