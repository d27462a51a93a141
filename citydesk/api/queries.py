"""Every read the API makes: articles with what their ninjs names, and the lists."""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from citydesk.api import cursors
from citydesk.content.models import (
    Article,
    ArticleCredit,
    Channel,
    Person,
    Tag,
    Topic,
    TopicArticle,
)
from citydesk.core import rows
from citydesk.distribution import queries as distribution
from citydesk.distribution.queries import OutletState
from citydesk.syndication.meta import absolute_url

MAX_LIMIT = 100


class Named(NamedTuple):
    """A channel, topic, tag or person as ninjs names it: with its page on the site."""

    name: str
    slug: str
    uri: str


@dataclass
class Linked:
    """An article with what its ninjs names: its byline (role, person) in order, its
    责编, channels, published topics and tags."""

    article: Article
    credits: list[tuple[str, Named]] = field(default_factory=list)
    editor: Named | None = None
    channels: list[Named] = field(default_factory=list)
    topics: list[Named] = field(default_factory=list)
    tags: list[Named] = field(default_factory=list)


def with_links(articles: QuerySet[Article]) -> list[Linked]:
    """Articles with what their ninjs names, in five queries for any number of them.

    The links are read as rows (core.rows), each distinct one made an instance and its
    page reversed once: through the ORM's prefetch, or even its querysets, links cost
    four times what the rest of a list entry's ninjs does (a list of 20 names ~100
    links, most of them the same few channels and people)."""
    found = [Linked(a) for a in articles.select_related("responsible_editor")]
    by_id = {item.article.pk: item for item in found}
    if not by_id:
        return found
    named: dict[tuple[type[Model], int], Named] = {}

    def name_of(model: type[Model], source: Model | tuple[Any, ...]) -> Named:
        """`source` (an instance, or a row starting with its columns) as a Named."""
        pk = source.pk if isinstance(source, Model) else source[0]
        if (model, pk) not in named:
            obj: Any = source if isinstance(source, Model) else rows.instance(model, source)
            title = obj.title if model is Topic else obj.name
            named[model, pk] = Named(title, obj.slug, absolute_url(obj.get_absolute_url()))
        return named[model, pk]

    for item in found:
        editor = item.article.responsible_editor
        if editor is not None:
            item.editor = name_of(Person, editor)
    ids = list(by_id)
    width = len(Person._meta.concrete_fields)
    for row in rows.rows(_link_sql("credits", len(ids)), ids):
        person = name_of(Person, row)
        by_id[row[width]].credits.append((row[width + 1], person))
    for relation, (model, *_) in _LINKS.items():
        width = len(model._meta.concrete_fields)
        for row in rows.rows(_link_sql(relation, len(ids)), ids):
            getattr(by_id[row[width]], relation).append(name_of(model, row))
    return found


# Each relation: its model, the link table, the link's column naming the model, the
# order (the ORM's, as the site shows them), and which rows count.
_LINKS: dict[str, tuple[type[Model], type[Model], str, str, str]] = {
    "channels": (Channel, Article.channels.through, "channel_id", "x.position, x.id", ""),
    "topics": (Topic, TopicArticle, "topic_id", "l.position, x.id", " AND x.is_published"),
    "tags": (Tag, Article.tags.through, "tag_id", "x.name, x.id", ""),
}


@cache
def _link_sql(relation: str, count: int) -> str:
    """The SQL reading one relation's rows for `count` articles: the linked row's
    columns (core.rows), then its article's id (and for credits, the role)."""
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * count)
    if relation == "credits":
        return (
            f"SELECT {rows.columns(Person, 'x')}, l.article_id, l.role"
            f" FROM {quote(Person._meta.db_table)} x"
            f" JOIN {quote(ArticleCredit._meta.db_table)} l ON l.person_id = x.id"
            f" WHERE l.article_id IN ({marks}) ORDER BY l.position, l.id"
        )
    model, link, column, order, which = _LINKS[relation]
    return (
        f"SELECT {rows.columns(model, 'x')}, l.article_id FROM {quote(model._meta.db_table)} x"
        f" JOIN {quote(link._meta.db_table)} l ON l.{column} = x.id"
        f" WHERE l.article_id IN ({marks}){which} ORDER BY {order}"
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
    articles: list[Linked]
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
        order, column = "updated", "updated_at"
        if filters.updated_since is not None:
            articles = articles.filter(updated_at__gte=filters.updated_since)
        if cursor:
            when, pk = cursors.read(cursor, order)
            articles = articles.filter(Q(updated_at__gt=when) | Q(updated_at=when, pk__gt=pk))
        articles = articles.order_by("updated_at", "id")
    else:
        order, column = "published", "published_at"
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
    last = found[-1].article if found and more else None
    next_cursor = cursors.make(order, getattr(last, column), last.pk) if last else None
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


def article(pk: int) -> Linked | None:
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


@distribution.provide
def partners_state(article: Article) -> OutletState | None:
    """The 分发 panel's 合作方: how the piece's latest event reached each partner whose
    webhook is on (none: the outlet is not shown)."""
    from citydesk.api.models import Delivery, Subscription

    if not Subscription.objects.filter(is_active=True).exists():
        return None
    latest: dict[int, Delivery] = {}
    for delivery in Delivery.objects.filter(article_id=article.pk).order_by("created_at"):
        latest[delivery.subscription_id] = delivery
    if not latest:
        return OutletState("partners", "合作方", None, summary="未通知")
    counts = {state: 0 for state in Delivery.State}
    for delivery in latest.values():
        counts[Delivery.State(delivery.state)] += 1
    parts = [f"{state.label} {n}" for state, n in counts.items() if n]
    failed = [d for d in latest.values() if d.state == Delivery.State.FAILED]
    why = f"（{failed[-1].subscription.name}：{failed[-1].last_error[:60]}）" if failed else ""
    return OutletState("partners", "合作方", None, summary="，".join(parts) + why)
