"""Every read the reader site makes of content."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Func, Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from citydesk.content import images
from citydesk.content.models import (
    Article,
    ArticleCredit,
    Channel,
    Image,
    LiveCoverage,
    LiveUpdate,
    Person,
    Rendition,
    Tag,
    Topic,
)
from citydesk.core.rows import columns, instance, rows


def live() -> QuerySet[Article]:
    """Articles a reader may see, newest first."""
    return Article.objects.published().order_by("-published_at", "-id")


def cards(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Articles as a list shows them: the body is the bulk of a row and no card reads it."""
    return articles.defer("body")


@cache
def _nav_sql() -> tuple[str, tuple[Any, ...]]:
    return Channel.objects.filter(in_nav=True, parent__isnull=True).query.sql_with_params()


def nav_channels() -> list[Channel]:
    """The channels of the nav, read afresh: every page shows them. The SQL is compiled
    once a process and its rows made into channels by `core.rows`: through the ORM,
    compiling and RawQuerySet cost ~0.5 ms of the query's 0.6 ms."""
    sql, params = _nav_sql()
    return [instance(Channel, row) for row in rows(sql, list(params))]


def channel_by_slug(slug: str) -> Channel:
    return get_object_or_404(Channel, slug=slug)


class Unindexed(Func):
    """A column the database may not answer from an index: SQLite's unary +, and on
    PostgreSQL a no-op of the column's type (`|| ''`, `+ interval '0'`)."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        kind = self.output_field.get_internal_type()
        noop = {"DateTimeField": "+ interval '0'", "CharField": "|| ''", "TextField": "|| ''"}
        if kind not in noop:
            raise TypeError(f"Unindexed has no no-op for a {kind} on PostgreSQL")
        return self.as_sql(
            compiler, connection, template=f"(%(expressions)s {noop[kind]})", **extra
        )


class SortedAfter(Unindexed):
    """An ORDER BY column PostgreSQL may not walk an index for, so it sorts what it read
    by id; SQLite's planner reads by id for `Unindexed` filters and sorts on its own."""

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, **extra)


def live_among(ids: QuerySet[Any] | list[int]) -> QuerySet[Article]:
    """Live articles with their ids in `ids` (a few thousand at most, or a subquery).

    SQLite's planner answers "status = published" from the (status, published_at) index,
    scanning every live article and testing each against `ids` (~15 ms at 87,000), and
    PostgreSQL's walks the publish-time index for the ORDER BY, testing each (626 ms for a
    channel with none at 200,000: it expects them evenly spread); reading the few
    articles by id and sorting them instead takes a millisecond or two.
    """
    return (
        Article.objects.alias(live_status=Unindexed("status"), live_at=Unindexed("published_at"))
        .filter(live_status=Article.Status.PUBLISHED, live_at__lte=timezone.now(), pk__in=ids)
        .order_by(SortedAfter("published_at").desc(), "-id")
    )


def channel_articles(channel: Channel) -> QuerySet[Article]:
    """A channel's live articles (its sub-channels' too), newest first, from its list
    (ChannelListing): its index makes a page a short walk, however old the channel's
    newest articles are."""
    if channel.kind == Channel.Kind.ROLLING:
        return live()
    return Article.objects.filter(  # one filter(): the conditions share one join
        channel_listings__channel=channel, channel_listings__published_at__lte=timezone.now()
    ).order_by("-channel_listings__published_at", "-channel_listings__article_id")


class PinnedFirst:
    """A channel's list as a reader sees it: 置顶 articles first, then the rest by time.

    Two queries instead of ORDER BY is_pinned: that sort has to read every article of the
    channel (~80,000 in 国内), while newest-first walks the publish-time index and stops.
    Sliceable and countable, so a Paginator takes it like a queryset.
    """

    def __init__(self, articles: QuerySet[Article], max_pinned: int = 10) -> None:
        self.pinned = list(articles.filter(is_pinned=True)[:max_pinned])
        self.rest = articles.exclude(pk__in=[a.pk for a in self.pinned])

    def count(self, limit: int | None = None) -> int:
        """How many in all, or up to `limit` (cheaper: the count stops there)."""
        if limit is None:
            return len(self.pinned) + self.rest.count()
        return min(limit, len(self.pinned) + self.rest[: max(0, limit - len(self.pinned))].count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Article]:
        start, stop = index.start or 0, index.stop
        head = self.pinned[start:stop]
        offset = len(self.pinned)
        if stop is not None and stop <= offset:
            return head
        tail = self.rest[max(0, start - offset) : None if stop is None else stop - offset]
        return head + list(tail)


def channel_listing(channel: Channel) -> PinnedFirst:
    return PinnedFirst(cards(channel_articles(channel)))


def headline() -> Article | None:
    return cards(live().filter(is_headline=True)).first()


def slideshow(limit: int = 5, exclude: Article | None = None) -> list[Article]:
    qs = live().filter(is_slideshow=True).exclude(cover="")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(cards(qs)[:limit])


@dataclass
class ChannelBlock:
    channel: Channel
    articles: list[Article]


def home_blocks(per_channel: int = 6, channels: list[Channel] | None = None) -> list[ChannelBlock]:
    blocks = []
    for channel in nav_channels() if channels is None else channels:
        if channel.kind in (Channel.Kind.ROLLING, Channel.Kind.TOPICS):
            continue
        articles = channel_listing(channel)[:per_channel]
        blocks.append(ChannelBlock(channel, articles))
    return blocks


@cache
def _article_sql() -> dict[str, str]:
    """The article page's reads as plain SQL, written once a process.

    Through the ORM, building and compiling these queries (the article with its editor,
    and three prefetches) cost ~3 ms a page miss, far more than SQLite takes to answer
    them; `core.rows` still applies the fields' converters.
    """
    q = connection.ops.quote_name
    article, person, tag, channel = Article._meta, Person._meta, Tag._meta, Channel._meta
    credit = ArticleCredit._meta
    tags, channels = Article.tags.through._meta, Article.channels.through._meta
    return {
        "article": (
            f"SELECT {columns(Article, 'a')}, {columns(Person, 'p')} FROM {q(article.db_table)} a"
            f" LEFT JOIN {q(person.db_table)} p ON p.id = a.responsible_editor_id"
            " WHERE a.id = %s"
        ),
        "credits": (
            f"SELECT {columns(Person, 'p')}, c.id AS credit_id, c.role AS credit_role,"
            f" c.position AS credit_position FROM {q(credit.db_table)} c"
            f" JOIN {q(person.db_table)} p ON p.id = c.person_id"
            " WHERE c.article_id = %s ORDER BY c.position, c.id"
        ),
        "tags": (
            f"SELECT {columns(Tag, 't')} FROM {q(tag.db_table)} t"
            f" JOIN {q(tags.db_table)} l ON l.tag_id = t.id"
            " WHERE l.article_id = %s ORDER BY t.name, t.id"
        ),
        "channels": (
            f"SELECT {columns(Channel, 'c')} FROM {q(channel.db_table)} c"
            f" JOIN {q(channels.db_table)} l ON l.channel_id = c.id"
            " WHERE l.article_id = %s ORDER BY c.position, c.id"
        ),
    }


def _prefetched(item: Model, name: str, objects: list[Any]) -> None:
    """Hand `objects` to `item` as the ORM's prefetch does, so `item.<name>.all()` reads
    them without a query (the same two attributes prefetch_related_objects sets)."""
    related = getattr(item, name).all()
    related._result_cache = objects
    related._prefetch_done = True
    item.__dict__.setdefault("_prefetched_objects_cache", {})[name] = related


def article_for_reader(pk: int) -> Article:
    """A live article with its editor, credits (with people), tags and channels."""
    item = article_with_links(pk)
    if item is None or not item.is_live:
        raise Http404("没有这篇文章")
    return item


def live_coverage(article: Article) -> LiveCoverage | None:
    """The article's 图文直播, if it is one."""
    return LiveCoverage.objects.filter(article_id=article.pk).first()


# The most updates a live article shows at once: a day of an event at one every few
# minutes; the oldest beyond it stay in the newsroom.
LIVE_UPDATES_SHOWN = 300


def live_updates(coverage: LiveCoverage) -> list[LiveUpdate]:
    """Its updates, pinned first, then newest first, with their pictures and authors."""
    updates = coverage.updates.select_related("image", "author")
    return list(updates[:LIVE_UPDATES_SHOWN])


def article_with_links(pk: int) -> Article | None:
    """The article in any state, read as the reader page reads it (the newsroom's preview)."""
    sql = _article_sql()
    found = rows(sql["article"], [pk])
    if not found:
        return None
    item = instance(Article, found[0])
    editor = found[0][len(Article._meta.concrete_fields) :]
    item.responsible_editor = instance(Person, editor) if editor[0] is not None else None
    credits = []
    for row in rows(sql["credits"], [pk]):
        credit_id, role, position = row[-3:]
        credits.append(
            ArticleCredit(
                id=credit_id,
                article=item,
                person=instance(Person, row),
                role=role,
                position=position,
            )
        )
    _prefetched(item, "credits", credits)
    _prefetched(item, "tags", [instance(Tag, row) for row in rows(sql["tags"], [pk])])
    _prefetched(item, "channels", [instance(Channel, r) for r in rows(sql["channels"], [pk])])
    return item


def is_retracted(pk: int) -> bool:
    return Article.objects.filter(pk=pk, status=Article.Status.RETRACTED).exists()


def resolve_images(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill in library images that a block names but whose URL it does not carry yet.

    `actions.resolve_images` copies the URL in when an article is written; this catches
    bodies stored before that (or by a path that skipped it), in one query, and costs
    nothing when every block already has its `src`.
    """
    library = {b["image_id"] for b in blocks if b.get("type") == "image" and b.get("image_id")}
    if not library:
        return blocks
    srcsets = _srcsets(library)
    wanted = {
        b["image_id"]
        for b in blocks
        if b.get("type") == "image" and b.get("image_id") and not b.get("src")
    }
    library_images = (
        {image.pk: image for image in Image.objects.filter(pk__in=wanted)} if wanted else {}
    )
    resolved = []
    for block in blocks:
        if block.get("type") == "image" and block.get("image_id") in srcsets:
            block = {**block, "srcset": srcsets[block["image_id"]]}
        image = library_images.get(block.get("image_id", 0)) if not block.get("src") else None
        if image is not None and block.get("type") == "image":
            # The block's own caption and credit win: an editor may re-caption one use.
            block = {
                "src": image.file.url if image.file else "",
                "caption": image.caption,
                "credit": image.credit,
                "width": image.width,
                "height": image.height,
                **{k: v for k, v in block.items() if v},
            }
        resolved.append(block)
    return resolved


def _srcsets(image_ids: set[int]) -> dict[int, str]:
    """The WebP widths the worker has made of each library image, as an img srcset; an
    image without them yet is shown as uploaded."""
    widths = [name for name, spec in images.SPECS.items() if spec.ratio is None]
    found: dict[int, list[tuple[int, str]]] = {}
    for image_id, name, width in Rendition.objects.filter(
        image_id__in=image_ids, spec__in=widths
    ).values_list("image_id", "file", "width"):
        found.setdefault(image_id, []).append((width, default_storage.url(name)))
    return {
        pk: ", ".join(f"{url} {width}w" for width, url in sorted(sizes))
        for pk, sizes in found.items()
    }


def topics() -> QuerySet[Topic]:
    return Topic.objects.filter(is_published=True)


def topic_by_slug(slug: str) -> Topic:
    return get_object_or_404(topics(), slug=slug)


def topic_articles(topic: Topic) -> QuerySet[Article]:
    return (
        live().filter(topicarticle__topic=topic).order_by("topicarticle__position", "-published_at")
    )


def person_by_slug(slug: str) -> Person:
    return get_object_or_404(Person, slug=slug)


def person_articles(person: Person) -> QuerySet[Article]:
    # Two id sets, not "credited OR edited by": an OR over two columns makes the database
    # test every live article (~10x slower with 87,000 of them).
    credited = ArticleCredit.objects.filter(person=person).values("article_id")
    edited = Article.objects.filter(responsible_editor=person).values("pk")
    return live_among(credited.order_by().union(edited.order_by()))


def tag_by_slug(slug: str) -> Tag:
    return get_object_or_404(Tag, slug=slug)


def tag_articles(tag: Tag) -> QuerySet[Article]:
    """A tag's live articles, newest first, from its list (TagListing)."""
    return Article.objects.filter(
        tag_listings__tag=tag, tag_listings__published_at__lte=timezone.now()
    ).order_by("-tag_listings__published_at", "-tag_listings__article_id")


def article_by_external_id(external_id: str) -> Article | None:
    """The article an importer stored before under this id, if any (any status)."""
    return Article.objects.filter(external_id=external_id).first()


def next_scheduled_at() -> datetime | None:
    """When the earliest scheduled article is due; None when nothing is scheduled."""
    return (
        Article.objects.filter(status=Article.Status.SCHEDULED, published_at__isnull=False)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
