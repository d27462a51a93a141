"""The batch door: many new articles stored at once (`citydesk import jsonl`).

Speed comes from storing a batch with a handful of `bulk_create` calls (articles, new
tags, new people, channel and tag links, credits) with per-run caches of tags, people
and channels by name, instead of `create_article` per item (tens of queries each). Each
article is built by the same `build_article` as `create_article`, so the same rules hold
(a future publish time is scheduled, not published). `bulk_create` skips
`Article.save()`, so bodies are passed through `clean_blocks` here.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from citydesk.content import signals
from citydesk.content.actions import (
    ArticleData,
    build_article,
    get_or_create_person,
    get_or_create_tag,
    relist,
)
from citydesk.content.models import Article, ArticleCredit, Channel, Person, Tag
from citydesk.content.sanitize import clean_blocks

# SQLite builds older than 3.32 allow 999 parameters a statement; lookups by name stay
# under that so one code path works on every SQLite and on PostgreSQL.
LOOKUP_CHUNK = 500


def _slug_base(text: str) -> str:
    return slugify(text, allow_unicode=True)[:70] or "x"


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


class _NameCache:
    """Primary keys of tags or people by name, creating the missing ones in bulk."""

    def __init__(self, model: type[Tag] | type[Person], max_length: int) -> None:
        self.model = model
        self.max_length = max_length
        self.ids: dict[str, int] = {}
        self.slugs: set[str] | None = None

    def clean(self, name: str) -> str:
        return name.strip()[: self.max_length]

    def _unique_slug(self, name: str) -> str:
        if self.slugs is None:  # loaded once, on the first new name of the run
            self.slugs = set(self.model.objects.values_list("slug", flat=True))
        base = slug = _slug_base(name)
        n = 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add(slug)
        return slug

    def _fetch(self, names: Sequence[str]) -> None:
        for chunk in _chunks(names):
            self.ids.update(self.model.objects.filter(name__in=chunk).values_list("name", "id"))

    def resolve(self, names: set[str]) -> None:
        missing = sorted(n for n in names if n not in self.ids)
        if not missing:
            return
        self._fetch(missing)
        new = [n for n in missing if n not in self.ids]
        if not new:
            return
        # ignore_conflicts: a name another process stored meanwhile is read back below.
        objs: list[Any] = [self.model(name=n, slug=self._unique_slug(n)) for n in new]
        self.model.objects.bulk_create(objs, ignore_conflicts=True)
        self._fetch(new)
        for name in new:
            if name not in self.ids:  # its slug was taken by a concurrent write
                self.slugs = None
                self.ids[name] = self._create_one(name)

    def _create_one(self, name: str) -> int:
        if self.model is Tag:
            return get_or_create_tag(name).pk
        return get_or_create_person(name).pk

    def forget(self) -> None:
        """After a rollback the ids created in it are gone; read them again next time."""
        self.ids.clear()
        self.slugs = None


class BulkWriter:
    """Stores ArticleData in bulk; one instance per run holds its caches."""

    def __init__(self, *, status: str = Article.Status.PUBLISHED) -> None:
        self.status = status
        self.tags = _NameCache(Tag, 50)
        self.people = _NameCache(Person, 50)
        channels = Channel.objects.values_list("slug", "id", "kind")
        self.channel_ids = {slug: pk for slug, pk, _kind in channels}
        # Video items fill the 视频 channel whatever else they are filed under, as
        # actions.channels_for does for one article.
        self.video_channel_ids = [pk for _slug, pk, kind in channels if kind == Channel.Kind.VIDEO]

    def existing(self, external_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(external_ids):
            rows = Article.objects.filter(external_id__in=chunk).values_list(
                "external_id", flat=True
            )
            found.update(external_id for external_id in rows if external_id)
        return found

    def write(self, items: Sequence[ArticleData]) -> None:
        try:
            with transaction.atomic():
                self._write(items)
        except BaseException:
            self.tags.forget()
            self.people.forget()
            raise

    def _write(self, items: Sequence[ArticleData]) -> None:
        self.tags.resolve({self.tags.clean(t) for d in items for t in d.tags if t.strip()})
        self.people.resolve(
            {self.people.clean(n) for d in items for _r, n in d.credits}
            | {self.people.clean(d.responsible_editor) for d in items if d.responsible_editor}
        )
        articles = Article.objects.bulk_create([self._article(d) for d in items])
        channel_links: list[Any] = []
        tag_links: list[Any] = []
        credits: list[ArticleCredit] = []
        ChannelLink = Article.channels.through
        TagLink = Article.tags.through
        for article, data in zip(articles, items, strict=True):
            channel_ids = [self.channel_ids[s] for s in data.channels if s in self.channel_ids]
            if data.kind == Article.Kind.VIDEO:
                channel_ids += self.video_channel_ids
            for channel_id in dict.fromkeys(channel_ids):
                channel_links.append(ChannelLink(article_id=article.pk, channel_id=channel_id))
            tag_ids = [self.tags.ids[self.tags.clean(t)] for t in data.tags if t.strip()]
            for tag_id in dict.fromkeys(tag_ids):
                tag_links.append(TagLink(article_id=article.pk, tag_id=tag_id))
            seen: set[tuple[int, str]] = set()
            for position, (role, name) in enumerate(data.credits):
                person_id = self.people.ids[self.people.clean(name)]
                if (person_id, role) not in seen:
                    seen.add((person_id, role))
                    credits.append(
                        ArticleCredit(
                            article_id=article.pk, person_id=person_id, role=role, position=position
                        )
                    )
        ChannelLink.objects.bulk_create(channel_links)
        TagLink.objects.bulk_create(tag_links)
        relist([article.pk for article in articles])  # as announce_article_change does
        ArticleCredit.objects.bulk_create(credits)
        # Announced in the batch's transaction, like every content write: a batch rolled
        # back leaves no follow-ups.
        signals.articles_bulk_created.enqueue(article_ids=[article.pk for article in articles])

    def _article(self, data: ArticleData) -> Article:
        editor = self.people.clean(data.responsible_editor)
        article = build_article(
            data,
            status=self.status,
            responsible_editor_id=self.people.ids[editor] if editor else None,
        )
        article.body = clean_blocks(article.body)  # bulk_create skips Article.save()
        return article
