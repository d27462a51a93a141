"""Build the demo site from `content.py`, through the same actions the newsroom uses.

Safe to run again: an article whose external_id ("demo:<n>") exists, a topic whose slug
exists and a person who exists are left as they are, so a second run adds nothing and
keeps whatever an editor changed in between.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import cycle
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.actions import live
from citydesk.content.models import Article, ArticleCredit, Channel, Image, LiveCoverage, Topic
from citydesk.demo import images
from citydesk.demo.content import LIVE, PEOPLE, STORIES, TOPICS, DemoLive, DemoTopic, Story
from citydesk.rankings import actions as rankings


class DemoError(Exception):
    """The database is not ready for the demo (e.g. not migrated)."""


@dataclass
class Result:
    articles_created: int = 0
    articles_existing: int = 0
    topics_created: int = 0
    videos_playable: bool = False


def external_id(story: Story) -> str:
    return f"demo:{story.n}"


def build(now: datetime | None = None) -> Result:
    now = now or timezone.now()
    wanted = {story.channel for story in STORIES}
    missing = wanted - set(Channel.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    if missing:
        raise DemoError(f"缺少栏目 (missing channels): {', '.join(sorted(missing))}")
    result = Result(videos_playable=images.video_supported())
    _people()
    articles: dict[int, Article] = {}
    for story in STORIES:
        article = Article.objects.filter(external_id=external_id(story)).first()
        if article is None:
            article = _create_article(story, now)
            _readers(article, story.views, now)
            result.articles_created += 1
        else:
            result.articles_existing += 1
        articles[story.n] = article
    if not LiveCoverage.objects.filter(article=articles[LIVE.story]).exists():
        _create_live(LIVE, articles[LIVE.story])
    for position, topic in enumerate(TOPICS):
        if not Topic.objects.filter(slug=topic.slug).exists():
            _create_topic(topic, articles, seed=1000 + position)
            result.topics_created += 1
    return result


def _people() -> None:
    # Created before any article, so a byline names the person with this profile rather
    # than a bare one made from the byline's organization.
    for p in PEOPLE:
        person = actions.get_or_create_person(p.name, p.organization)
        if not person.bio:
            actions.set_person_profile(
                person, organization=p.organization, title=p.title, bio=p.bio
            )


def _published_at(story: Story, now: datetime) -> datetime:
    at = now - timedelta(hours=story.hours_ago)
    # Whole seconds, varied per article: a real newsroom does not publish on the minute.
    return at.replace(second=(story.n * 37) % 60, microsecond=0)


def _credit(story: Story, photographer: str | None) -> str:
    if photographer:
        return f"{story.source} {photographer} 摄"
    return f"{story.source} 资料图"


def _image_block(image: Image) -> dict[str, Any]:
    # src travels with the block so a page renders without looking the image up.
    return {
        "type": "image",
        "image_id": image.pk,
        "src": image.file.url,
        "caption": image.caption,
        "credit": image.credit,
    }


def _body(story: Story) -> list[dict[str, Any]]:
    photographers = cycle(story.photographers or [""])
    blocks: list[dict[str, Any]] = []
    extra = 0
    cover = images.picture(*story.cover, story.n) if story.cover else b""
    for raw in story.body.strip().splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "[分页]":
            blocks.append({"type": "pagebreak"})
        elif line.startswith("## "):
            blocks.append({"type": "heading", "text": line[3:].strip()})
        elif line.startswith(("[封面]", "[视频]")) and story.cover is None:
            raise ValueError(f"demo:{story.n} places its cover but has none")
        elif line.startswith("[封面]"):
            image = actions.create_image(
                f"demo-{story.n}.jpg",
                cover,
                title=story.title,
                caption=line.removeprefix("[封面]").strip(),
                credit=_credit(story, next(photographers)),
            )
            blocks.append(_image_block(image))
        elif line.startswith("[图 "):
            spec, caption = line[1:].split("]", 1)
            _, scene, palette = spec.split()
            extra += 1
            image = actions.create_image(
                f"demo-{story.n}-{extra}.jpg",
                images.picture(scene, palette, story.n * 100 + extra),
                title=story.title,
                caption=caption.strip(),
                credit=_credit(story, next(photographers)),
            )
            blocks.append(_image_block(image))
        elif line.startswith("[视频]"):
            caption = line.removeprefix("[视频]").strip()
            poster = actions.create_image(
                f"demo-{story.n}-poster.jpg", cover, title=story.title, caption=caption
            )
            clip = images.clip(*story.cover, story.n) if story.cover else None
            src = ""
            if clip is not None:
                name = default_storage.save(f"videos/demo-{story.n}.mp4", ContentFile(clip))
                src = default_storage.url(name)
            blocks.append(
                {"type": "video", "src": src, "poster": poster.file.url, "caption": caption}
            )
        else:
            blocks.append({"type": "paragraph", "text": line})
    return blocks


@transaction.atomic
def _create_article(story: Story, now: datetime) -> Article:
    credits = [
        *((ArticleCredit.Role.WRITER.value, name) for name in story.writers),
        *((ArticleCredit.Role.PHOTOGRAPHER.value, name) for name in story.photographers),
        *((ArticleCredit.Role.VIDEO_EDITOR.value, name) for name in story.video_editors),
    ]
    flags = set(story.flags.split())
    data = actions.ArticleData(
        title=story.title,
        subtitle=story.subtitle,
        summary=story.summary,
        body=_body(story),
        published_at=_published_at(story, now),
        source=story.source,
        organization=story.organization,
        credits=credits,
        responsible_editor=story.editor,
        channels=[story.channel],
        tags=list(story.tags),
        kind=Article.Kind.VIDEO if story.video else Article.Kind.ARTICLE,
        external_id=external_id(story),
        is_headline="headline" in flags,
        is_recommended="recommended" in flags,
        is_slideshow="slideshow" in flags,
        is_pinned="pinned" in flags,
        view_count=story.views,
    )
    article = actions.create_article(data, status=Article.Status.PUBLISHED)
    if story.cover:
        cover = images.picture(*story.cover, story.n)
        actions.set_article_cover(article, f"demo-{story.n}.jpg", cover)
    return article


def _readers(article: Article, views: int, now: datetime) -> None:
    """A tenth of the story's figure as views recorded in the rankings, spread from its
    publish time to now, so that 热点排行 has something to rank on a new site."""
    assert article.published_at is not None
    start, end = article.published_at.timestamp(), now.timestamp()
    rng = random.Random(article.pk)
    rankings.record_views(article, [rng.uniform(start, end) for _ in range(views // 10)], now=end)


def _create_live(demo: DemoLive, article: Article) -> None:
    assert article.published_at is not None
    start = article.published_at
    live.set_live_coverage(article, starts_at=start)
    for n, (minutes, author, text) in enumerate(demo.updates):
        update = live.post_live_update(
            article, text=text, author=author, posted_at=start + timedelta(minutes=minutes)
        )
        if n == demo.pinned:
            live.pin_live_update(update)


def _create_topic(topic: DemoTopic, articles: dict[int, Article], seed: int) -> Topic:
    cover = images.picture(*topic.cover, seed)
    return actions.create_topic(
        topic.title,
        [articles[n] for n in topic.stories],
        intro=topic.intro,
        cover=(f"{topic.slug}.jpg", cover),
        slug=topic.slug,
    )
