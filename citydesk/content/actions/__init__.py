"""The one door: every write to content goes through here, and so does every announcement.

Channels, topics, people, tags, images, articles and their links are saved, deleted and
announced only by this package: the newsroom (workflow steps, revisions), the admin,
the importers (one article at a time or a JSON-lines batch, `batch.py`), feeds and the
demo all call it. A test wraps the whole suite in a guard that fails any save, bulk
insert, update or delete of a content model made outside it (citydesk.content.door).

Each change is one unit of work (`_article_change`, `_related_change`): in one
transaction, the row locked, the state before read, the change saved, and the state after
announced (citydesk.content.signals), which stores the durable follow-ups (index, purge)
in that same transaction.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from citydesk.content import images, signals
from citydesk.content.models import (
    Article,
    ArticleCredit,
    Channel,
    ChannelListing,
    Image,
    Person,
    Rendition,
    Tag,
    TagListing,
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
        status=article.status,
    )


def announce_article_change(article_id: int, before: ArticleState | None) -> None:
    """Store the follow-ups of a change to the article: call inside the writing
    transaction, after every change to it is made."""
    after = article_state(article_id)
    if after is not None:  # a deleted article's rows went with it (CASCADE)
        relist([article_id])
    signals.article_changed.enqueue(
        article_id=article_id,
        before=before.to_json() if before is not None else None,
        after=after.to_json() if after is not None else None,
    )


# A live article is in the list of each of its channels and of every channel above them
# (a parent lists its sub-channels' articles), and in each of its tags' lists. Both are
# rewritten from the links in one statement each, for any number of articles.
_CHANNEL_LISTS = """
WITH RECURSIVE up(channel_id, list_id) AS (
    SELECT id, id FROM content_channel
    UNION SELECT up.channel_id, c.parent_id FROM up JOIN content_channel c ON c.id = up.list_id
    WHERE c.parent_id IS NOT NULL
)
INSERT INTO content_channellisting (channel_id, article_id, published_at)
SELECT DISTINCT up.list_id, l.article_id, a.published_at
FROM content_article_channels l
JOIN up ON up.channel_id = l.channel_id
JOIN content_article a ON a.id = l.article_id
WHERE a.status = %s AND a.published_at IS NOT NULL AND l.article_id IN ({ids})
"""
_TAG_LISTS = """
INSERT INTO content_taglisting (tag_id, article_id, published_at)
SELECT l.tag_id, l.article_id, a.published_at
FROM content_article_tags l JOIN content_article a ON a.id = l.article_id
WHERE a.status = %s AND a.published_at IS NOT NULL AND l.article_id IN ({ids})
"""


def relist(article_ids: Iterable[int]) -> None:
    """Rewrite these articles' rows in the channels' and tags' lists (ChannelListing,
    TagListing) from their links and states as stored now."""
    ids = list(dict.fromkeys(article_ids))
    for start in range(0, len(ids), 500):  # SQLite's older builds take 999 parameters
        chunk = ids[start : start + 500]
        ChannelListing.objects.filter(article_id__in=chunk).delete()
        TagListing.objects.filter(article_id__in=chunk).delete()
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            for sql in (_CHANNEL_LISTS, _TAG_LISTS):
                cursor.execute(sql.format(ids=marks), [Article.Status.PUBLISHED, *chunk])


@contextmanager
def _article_change(article: Article) -> Iterator[Article]:
    """The unit of work on one article: lock, state before, (the caller's saves), announce.

    A new article (no pk yet) has no state before; the caller saves it inside the block.
    """
    with transaction.atomic():
        before, cover = None, ""
        if article.pk is not None:
            # The state before must be the one this change replaces, not a concurrent one's.
            locked = Article.objects.select_for_update().filter(pk=article.pk)
            cover = locked.values_list("cover", flat=True).first() or ""
            before = article_state(article.pk)
        yield article
        if article.cover.name and article.cover.name != cover:
            # Here, not in a task: the pages this change purges show the new cover's
            # renditions at once (a fraction of a second, once an article).
            images.make_cover_renditions(article.cover)
        announce_article_change(article.pk, before)


def _live_article_ids(instance: Model) -> list[int]:
    """The live articles whose pages name a channel, topic, person or tag."""
    if isinstance(instance, Channel):
        ids = Article.objects.filter(channels=instance)
    elif isinstance(instance, Topic):
        ids = Article.objects.filter(topicarticle__topic=instance)
    elif isinstance(instance, Person):
        ids = Article.objects.filter(credits__person=instance) | Article.objects.filter(
            responsible_editor=instance
        )
    else:
        ids = Article.objects.filter(tags__pk=instance.pk)
    return list(ids.published().values_list("pk", flat=True).distinct())


def _relist_moved(
    channel: Channel, before: dict[str, Any] | None, deleted: list[int] | None
) -> None:
    """The lists above a channel that was deleted (its articles, `deleted`) or moved to
    another parent (its and its sub-channels' articles) no longer hold what it filed."""
    if deleted is not None:
        relist(deleted)
        return
    if before is None or before.get("parent_id") == channel.parent_id:
        return
    below, frontier = {channel.pk}, [channel.pk]
    while frontier:
        frontier = list(Channel.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        below.update(frontier)
    links = Article.channels.through.objects.filter(channel_id__in=below)
    relist(links.values_list("article_id", flat=True))


def related_state(model: type[Model], pk: Any) -> dict[str, Any] | None:
    """Every stored field of a channel, topic, person or tag (by attname), as JSON."""
    names = [f.attname for f in model._meta.concrete_fields]
    row = model._default_manager.filter(pk=pk).values(*names).first()
    return json.loads(json.dumps(row, cls=DjangoJSONEncoder)) if row is not None else None


@contextmanager
def _related_change(
    instance: Channel | Topic | Person | Tag, *, deleting: bool = False
) -> Iterator[None]:
    """The unit of work on a channel, topic, person or tag: its state before and after and
    the live articles that show it, announced in the same transaction. The articles are
    read once: after the change, or before it when `deleting` (its links go with it)."""
    model, pk = type(instance), instance.pk
    with transaction.atomic():
        before = None
        shown: list[int] = []
        if pk is not None:
            list(model._default_manager.select_for_update().filter(pk=pk).values("pk"))
            before = related_state(model, pk)
            if deleting:
                shown = _live_article_ids(instance)
        yield
        if isinstance(instance, Topic) and not deleting:
            cover = instance.cover
            if cover.name and cover.name != (before or {}).get("cover"):
                images.make_cover_renditions(cover)
        pk = pk if deleting else instance.pk  # a new one has its pk once saved
        if not deleting:
            shown = _live_article_ids(instance)
        if isinstance(instance, Channel):
            _relist_moved(instance, before, shown if deleting else None)
        signals.related_changed.enqueue(
            model=model._meta.label_lower,
            instance_id=pk,
            before=before,
            after=related_state(model, pk),
            article_ids=shown,
        )


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
    """The byline from (role, name) pairs, in order; people are found or created by name."""
    _set_credit_rows(
        article,
        [(role, get_or_create_person(name, organization)) for role, name in credits],
    )


def set_byline(article: Article, credits: Iterable[tuple[str, str]]) -> Article:
    """A stored article's byline, from (role, name) pairs in order (a 选题's assignees)."""
    with _article_change(article):
        set_credits(article, credits)
        article.save(update_fields=["updated_at"])
    return article


def _set_credit_rows(article: Article, credits: Iterable[tuple[str, Person]]) -> None:
    ArticleCredit.objects.filter(article=article).delete()
    seen: set[tuple[int, str]] = set()
    rows = []
    for position, (role, person) in enumerate(credits):
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


def build_article(data: ArticleData, *, status: str, responsible_editor_id: int | None) -> Article:
    """An unsaved Article from `data`: the one builder behind `create_article` and the
    batch import, so both apply the same rules (lengths, a future publish is scheduled)."""
    if not data.title.strip():
        raise ValueError("标题不能为空")
    published_at = data.published_at
    if status == Article.Status.PUBLISHED:
        if published_at is None:
            published_at = timezone.now()
        elif published_at > timezone.now():
            # Only the worker makes an article live later, so its pages are purged then.
            status = Article.Status.SCHEDULED
    return Article(
        title=data.title.strip()[:200],
        subtitle=data.subtitle[:200],
        summary=data.summary,
        kind=data.kind,
        source=data.source[:100],
        source_url=data.source_url[:500],
        byline_organization=data.organization[:100],
        responsible_editor_id=responsible_editor_id,
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


def create_article(
    data: ArticleData,
    *,
    status: str = Article.Status.DRAFT,
    created_by: User | None = None,
    version: int = 0,
) -> Article:
    with transaction.atomic():
        editor = get_or_create_person(data.responsible_editor) if data.responsible_editor else None
        article = build_article(
            data, status=status, responsible_editor_id=editor.pk if editor else None
        )
        article.created_by = created_by
        article.version = version
        with _article_change(article):
            article.save()
            article.channels.set(channels_for(data))
            article.tags.set([get_or_create_tag(t) for t in data.tags if t.strip()])
            set_credits(article, data.credits, data.organization)
    return article


# Fields an edit may change; the state (status, review stage) changes only through the
# workflow's steps below, and the version only through `edit_article(new_version=True)`.
EDITABLE = frozenset(
    {
        "title", "subtitle", "summary", "body", "kind", "source", "source_url",
        "byline_organization", "responsible_editor", "cover", "cover_focal_x",
        "cover_focal_y", "published_at", "is_headline", "is_recommended", "is_slideshow",
        "is_pinned", "external_id",
    }
)  # fmt: skip


def edit_article(
    article: Article,
    changes: dict[str, Any],
    *,
    channels: Iterable[Channel] | None = None,
    tags: Iterable[Tag] | None = None,
    credits: Iterable[tuple[str, Person]] | None = None,
    new_version: bool = False,
) -> Article:
    """Change an article's fields (and, given, its channels, tags and byline credits as
    (role, person) pairs in order); `new_version` counts the save as a new version (the
    newsroom's revisions and the admin's saves). An article not stored yet is created,
    as a draft. Raises ValueError for a field that is not editable: a change of state
    goes through the workflow."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"不能这样修改这些字段：{'、'.join(sorted(unknown))}")
    with _article_change(article):
        for name, value in changes.items():
            setattr(article, name, value)
        if article.pk is None:
            article.status, article.review_stage = Article.Status.DRAFT, 0
            article.version = 1 if new_version else article.version
            article.save()
        else:
            fields = [*changes, "updated_at"]
            if new_version:
                stored = Article.objects.filter(pk=article.pk).values_list("version", flat=True)
                article.version = stored.get() + 1
                fields.append("version")
            article.save(update_fields=fields)
        if channels is not None:
            article.channels.set(list(channels))
        if tags is not None:
            article.tags.set(list(tags))
        if credits is not None:
            _set_credit_rows(article, credits)
    return article


def delete_article(article: Article) -> None:
    """Delete for good (the admin's delete): off every page, out of the index."""
    with _article_change(article):
        pk = article.pk
        article.delete()
        article.pk = pk  # the unit of work announces the change under this id


def set_review_state(
    article: Article,
    status: str,
    *,
    review_stage: int | None = None,
    responsible_editor: Person | None = None,
) -> Article:
    """A workflow step that does not make the article live or take it off: 送审, 退回,
    审核 (citydesk.newsroom.actions calls this, with the checks and the audit)."""
    offline = (
        Article.Status.DRAFT,
        Article.Status.SUBMITTED,
        Article.Status.RETURNED,
        Article.Status.APPROVED,
    )
    if status not in offline:
        raise ValueError(f"不能用审稿步骤把稿件改为{status}")
    with _article_change(article):
        article.status = status
        fields = ["status", "updated_at"]
        if review_stage is not None:
            article.review_stage = review_stage
            fields.append("review_stage")
        if responsible_editor is not None:
            article.responsible_editor = responsible_editor
            fields.append("responsible_editor")
        article.save(update_fields=fields)
    return article


def do_publish_article(article: Article, *, at: datetime | None = None) -> Article:
    """Publish now; a future `at` schedules instead (`do_schedule_article`), a past one backdates.

    Publishing an article that is scheduled for later publishes it now.
    """
    now = timezone.now()
    if at is not None and at > now:
        return do_schedule_article(article, at)
    with _article_change(article):
        article.status = Article.Status.PUBLISHED
        if at is not None:
            article.published_at = at
        elif article.published_at is None or article.published_at > now:
            article.published_at = now
        article.save(update_fields=["status", "published_at", "updated_at"])
    return article


def do_schedule_article(article: Article, at: datetime) -> Article:
    """定时发布: off the site until `at`, when the worker publishes it (`citydesk worker`)."""
    if timezone.is_naive(at):
        raise ValueError("定时发布时间必须带时区")
    if at <= timezone.now():
        when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")
        raise ValueError(f"定时发布时间 {when} 已经过去，请选择将来的时间")
    with _article_change(article):
        article.status = Article.Status.SCHEDULED
        article.published_at = at
        article.save(update_fields=["status", "published_at", "updated_at"])
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


def do_unpublish_article(article: Article) -> Article:
    with _article_change(article):
        article.status = Article.Status.UNPUBLISHED
        article.save(update_fields=["status", "updated_at"])
    return article


def do_retract_article(article: Article) -> Article:
    """撤稿: off every page for good (unpublish can be undone by publishing again)."""
    with _article_change(article):
        article.status = Article.Status.RETRACTED
        article.save(update_fields=["status", "updated_at"])
    return article


def set_article_cover(article: Article, filename: str, content: bytes) -> Article:
    """Store `content` as the article's cover image (the list thumbnail and share image).
    Raises images.ImageError for anything but an acceptable picture."""
    content = images.cleaned(content)
    with _article_change(article):
        article.cover.save(filename, ContentFile(content), save=False)
        article.save(update_fields=["cover", "updated_at"])
    return article


def set_cover_focus(article: Article, x: float, y: float) -> Article:
    """Where the cover is cropped around (fractions of its width and height, 0 to 1)."""
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise ValueError("封面焦点必须在 0 到 1 之间")
    if (article.cover_focal_x, article.cover_focal_y) == (x, y):
        return article
    with _article_change(article):
        article.cover_focal_x, article.cover_focal_y = x, y
        article.save(update_fields=["cover_focal_x", "cover_focal_y", "updated_at"])
    return article


# Images ---------------------------------------------------------------------------------


def create_image(
    filename: str,
    content: bytes,
    *,
    title: str = "",
    caption: str = "",
    credit: str = "",
    focal_x: float = 0.5,
    focal_y: float = 0.5,
) -> Image:
    """A picture in the media library; width and height are read from the file. Raises
    images.ImageError for anything but an acceptable picture; its renditions are made by
    the worker afterwards."""
    content = images.cleaned(content)
    # Assigned, not file.save(): assignment is what fills width and height from the bytes.
    image = Image(
        file=ContentFile(content, name=filename),
        title=title[:200],
        caption=caption[:300],
        credit=credit[:100],
        focal_x=focal_x,
        focal_y=focal_y,
    )
    return save_image(image)


def save_image(image: Image) -> Image:
    """Store a new or edited library image (the admin's form fills it, checked); its
    renditions are made again when the file or the focal point changed."""
    with transaction.atomic():
        stored = Image.objects.filter(pk=image.pk).values(*_RENDERED_FROM).first()
        image.save()
        if stored is not None and stored != _rendered_from(image):
            old = [r.file for r in image.renditions.all()]
            image.renditions.all().delete()

            def delete_files() -> None:
                for file in old:
                    file.delete(save=False)

            # Their files go once the change is kept, not before (a rollback keeps them).
            transaction.on_commit(delete_files)
        if stored is None or not image.renditions.exists():
            signals.image_saved.enqueue(image_id=image.pk)
    return image


# What an image's renditions are made from: change one and they are made again.
_RENDERED_FROM = ("file", "focal_x", "focal_y")


def _rendered_from(image: Image) -> dict[str, Any]:
    return {"file": image.file.name, "focal_x": image.focal_x, "focal_y": image.focal_y}


def delete_image(image: Image) -> None:
    with transaction.atomic():
        image.delete()


def make_renditions(image_id: int) -> int:
    """The image's missing renditions; how many were made. Safe to run twice at once: a
    spec another worker made meanwhile is left to it. Raises Image.DoesNotExist."""
    image = Image.objects.get(pk=image_id)
    done = set(image.renditions.values_list("spec", flat=True))
    made = 0
    for name, spec in images.SPECS.items():
        if name in done:
            continue
        data = images.render(image, spec)
        rendition = Rendition(image=image, spec=name)
        try:
            with transaction.atomic():
                # Edited while this one rendered: the edit's own task makes the new ones.
                source = Image.objects.select_for_update().filter(pk=image_id)
                if source.values(*_RENDERED_FROM).first() != _rendered_from(image):
                    return made
                rendition.file = ContentFile(data, name=f"{image.pk}-{name}.webp")
                rendition.save()
        except IntegrityError:
            rendition.file.delete(save=False)
            continue
        made += 1
    return made


# Channels, topics, people, tags -----------------------------------------------------------


def save_related(
    instance: Channel | Topic | Person | Tag, *, topic_articles: Iterable[Article] | None = None
) -> Channel | Topic | Person | Tag:
    """Store a new or edited channel, topic, person or tag (the admin's forms fill it),
    and, given, a topic's articles in order; every page that names it is refreshed."""
    with _related_change(instance):
        instance.save()
        if topic_articles is not None:
            _set_topic_rows(instance, topic_articles)
    return instance


def delete_related(instance: Channel | Topic | Person | Tag) -> None:
    """Delete a channel, topic, person or tag; the pages that named it are refreshed.
    Raises django.db.models.ProtectedError for a channel that still has sub-channels."""
    with _related_change(instance, deleting=True):
        instance.delete()


def set_topic_articles(topic: Topic, articles: Iterable[Article]) -> None:
    """A 专题's articles, in this order."""
    with _related_change(topic):
        _set_topic_rows(topic, articles)


def _set_topic_rows(topic: Any, articles: Iterable[Article]) -> None:
    TopicArticle.objects.filter(topic=topic).delete()
    TopicArticle.objects.bulk_create(
        TopicArticle(topic=topic, article=article, position=position)
        for position, article in enumerate(dict.fromkeys(articles))
    )


def set_person_profile(
    person: Person, *, organization: str = "", title: str = "", bio: str = ""
) -> Person:
    """What the person page shows besides the name; empty arguments leave a field alone."""
    fields = {"organization": organization, "title": title, "bio": bio}
    changed = [name for name, value in fields.items() if value]
    if changed:
        with _related_change(person):
            for name in changed:
                setattr(person, name, fields[name])
            person.save(update_fields=changed)
    return person


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
    with _related_change(topic):
        if cover is not None:
            topic.cover.save(cover[0], ContentFile(cover[1]), save=False)
        topic.save()
        _set_topic_rows(topic, articles)
    return topic
