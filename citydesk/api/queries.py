"""Every read the API makes: articles with what their ninjs names, and the lists."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from citydesk.api import cursors
from citydesk.content.models import Article, ArticleCredit, Channel, Person, Tag, Topic

MAX_LIMIT = 100


def with_links(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Articles with their editor, byline, channels, tags and published topics: what
    their ninjs names, in five queries for any number of them."""
    return articles.select_related("responsible_editor").prefetch_related(
        Prefetch(
            "credits", ArticleCredit.objects.select_related("person").order_by("position", "id")
        ),
        "channels",
        "tags",
        Prefetch("topics", Topic.objects.filter(is_published=True)),
    )


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
    visible: QuerySet[Article], filters: ArticleFilters, *, cursor: str = "", limit: int = 20
) -> Page:
    """One page of `visible` under the filters: newest first by publish time, or, with
    `updated_since`, oldest change first (a partner syncing reads on until the end).

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
    if filters.updated_since is not None:
        order, field = "updated", "updated_at"
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
    found = list(with_links(articles.defer("body"))[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    last = found[-1] if found and more else None
    next_cursor = cursors.make(order, getattr(last, field), last.pk) if last else None
    return Page(found, next_cursor)


def live() -> QuerySet[Article]:
    return Article.objects.published()


def article(pk: int) -> Article | None:
    """The article in any state, with its links (the caller decides who may see it)."""
    return with_links(Article.objects.filter(pk=pk)).first()


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


def tags() -> QuerySet[Tag]:
    return Tag.objects.order_by("name", "id")
