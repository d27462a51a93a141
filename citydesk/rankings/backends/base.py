"""What every ranking backend does, and the values that pass through it.

A backend de-duplicates views (a visitor's view of an article counts once in
DEDUP_SECONDS), counts them in hourly buckets and keeps sliding-window totals of those
buckets (24 hours, 7 days, 30 days), site-wide and per channel. Windows slide by the
hour: "day" is the current hour and the 23 before it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

DEDUP_SECONDS = 30 * 60
HOUR = 3600
# Window name -> hours it spans, the current one included.
WINDOWS = {"day": 24, "week": 7 * 24, "month": 30 * 24}


@dataclass(frozen=True)
class View:
    """One beacon that passed the checks: who (a salted hash), what, when, where filed."""

    key: int  # signed 64-bit hash of the visitor's signals and the article
    article_id: int
    at: float  # seconds since the epoch
    channel_ids: tuple[int, ...] = field(default=())  # the article's channels and parents


def hour_of(at: float) -> int:
    return int(at // HOUR)


class RankingBackend:
    """Base class: named in settings.RANKING_BACKENDS, one instance per alias and process."""

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        self.alias = alias
        self.options: dict[str, Any] = params.get("OPTIONS", {})

    def problem(self) -> str | None:
        """Why it cannot serve now (its server refuses), or None (checked at start-up)."""
        return None

    def record(self, views: Sequence[View], now: float) -> int:
        """De-duplicate `views`, count the rest; returns how many counted. Atomic: a batch
        counts whole or not at all. `now` rolls the windows forward."""
        raise NotImplementedError

    def top(
        self, window: str, *, channel_id: int | None = None, limit: int = 10
    ) -> list[tuple[int, int]]:
        """(article id, views) in `window`, most viewed first."""
        raise NotImplementedError

    def views(self, article_ids: Sequence[int], window: str) -> dict[int, int]:
        """Views in `window` of each article that has any."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def state_size(self) -> dict[str, int]:
        """How much the backend holds (rows or keys by kind), for the memory bound."""
        raise NotImplementedError


def check_window(window: str) -> int:
    if window not in WINDOWS:
        raise ValueError(f"unknown ranking window {window!r}; one of {', '.join(WINDOWS)}")
    return WINDOWS[window]
