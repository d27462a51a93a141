"""What content actions announce once their transaction has committed.

Other apps (page cache purge, search index, rankings) listen here instead of being called
by content, so content never imports them. Every signal is sent from
`transaction.on_commit`, so a receiver never sees a change that was rolled back.
"""

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal

# sender=Article; kwargs: article_id: int, before: ArticleState | None, after: ArticleState | None
# (before is None for a new article, after is None for a deleted one).
article_changed = Signal()

# sender=Article; kwargs: article_ids: list[int]. Sent after a bulk import batch commits:
# brand-new articles only, so there is no "before" to purge.
articles_bulk_created = Signal()

# sender=Channel / Topic / Person / Tag; kwargs: instance_id: int, article_ids: list[int]
# (the live articles that show it, whose pages name it).
related_changed = Signal()


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
