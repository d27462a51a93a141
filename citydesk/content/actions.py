"""Every write to content goes through here: the admin, importers and the demo alike."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from citydesk.content import images, signals
from citydesk.content.models import (
    Article,
    ArticleCredit,
    Channel,
    Image,
    Person,
    Tag,
    Topic,
    TopicArticle,
)
from citydesk.content.signals import ArticleState

VIDEO_CHANNEL_KIND = Channel.Kind.VIDEO


def article_state(article_id: int) -> ArticleState | None:
    """The stored state of an article (None if there is none), read from the database."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return None
    person_ids = set(
        ArticleCredit.objects.filter(article_id=article_id).values_list("person_id", flat=True)
    )
    if article.responsible_editor_id:
        person_ids.add(article.responsible_editor_id)
    return ArticleState(
        article_id=article_id,
        live=article.is_live,
        page_count=article.page_count,
        channel_ids=frozenset(article.channels.values_list("pk", flat=True)),
        topic_ids=frozenset(
            TopicArticle.objects.filter(article_id=article_id).values_list("topic_id", flat=True)
        ),
        person_ids=frozenset(person_ids),
        tag_ids=frozenset(article.tags.values_list("pk", flat=True)),
        published_at=article.published_at,
    )


def announce_article_change(article_id: int, before: ArticleState | None) -> None:
    """Send `article_changed` with the before and after states once the transaction commits.

    Call inside the writing transaction, after every change to the article is made.
    """
    after = article_state(article_id)

    def send() -> None:
        signals.article_changed.send(Article, article_id=article_id, before=before, after=after)

    transaction.on_commit(send)


def announce_related_change(instance: Channel | Topic | Person | Tag) -> None:
    """A channel, topic, person or tag changed: the pages that name it need refreshing."""
    if isinstance(instance, Channel):
        ids = Article.objects.filter(channels=instance)
    elif isinstance(instance, Topic):
        ids = Article.objects.filter(topicarticle__topic=instance)
    elif isinstance(instance, Person):
        ids = Article.objects.filter(credits__person=instance) | Article.objects.filter(
            responsible_editor=instance
        )
    else:
        ids = Article.objects.filter(tags=instance)
    article_ids = list(ids.published().values_list("pk", flat=True).distinct())
    model, pk = type(instance), instance.pk

    def send() -> None:
        signals.related_changed.send(model, instance_id=pk, article_ids=article_ids)

    transaction.on_commit(send)


@dataclass
class ArticleData:
    """An article as an importer or a script hands it over, before it is stored."""

    title: str
    body: list[dict[str, Any]]
    published_at: datetime | None = None
    subtitle: str = ""
    summary: str = ""
    source: str = ""
    source_url: str = ""
    organization: str = ""
    # (role, name) pairs, in byline order; role is an ArticleCredit.Role value.
    credits: list[tuple[str, str]] = field(default_factory=list)
    responsible_editor: str = ""
    channels: list[str] = field(default_factory=list)  # channel slugs
    tags: list[str] = field(default_factory=list)
    kind: str = Article.Kind.ARTICLE
    external_id: str | None = None
    is_headline: bool = False
    is_recommended: bool = False
    is_slideshow: bool = False
    is_pinned: bool = False
    view_count: int = 0  # carried over from the source, so the hot list starts filled

    def names(self, role: str) -> list[str]:
        return [name for r, name in self.credits if r == role]


def unique_slug(model: Any, text: str, *, max_length: int = 80) -> str:
    base = (
        slugify(text, allow_unicode=True)[: max_length - 10]
        or hashlib.sha1(text.encode()).hexdigest()[:10]
    )
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def get_or_create_person(name: str, organization: str = "") -> Person:
    name = name.strip()
    person = Person.objects.filter(name=name).first()
    if person is None:
        person = Person.objects.create(
            name=name, slug=unique_slug(Person, name), organization=organization
        )
    elif organization and not person.organization:
        person.organization = organization
        person.save(update_fields=["organization"])
    return person


def get_or_create_tag(name: str) -> Tag:
    name = name.strip()[:50]
    tag = Tag.objects.filter(name=name).first()
    return tag or Tag.objects.create(name=name, slug=unique_slug(Tag, name))


def set_credits(
    article: Article, credits: Iterable[tuple[str, str]], organization: str = ""
) -> None:
    ArticleCredit.objects.filter(article=article).delete()
    seen: set[tuple[int, str]] = set()
    rows = []
    for position, (role, name) in enumerate(credits):
        person = get_or_create_person(name, organization)
        if (person.pk, role) in seen:
            continue
        seen.add((person.pk, role))
        rows.append(ArticleCredit(article=article, person=person, role=role, position=position))
    ArticleCredit.objects.bulk_create(rows)


def resolve_images(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy each library image's URL, caption and credit into its block.

    Stored in the block so that rendering a page needs no query per image; a caption or
    credit typed in the block wins over the library's.
    """
    ids = [b["image_id"] for b in blocks if b.get("type") == "image" and b.get("image_id")]
    images = {i.pk: i for i in Image.objects.filter(pk__in=ids)}
    for block in blocks:
        image = images.get(block.get("image_id", 0))
        if image is not None:
            block["src"] = image.file.url
            block.setdefault("caption", image.caption)
            block.setdefault("credit", image.credit)
    return blocks


def channels_for(data: ArticleData) -> list[Channel]:
    channels = list(Channel.objects.filter(slug__in=data.channels))
    if data.kind == Article.Kind.VIDEO:
        # Video items fill the 视频 channel whatever else they are filed under.
        channels += [
            c for c in Channel.objects.filter(kind=VIDEO_CHANNEL_KIND) if c not in channels
        ]
    return channels


@transaction.atomic
def create_article(data: ArticleData, *, status: str = Article.Status.DRAFT) -> Article:
    if not data.title.strip():
        raise ValueError("标题不能为空")
    published_at = data.published_at
    if status == Article.Status.PUBLISHED:
        if published_at is None:
            published_at = timezone.now()
        elif published_at > timezone.now():
            # Only the worker makes an article live later, so its pages are purged then.
            status = Article.Status.SCHEDULED
    article = Article(
        title=data.title.strip()[:200],
        subtitle=data.subtitle[:200],
        summary=data.summary,
        kind=data.kind,
        source=data.source[:100],
        source_url=data.source_url[:500],
        byline_organization=data.organization[:100],
        responsible_editor=(
            get_or_create_person(data.responsible_editor) if data.responsible_editor else None
        ),
        status=status,
        published_at=published_at,
        body=data.body,
        external_id=data.external_id,
        is_headline=data.is_headline,
        is_recommended=data.is_recommended,
        is_slideshow=data.is_slideshow,
        is_pinned=data.is_pinned,
        view_count=data.view_count,
    )
    article.save()
    article.channels.set(channels_for(data))
    article.tags.set([get_or_create_tag(t) for t in data.tags if t.strip()])
    set_credits(article, data.credits, data.organization)
    announce_article_change(article.pk, None)
    return article


@transaction.atomic
def do_publish_article(article: Article, *, at: datetime | None = None) -> Article:
    """Publish now; a future `at` schedules instead (`do_schedule_article`), a past one backdates.

    Publishing an article that is scheduled for later publishes it now.
    """
    now = timezone.now()
    if at is not None and at > now:
        return do_schedule_article(article, at)
    before = article_state(article.pk)
    article.status = Article.Status.PUBLISHED
    if at is not None:
        article.published_at = at
    elif article.published_at is None or article.published_at > now:
        article.published_at = now
    article.save(update_fields=["status", "published_at", "updated_at"])
    announce_article_change(article.pk, before)
    return article


@transaction.atomic
def do_schedule_article(article: Article, at: datetime) -> Article:
    """定时发布: off the site until `at`, when the worker publishes it (`citydesk worker`)."""
    if timezone.is_naive(at):
        raise ValueError("定时发布时间必须带时区")
    if at <= timezone.now():
        when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")
        raise ValueError(f"定时发布时间 {when} 已经过去，请选择将来的时间")
    before = article_state(article.pk)
    article.status = Article.Status.SCHEDULED
    article.published_at = at
    article.save(update_fields=["status", "published_at", "updated_at"])
    announce_article_change(article.pk, before)
    return article


def publish_due_articles(now: datetime | None = None) -> list[int]:
    """Publish every scheduled article due by `now`; the ids this call published, in order.

    Safe to run twice and from several workers at once: each article is published in its
    own transaction, which takes the row first and checks again that it is still due. On
    PostgreSQL a row another worker holds is skipped (`skip_locked`); SQLite's IMMEDIATE
    transactions let one writer in at a time, so the second finds it published already.
    """
    now = now or timezone.now()
    due = Article.objects.filter(status=Article.Status.SCHEDULED, published_at__lte=now)
    published = []
    for pk in list(due.order_by("published_at", "pk").values_list("pk", flat=True)):
        with transaction.atomic():
            article = due.select_for_update(skip_locked=True).filter(pk=pk).first()
            if article is None:
                continue
            do_publish_article(article)
        published.append(pk)
    return published


@transaction.atomic
def do_unpublish_article(article: Article) -> Article:
    before = article_state(article.pk)
    article.status = Article.Status.UNPUBLISHED
    article.save(update_fields=["status", "updated_at"])
    announce_article_change(article.pk, before)
    return article


@transaction.atomic
def do_retract_article(article: Article) -> Article:
    """撤稿: off every page for good (unpublish can be undone by publishing again)."""
    before = article_state(article.pk)
    article.status = Article.Status.RETRACTED
    article.save(update_fields=["status", "updated_at"])
    announce_article_change(article.pk, before)
    return article


@transaction.atomic
def set_article_cover(article: Article, filename: str, content: bytes) -> Article:
    """Store `content` as the article's cover image (the list thumbnail and share image).
    Raises images.ImageError for anything but an acceptable picture."""
    images.checked(content)
    before = article_state(article.pk)
    article.cover.save(filename, ContentFile(content), save=False)
    article.save(update_fields=["cover", "updated_at"])
    announce_article_change(article.pk, before)
    return article


def set_cover_focus(article: Article, x: float, y: float) -> Article:
    """Where the cover is cropped around (fractions of its width and height, 0 to 1)."""
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise ValueError("封面焦点必须在 0 到 1 之间")
    if (article.cover_focal_x, article.cover_focal_y) == (x, y):
        return article
    before = article_state(article.pk)
    article.cover_focal_x, article.cover_focal_y = x, y
    article.save(update_fields=["cover_focal_x", "cover_focal_y", "updated_at"])
    announce_article_change(article.pk, before)
    return article


def create_image(
    filename: str, content: bytes, *, title: str = "", caption: str = "", credit: str = ""
) -> Image:
    """A picture in the media library; width and height are read from the file. Raises
    images.ImageError for anything but an acceptable picture; its renditions are made by
    the worker afterwards."""
    images.checked(content)
    # Assigned, not file.save(): assignment is what fills width and height from the bytes.
    image = Image(
        file=ContentFile(content, name=filename),
        title=title[:200],
        caption=caption[:300],
        credit=credit[:100],
    )
    image.save()
    return image


@transaction.atomic
def set_person_profile(
    person: Person, *, organization: str = "", title: str = "", bio: str = ""
) -> Person:
    """What the person page shows besides the name; empty arguments leave a field alone."""
    fields = {"organization": organization, "title": title, "bio": bio}
    changed = [name for name, value in fields.items() if value]
    for name in changed:
        setattr(person, name, fields[name])
    if changed:
        person.save(update_fields=changed)
        announce_related_change(person)
    return person


@transaction.atomic
def create_topic(
    title: str,
    articles: Iterable[Article] = (),
    *,
    intro: str = "",
    cover: tuple[str, bytes] | None = None,
    is_published: bool = True,
    slug: str = "",
) -> Topic:
    """A 专题 with its articles in the given order; `cover` is (filename, bytes)."""
    # Topic URLs take ASCII slugs only, so a Chinese title gets a short stable hash.
    base = slugify(title) or "topic-" + hashlib.sha1(title.encode()).hexdigest()[:8]
    topic = Topic(
        title=title.strip()[:100],
        slug=slug or unique_slug(Topic, base),
        intro=intro,
        is_published=is_published,
    )
    if cover is not None:
        topic.cover.save(cover[0], ContentFile(cover[1]), save=False)
    topic.save()
    TopicArticle.objects.bulk_create(
        TopicArticle(topic=topic, article=article, position=position)
        for position, article in enumerate(articles)
    )
    announce_related_change(topic)
    return topic
