"""The index follows content as durable tasks (connected in SearchConfig.ready()).

Publish and edit index the article; unpublish, retract and delete remove it (the action
looks at the stored status when the task runs, so one path serves all, and a task that
runs late or twice does what the article's state now asks, no more). A failure raises,
and the task is retried with backoff.
"""

from typing import Any

from citydesk.core.tasks import follow_up
from citydesk.search import actions, dictionary


@follow_up(label="更新稿件的搜索索引")
def index_article_change(
    article_id: int, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    if after is None:
        actions.unindex_articles([article_id])
    else:
        actions.index_articles([article_id])


@follow_up(label="为导入的稿件建立搜索索引")
def index_new_articles(article_ids: list[int]) -> None:
    actions.index_articles(article_ids)


@follow_up(label="更新人名或标签的搜索索引")
def index_related_change(
    model: str,
    instance_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    article_ids: list[int],
) -> None:
    # Tag and people names are indexed text; channels and topics only filter or list.
    if model not in ("content.person", "content.tag"):
        return
    if model == "content.person":
        dictionary.mark_changed()
    actions.index_articles(article_ids)


def connect() -> None:
    from citydesk.content import signals

    signals.article_changed.connect(index_article_change)
    signals.articles_bulk_created.connect(index_new_articles)
    signals.related_changed.connect(index_related_change)
