"""Purges follow content changes as durable tasks (connected in PublishingConfig.ready()).

Content stores one of these tasks in the transaction of each change (citydesk.content.
signals); it turns the change's before and after into the URLs that showed the content
(`affected`) and purges them through every backend. A backend that fails makes the task
fail, and it is retried, with backoff, until it succeeds: a purge lost to a full disk or
a CDN outage would leave pages stale for a day (s-maxage). Purging twice is harmless.
"""

from typing import Any

from django.apps import apps

from citydesk.content.signals import ArticleState
from citydesk.core.tasks import Policy, follow_up
from citydesk.publishing import affected
from citydesk.publishing.purge import purge_affected

# Until it succeeds: a stale page is wrong for every reader until it is purged.
UNTIL_DONE = Policy(max_attempts=None, first_delay=1.0, max_delay=300.0)


@follow_up(UNTIL_DONE, label="清除稿件相关页面的缓存")
def purge_article_change(
    article_id: int, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> int:
    """Purge what showed the article before the change and what shows it now."""
    change = affected.for_article_change(
        ArticleState.from_json(before), ArticleState.from_json(after)
    )
    return len(purge_affected(change))


@follow_up(UNTIL_DONE, label="清除导入稿件相关页面的缓存")
def purge_new_articles(article_ids: list[int]) -> int:
    return len(purge_affected(affected.for_new_articles(article_ids)))


@follow_up(UNTIL_DONE, label="清除栏目、专题、人物或标签页面的缓存")
def purge_related_change(
    model: str,
    instance_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    article_ids: list[int],
) -> int:
    """A channel, topic, person or tag changed (created: before None; deleted: after None)."""
    related = apps.get_model(model)
    if related not in affected.WATCHED:
        return 0
    return len(purge_affected(affected.for_related_change(related, before, after, article_ids)))


def connect() -> None:
    from citydesk.content import signals

    signals.article_changed.connect(purge_article_change)
    signals.articles_bulk_created.connect(purge_new_articles)
    signals.related_changed.connect(purge_related_change)
