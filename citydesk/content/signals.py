"""What content actions announce, and the tasks other apps connect to each announcement.

Other apps (the page-cache purge, the search index) connect a task here in their
AppConfig.ready(), so content never imports them. An announcement is made inside the
changing transaction (citydesk.content.actions' unit of work) and stores one durable task
per follower (citydesk.core.tasks): a change that commits has its follow-ups stored, one
that rolls back has none. Payloads are JSON: states travel as `ArticleState.to_json()`.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from citydesk.core.tasks import Announcement

# kwargs: article_id: int, before: dict | None, after: dict | None (ArticleState.to_json();
# before is None for a new article, after is None for a deleted one).
article_changed = Announcement("article_changed")

# kwargs: article_ids: list[int]. A bulk import batch: brand-new articles only, so there
# is no "before" to purge.
articles_bulk_created = Announcement("articles_bulk_created")

# kwargs: model: str ("content.channel", …), instance_id: int, before: dict | None,
# after: dict | None (every concrete field by attname; None for created / deleted),
# article_ids: list[int] (the live articles that show it, whose pages name it).
related_changed = Announcement("related_changed")

# kwargs: article_id: int, page: bool. A live article's updates changed (posted, edited,
# pinned, deleted): its updates fragment is stale; with `page` (an edit or a deletion,
# whose old text its page's JSON-LD holds) its page too.
live_updated = Announcement("live_updated")

# kwargs: image_id: int. A library image stored or changed whose renditions are missing.
image_saved = Announcement("image_saved")


@dataclass(frozen=True)
class ArticleState:
    """What of an article decides which pages show it; taken before and after a change."""

    article_id: int
    live: bool
    page_count: int
    channel_ids: frozenset[int]
    topic_ids: frozenset[int]
    person_ids: frozenset[int]
    tag_ids: frozenset[int]
    # Decides which month's article sitemap lists it (and the news sitemap's 48 hours).
    published_at: datetime | None = None
    # Tells a retraction from a taking-down (the API's webhooks); "" in states stored
    # before it was recorded.
    status: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "live": self.live,
            "page_count": self.page_count,
            "channel_ids": sorted(self.channel_ids),
            "topic_ids": sorted(self.topic_ids),
            "person_ids": sorted(self.person_ids),
            "tag_ids": sorted(self.tag_ids),
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "status": self.status,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "ArticleState | None":
        if data is None:
            return None
        published = data.get("published_at")
        return cls(
            article_id=int(data["article_id"]),
            live=bool(data["live"]),
            page_count=int(data["page_count"]),
            channel_ids=frozenset(data["channel_ids"]),
            topic_ids=frozenset(data["topic_ids"]),
            person_ids=frozenset(data["person_ids"]),
            tag_ids=frozenset(data["tag_ids"]),
            published_at=datetime.fromisoformat(published) if published else None,
            status=str(data.get("status", "")),
        )
