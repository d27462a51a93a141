"""Reads of the rankings: the 热点排行 box and the /hot/ pages."""

from dataclasses import dataclass

from citydesk.content import queries as content_queries
from citydesk.content.models import Article
from citydesk.core import fresh
from citydesk.rankings.backends import get_backend
from citydesk.rankings.backends.base import WINDOWS

# A ranking is read from the backend at most this often per process; with the fragment's
# own max-age (publishing.http.FRAGMENT_MAX_AGE) a reader sees counts at most a minute old.
FRESH_SECONDS = 30.0
WINDOW_NAMES = {"day": "24小时", "week": "7天", "month": "30天"}
assert set(WINDOW_NAMES) == set(WINDOWS)


@dataclass(frozen=True)
class Ranked:
    article: Article
    views: int


def _top(window: str, channel_id: int | None, limit: int) -> list[tuple[int, int]]:
    return fresh.remembered(
        ("rankings", window, channel_id, limit),
        FRESH_SECONDS,
        lambda: get_backend().top(window, channel_id=channel_id, limit=limit),
    )


def hot(window: str = "day", *, channel_id: int | None = None, limit: int = 10) -> list[Ranked]:
    """The most viewed live articles in `window`; an article taken down never shows, even
    while its views are still in the ranking."""
    # Read a few more than asked, so that articles taken down leave no hole.
    rows = _top(window, channel_id, limit * 2)
    live = content_queries.cards(content_queries.live_among([pk for pk, _ in rows]))
    articles = {a.pk: a for a in live}
    ranked = [Ranked(articles[pk], views) for pk, views in rows if pk in articles]
    return ranked[:limit]


def forget() -> None:
    """Drop the per-process copies (tests, and right after a bulk change)."""
    fresh.forget()


def views(article_ids: list[int], window: str) -> dict[int, int]:
    """Views of each article in `window` (one of WINDOWS); an article without any is left
    out. For reports (稿费, 绩效), read afresh."""
    return get_backend().views(article_ids, window) if article_ids else {}
