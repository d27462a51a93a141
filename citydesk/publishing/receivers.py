"""Purge on content changes: connected in PublishingConfig.ready().

Content announces its changes after commit (citydesk.content.signals); here each
announcement becomes the list of URLs that showed the content, and a purge of them.
For channels, topics, people and tags the announcement says which one changed, not how:
a snapshot taken just before the save (pre_save), handed over when the save commits,
tells a rename, which every article page naming it shows, from a new bio, which only the
person's own pages show.
"""

import threading
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_save, pre_delete, pre_save

from citydesk.content import actions, signals
from citydesk.content.models import Article
from citydesk.content.signals import ArticleState
from citydesk.publishing import affected
from citydesk.publishing.purge import purge_affected

MAX_PENDING = 1000  # snapshots of committed saves that were never announced

_local = threading.local()


def _pending() -> dict[tuple[type[Model], Any], dict[str, Any] | None]:
    if not hasattr(_local, "snapshots"):
        _local.snapshots = {}
    pending: dict[tuple[type[Model], Any], dict[str, Any] | None] = _local.snapshots
    return pending


def article_changed(
    sender: Any,
    *,
    article_id: int,
    before: ArticleState | None,
    after: ArticleState | None,
    **kwargs: Any,
) -> None:
    purge_affected(affected.for_article_change(before, after))


def articles_bulk_created(sender: Any, *, article_ids: list[int], **kwargs: Any) -> None:
    purge_affected(affected.for_new_articles(article_ids))


def related_changed(
    sender: type[Model], *, instance_id: Any, article_ids: list[int], **kwargs: Any
) -> None:
    if sender not in affected.WATCHED:
        return
    # No snapshot: a creation (or an announcement without a save): treat all as changed.
    old = _pending().pop((sender, instance_id), None)
    new = affected.snapshot(sender, instance_id)
    purge_affected(affected.for_related_change(sender, old, new, article_ids))


def remember_before_save(
    sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    before = affected.snapshot(sender, instance.pk) if instance.pk is not None else None
    instance.__dict__["_citydesk_before"] = before


def hand_over_after_save(
    sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any
) -> None:
    """Pass the snapshot to the announcement's receiver, but only once the save commits:
    a rolled-back save leaves nothing behind, and its callbacks run before the
    announcement's, which content queues after the save."""
    if raw:
        return
    key = (sender, instance.pk)
    before = instance.__dict__.pop("_citydesk_before", None)

    def keep() -> None:
        pending = _pending()
        if len(pending) >= MAX_PENDING:
            pending.clear()
        # The first save's snapshot is what readers saw before this change. One left by a
        # save that was never announced is older still: it can only widen a purge.
        pending.setdefault(key, before)

    transaction.on_commit(keep)


def announce_before_delete(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """Deleting a channel, topic, person or tag is a change too, and content's actions
    do not announce it: announce it here while its articles can still be found."""
    remember_before_save(sender, instance)
    hand_over_after_save(sender, instance)
    actions.announce_related_change(instance)  # type: ignore[arg-type]


def connect() -> None:
    uid = "citydesk.publishing"
    signals.article_changed.connect(article_changed, sender=Article, dispatch_uid=uid)
    signals.articles_bulk_created.connect(articles_bulk_created, dispatch_uid=uid)
    signals.related_changed.connect(related_changed, dispatch_uid=uid)
    for model in affected.WATCHED:
        pre_save.connect(remember_before_save, sender=model, dispatch_uid=uid)
        post_save.connect(hand_over_after_save, sender=model, dispatch_uid=uid)
        pre_delete.connect(announce_before_delete, sender=model, dispatch_uid=uid)
