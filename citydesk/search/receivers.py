"""The index follows content: content's after-commit signals update it.

Publish and edit index the article; unpublish, retract and delete remove it (the action
looks at the stored status, so one path serves all). A failure is logged, not raised:
the content change has committed already, and `citydesk reindex` repairs the index.
"""

import logging
from typing import Any

from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save

from citydesk.content import signals
from citydesk.content.models import Person, Tag
from citydesk.search import actions, backends, dictionary
from citydesk.search.models import DictionaryWord

logger = logging.getLogger(__name__)


def on_article_changed(sender: Any, *, article_id: int, after: Any = None, **kwargs: Any) -> None:
    try:
        if after is None:
            actions.unindex_articles([article_id])
        else:
            actions.index_articles([article_id])
    except Exception:
        logger.exception("search index: article %s not updated", article_id)


def on_articles_bulk_created(sender: Any, *, article_ids: list[int], **kwargs: Any) -> None:
    try:
        actions.index_articles(article_ids)
    except Exception:
        logger.exception("search index: %d new articles not indexed", len(article_ids))


def on_related_changed(
    sender: Any, *, instance_id: int, article_ids: list[int], **kwargs: Any
) -> None:
    # Tag and people names are indexed text; channels and topics only filter or list.
    if sender not in (Person, Tag):
        return
    if sender is Person:
        dictionary.mark_changed()
    try:
        actions.index_articles(article_ids)
    except Exception:
        logger.exception("search index: articles naming %s %s not updated", sender, instance_id)


def on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("SEARCH_BACKENDS", "DATABASES"):
        backends.reset()


def connect() -> None:
    signals.article_changed.connect(on_article_changed, dispatch_uid="search.article")
    signals.articles_bulk_created.connect(on_articles_bulk_created, dispatch_uid="search.bulk")
    signals.related_changed.connect(on_related_changed, dispatch_uid="search.related")
    for model in (DictionaryWord, Person):
        post_save.connect(dictionary.mark_changed, sender=model, dispatch_uid=f"search.{model}")
        post_delete.connect(dictionary.mark_changed, sender=model, dispatch_uid=f"search.d{model}")
    setting_changed.connect(on_setting_changed, dispatch_uid="search.settings")
