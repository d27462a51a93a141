from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from citydesk.content.actions import ArticleData, create_article
from citydesk.content.models import Article
from citydesk.core import text
from citydesk.search import backends, dictionary

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fresh_search_state(monkeypatch):
    """Each test starts with an empty local dictionary and freshly loaded backends."""
    monkeypatch.setattr(text, "segmenter", text.Segmenter())
    dictionary.forget()
    backends.reset()
    yield
    backends.reset()


def at(year: int, month: int = 1, day: int = 1, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def make_article(
    title: str,
    body: str = "",
    *,
    published_at: datetime | None = None,
    source: str = "",
    channels: list[str] | None = None,
    tags: list[str] | None = None,
    credits: list[tuple[str, str]] | None = None,
    status: str = Article.Status.PUBLISHED,
) -> Article:
    """An article through the newsroom's own action (its signals fire after commit)."""
    return create_article(
        ArticleData(
            title=title,
            body=[{"type": "paragraph", "text": line} for line in body.split("\n") if line],
            published_at=published_at or at(2024),
            source=source,
            channels=channels or [],
            tags=tags or [],
            credits=credits or [],
        ),
        status=status,
    )
