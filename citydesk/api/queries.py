"""Every read the API makes: articles with what their ninjs names, and the lists."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from citydesk.api import cursors
from citydesk.content.models import (
    Article,
    ArticleCredit,
    Channel,
    Person,
    Tag,
    Topic,
)

MAX_LIMIT = 100


def with_links(articles: QuerySet[Article]) -> list[Article]:
    """Articles with their editor, byline, channels, tags and published topics: what
    their ninjs names, in five queries for any number of them.

    The links are handed to each article as plain lists where the ORM keeps what it
    prefetched (so `article.tags.all()` reads them): Django's own prefetch builds a
    queryset per article and relation, 0.7 ms an article, four times what the rest of
    its ninjs costs."""
    found = list(articles.select_related("responsible_editor"))
    ids = [a.pk for a in found]
    links: dict[int, dict[str, list[Any]]] = {
        pk: {"credits": [], "channels": [], "tags": [], "topics": []} for pk in ids
    }
    if ids:
        credits = ArticleCredit.objects.filter(article_id__in=ids).select_related("person")
        for credit in credits.order_by("position", "id"):
            links[credit.article_id]["credits"].append(credit)
        # Each linked row with its article's id beside it: one model a row, not two.
        related: list[tuple[str, QuerySet[Any]]] = [
            (
                "channels",
                Channel.objects.filter(articles__in=ids)
                .annotate(linked_to=F("articles"))
                .order_by("position", "id"),
            ),
            (
                "tags",
                Tag.objects.filter(articles__in=ids)
                .annotate(linked_to=F("articles"))
                .order_by("name", "id"),
            ),
            (
                "topics",
                Topic.objects.filter(is_published=True, topicarticle__article_id__in=ids)
                .annotate(linked_to=F("topicarticle__article_id"))
                .order_by("topicarticle__position", "id"),
            ),
        ]
        for name, rows in related:
            for row in rows:
                links[row.linked_to][name].append(row)
    for article in found:
        article._prefetched_objects_cache = links[article.pk]  # type: ignore[attr-defined]
    return found


@dataclass(frozen=True)
class ArticleFilters:
    channel: str = ""
    topic: str = ""
    tag: str = ""
    person: str = ""
    since: datetime | None = None
    until: datetime | None = None
    updated_since: datetime | None = None


@dataclass
class Page:
    articles: list[Article]
    next_cursor: str | None


def article_list(
    visible: QuerySet[Article],
    filters: ArticleFilters,
    *,
    cursor: str = "",
    limit: int = 20,
    by_change: bool = False,
) -> Page:
    """One page of `visible` under the filters: newest first by publish time, or, with
    `updated_since` or `by_change` (pieces not live yet, most without a publish time),
    oldest change first (a partner syncing reads on until the end).

    Raises cursors.BadCursor for a cursor this list did not make."""
    articles = visible
    if filters.channel:
        # A channel's list holds its sub-channels' articles too, as on the site.
        articles = articles.filter(
            Q(channels__slug=filters.channel) | Q(channels__parent__slug=filters.channel)
        )
    if filters.topic:
        articles = articles.filter(topics__slug=filters.topic, topics__is_published=True)
    if filters.tag:
        articles = articles.filter(tags__slug=filters.tag)
    if filters.person:
        articles = articles.filter(
            Q(credits__person__slug=filters.person) | Q(responsible_editor__slug=filters.person)
        )
    if filters.since is not None:
        articles = articles.filter(published_at__gte=filters.since)
    if filters.until is not None:
        articles = articles.filter(published_at__lt=filters.until)
    if filters.updated_since is not None or by_change:
        order, field = "updated", "updated_at"
        if filters.updated_since is not None:
            articles = articles.filter(updated_at__gte=filters.updated_since)
        if cursor:
            when, pk = cursors.read(cursor, order)
            articles = articles.filter(Q(updated_at__gt=when) | Q(updated_at=when, pk__gt=pk))
        articles = articles.order_by("updated_at", "id")
    else:
        order, field = "published", "published_at"
        if cursor:
            when, pk = cursors.read(cursor, order)
            articles = articles.filter(Q(published_at__lt=when) | Q(published_at=when, pk__lt=pk))
        articles = articles.order_by("-published_at", "-id")
    # Several links may match one article (a channel and its parent): each once.
    if filters.channel or filters.person:
        articles = articles.distinct()
    found = with_links(articles.defer("body")[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    last = found[-1] if found and more else None
    next_cursor = cursors.make(order, getattr(last, field), last.pk) if last else None
    return Page(found, next_cursor)


def live() -> QuerySet[Article]:
    return Article.objects.published()


def live_or_withdrawn() -> QuerySet[Article]:
    """Live articles, and those taken down or retracted (a syncing partner must hear of
    them: they come as stubs, without their content)."""
    withdrawn = (Article.Status.UNPUBLISHED, Article.Status.RETRACTED)
    return Article.objects.filter(
        Q(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())
        | Q(status__in=withdrawn)
    )


def article(pk: int) -> Article | None:
    """The article in any state, with its links (the caller decides who may see it)."""
    return next(iter(with_links(Article.objects.filter(pk=pk))), None)


def channels() -> QuerySet[Channel]:
    return Channel.objects.order_by("position", "id")


def topics() -> QuerySet[Topic]:
    return Topic.objects.filter(is_published=True).order_by("position", "-created_at", "id")


def people() -> QuerySet[Person]:
    """People with a live article's byline (or as its 责编): those a reader can find."""
    live_ids = Article.objects.filter(
        status=Article.Status.PUBLISHED, published_at__lte=timezone.now()
    ).values("pk")
    return (
        Person.objects.filter(Q(credits__article__in=live_ids) | Q(edited_articles__in=live_ids))
        .distinct()
        .order_by("name", "id")
    )
