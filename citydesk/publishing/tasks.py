"""Purges follow content changes as durable tasks (connected in PublishingConfig.ready()).

Content stores one of these tasks in the transaction of each change (citydesk.content.
signals); it turns the change's before and after into the URLs that showed the content
(`affected`) and purges them through every backend. A backend that fails makes the task
fail, and it is retried, with backoff, until it succeeds: a purge lost to a full disk or
a CDN outage would leave pages stale for a day (s-maxage). Purging twice is harmless.
"""

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.utils import timezone

from citydesk.content.signals import ArticleState
from citydesk.core.tasks import Policy, follow_up
from citydesk.publishing import affected, keys
from citydesk.publishing.backends import purge_backends
from citydesk.publishing.purge import purge_affected, purge_urls

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
    return _purge(change)


@follow_up(UNTIL_DONE, label="清除导入稿件相关页面的缓存")
def purge_new_articles(article_ids: list[int]) -> int:
    return _purge(affected.for_new_articles(article_ids))


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
    return _purge(affected.for_related_change(related, before, after, article_ids, instance_id))


@follow_up(UNTIL_DONE, label="清除图文直播更新的缓存")
def purge_live_updates(article_id: int, page: bool = False) -> int:
    return _purge(affected.for_live_updates(article_id, page=page))


# A render that read the old data before a change committed and finished after its purge
# would be kept by a shared cache (Varnish, a CDN) for its s-maxage, a day: the local page
# cache refuses such a render (`rendered_since`), a shared cache cannot tell. So the same
# keys are purged again once no render begun before the purge can still be under way
# (Varnish gives a node 30 s to start its answer: deploy/varnish).
REPURGE_AFTER = timedelta(seconds=40)


def _purge(change: affected.Affected) -> int:
    purged = purge_affected(change)
    if change and any(backend.by_key for backend in purge_backends.all()):
        later = purge_keys_again.using(run_after=timezone.now() + REPURGE_AFTER)
        later.enqueue(keys.for_affected(change))
    return len(purged)


@follow_up(UNTIL_DONE, label="再次清除共享缓存", after_commit=False)
def purge_keys_again(purged: list[str]) -> int:
    """The keys of a change, purged again from the shared caches (see REPURGE_AFTER)."""
    return len(purge_urls([], purged, by_key_only=True))


def connect() -> None:
    from citydesk.content import signals

    signals.article_changed.connect(purge_article_change)
    signals.articles_bulk_created.connect(purge_new_articles)
    signals.related_changed.connect(purge_related_change)
    signals.live_updated.connect(purge_live_updates)
