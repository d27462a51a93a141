"""Every read the reader site makes of content."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from citydesk.content.models import (
    Article,
    ArticleCredit,
    Channel,
    Image,
    Person,
    Tag,
    Topic,
)


def live() -> QuerySet[Article]:
    """Articles a reader may see, newest first."""
    return Article.objects.published().order_by("-published_at", "-id")


def cards(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Articles as a list shows them: the body is the bulk of a row and no card reads it."""
    return articles.defer("body")


def nav_channels() -> list[Channel]:
    return list(Channel.objects.filter(in_nav=True, parent__isnull=True))


def channel_by_slug(slug: str) -> Channel:
    return get_object_or_404(Channel, slug=slug)


def channel_articles(channel: Channel) -> QuerySet[Article]:
    if channel.kind == Channel.Kind.ROLLING:
        return live()
    ids = Channel.objects.filter(Q(pk=channel.pk) | Q(parent=channel)).values("pk")
    return live().filter(channels__in=ids).distinct().order_by("-is_pinned", "-published_at", "-id")


def headline() -> Article | None:
    return cards(live().filter(is_headline=True)).first()


def slideshow(limit: int = 5, exclude: Article | None = None) -> list[Article]:
    qs = live().filter(is_slideshow=True).exclude(cover="")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(cards(qs)[:limit])


def recommended(limit: int = 8, exclude: Article | None = None) -> list[Article]:
    """今日推荐: the editors' recommended flag, newest first; never the page's own article."""
    qs = live().filter(is_recommended=True)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(cards(qs)[:limit])


def hot(limit: int = 10) -> list[Article]:
    """热点排行 by the simple view counter (the rankings app replaces this)."""
    ranked = live().filter(view_count__gt=0).order_by("-view_count", "-published_at")
    return list(cards(ranked)[:limit])


@dataclass
class ChannelBlock:
    channel: Channel
    articles: list[Article]


def home_blocks(per_channel: int = 6, channels: list[Channel] | None = None) -> list[ChannelBlock]:
    blocks = []
    for channel in nav_channels() if channels is None else channels:
        if channel.kind in (Channel.Kind.ROLLING, Channel.Kind.TOPICS):
            continue
        articles = list(cards(channel_articles(channel))[:per_channel])
        blocks.append(ChannelBlock(channel, articles))
    return blocks


def article_for_reader(pk: int) -> Article:
    qs = (
        Article.objects.published()
        .select_related("responsible_editor")
        .prefetch_related(
            Prefetch("credits", queryset=ArticleCredit.objects.select_related("person")),
            "tags",
            "channels",
        )
    )
    return get_object_or_404(qs, pk=pk)


def resolve_images(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill in library images that a block names but whose URL it does not carry yet.

    `actions.resolve_images` copies the URL in when an article is written; this catches
    bodies stored before that (or by a path that skipped it), in one query, and costs
    nothing when every block already has its `src`.
    """
    wanted = {
        b["image_id"]
        for b in blocks
        if b.get("type") == "image" and b.get("image_id") and not b.get("src")
    }
    if not wanted:
        return blocks
    images = {image.pk: image for image in Image.objects.filter(pk__in=wanted)}
    resolved = []
    for block in blocks:
        image = images.get(block.get("image_id", 0)) if not block.get("src") else None
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
    ids = ArticleCredit.objects.filter(person=person).values("article_id")
    return live().filter(Q(pk__in=ids) | Q(responsible_editor=person))


def tag_by_slug(slug: str) -> Tag:
    return get_object_or_404(Tag, slug=slug)


def tag_articles(tag: Tag) -> QuerySet[Article]:
    return live().filter(tags=tag)


def article_by_external_id(external_id: str) -> Article | None:
    """The article an importer stored before under this id, if any (any status)."""
    return Article.objects.filter(external_id=external_id).first()
