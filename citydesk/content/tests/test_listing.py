"""Channels' and tags' lists (ChannelListing, TagListing) follow every change the door
makes, and the migration's fill gives the rows the door would have made."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from citydesk.content import actions, queries
from citydesk.content.actions import ArticleData
from citydesk.content.actions.batch import BulkWriter
from citydesk.content.models import Article, Channel, ChannelListing, Tag, TagListing

pytestmark = pytest.mark.django_db


def make(title: str, hours_ago: float, channels: list[str], **kw) -> Article:
    status = kw.pop("status", Article.Status.PUBLISHED)
    data = ArticleData(
        title=title,
        body=[{"type": "paragraph", "text": "正文。"}],
        published_at=timezone.now() - timedelta(hours=hours_ago),
        channels=channels,
        **kw,
    )
    return actions.create_article(data, status=status)


def expected_rows() -> set[tuple[str, int, int, object]]:
    """What the lists must hold: every channel and tag link of every published article."""
    rows: set[tuple[str, int, int, object]] = set()
    for article in Article.objects.filter(status=Article.Status.PUBLISHED):
        for filed in article.channels.all():
            channel: Channel | None = filed
            while channel is not None:  # a channel's list holds its sub-channels' articles
                rows.add(("channel", channel.pk, article.pk, article.published_at))
                channel = channel.parent
        for tag_id in article.tags.values_list("pk", flat=True):
            rows.add(("tag", tag_id, article.pk, article.published_at))
    return rows


def stored_rows() -> set[tuple[str, int, int, object]]:
    channels = ChannelListing.objects.values_list("channel_id", "article_id", "published_at")
    tags = TagListing.objects.values_list("tag_id", "article_id", "published_at")
    return {("channel", *row) for row in channels} | {("tag", *row) for row in tags}


def listed(slug: str) -> list[str]:
    return [a.title for a in queries.channel_articles(Channel.objects.get(slug=slug))]


def tagged(name: str) -> list[str]:
    return [a.title for a in queries.tag_articles(Tag.objects.get(name=name))]


def test_lists_follow_publish_edit_unpublish_retract_and_delete():
    first = make("新", 1, ["guonei"], tags=["民生"])
    second = make("旧", 5, ["guonei", "suzhou"], tags=["民生", "交通"])
    make("草稿", 0.5, ["guonei"], status=Article.Status.DRAFT, tags=["民生"])
    assert listed("guonei") == ["新", "旧"] and listed("suzhou") == ["旧"]
    assert tagged("民生") == ["新", "旧"] and tagged("交通") == ["旧"]
    assert stored_rows() == expected_rows() and len(stored_rows()) == 6

    actions.do_unpublish_article(first)
    assert listed("guonei") == ["旧"] and stored_rows() == expected_rows()

    actions.do_publish_article(first)  # again, at a new time: now the newest
    assert listed("guonei") == ["新", "旧"] and stored_rows() == expected_rows()

    actions.edit_article(
        second,
        {},
        channels=[Channel.objects.get(slug="suzhou")],
        tags=[Tag.objects.get(name="交通")],
    )
    assert listed("guonei") == ["新"] and listed("suzhou") == ["旧"]
    assert tagged("民生") == ["新"] and tagged("交通") == ["旧"]
    assert stored_rows() == expected_rows()

    actions.do_retract_article(second)
    assert listed("suzhou") == [] and tagged("交通") == [] and stored_rows() == expected_rows()

    actions.delete_article(first)
    assert listed("guonei") == [] and stored_rows() == set()


def test_a_scheduled_article_is_listed_when_the_worker_publishes_it():
    due = make("定时", -1, ["guonei"])  # an hour ahead: scheduled, not published
    assert due.status == Article.Status.SCHEDULED
    assert listed("guonei") == [] and stored_rows() == set()
    assert actions.publish_due_articles(now=timezone.now() + timedelta(hours=2)) == [due.pk]
    assert listed("guonei") == ["定时"] and stored_rows() == expected_rows()


def test_a_channel_lists_its_sub_channels_articles_once_and_follows_moves():
    suzhou, guonei = Channel.objects.get(slug="suzhou"), Channel.objects.get(slug="guonei")
    gusu = Channel(name="姑苏", slug="gusu", parent=suzhou, position=1)
    actions.save_related(gusu)
    pingjiang = Channel(name="平江", slug="pingjiang", parent=gusu)
    actions.save_related(pingjiang)
    make("两处", 1, ["suzhou", "gusu"])
    make("子栏目", 2, ["gusu"])
    make("孙栏目", 3, ["pingjiang"])
    assert listed("suzhou") == ["两处", "子栏目", "孙栏目"]
    assert listed("gusu") == ["两处", "子栏目", "孙栏目"] and listed("pingjiang") == ["孙栏目"]
    assert stored_rows() == expected_rows()
    assert queries.channel_articles(suzhou).count() == 3

    gusu.parent = guonei  # moved, with its own sub-channel
    actions.save_related(gusu)
    assert listed("suzhou") == ["两处"] and listed("guonei") == ["两处", "子栏目", "孙栏目"]
    assert stored_rows() == expected_rows()

    actions.delete_related(pingjiang)  # its article is in no list above it now
    assert listed("guonei") == ["两处", "子栏目"] and listed("gusu") == ["两处", "子栏目"]
    assert stored_rows() == expected_rows()


def test_a_bulk_import_lists_its_published_articles_only():
    now = timezone.now()

    def item(title: str, when: timedelta) -> ArticleData:
        return ArticleData(
            title=title, body=[], published_at=now + when, channels=["guonei"], tags=["导入"]
        )

    BulkWriter().write(
        [item("导入一", -timedelta(days=3)), item("导入二", -timedelta(days=1)),
         item("导入定时", timedelta(days=1))]
    )  # fmt: skip
    BulkWriter(status=Article.Status.DRAFT).write([item("导入草稿", -timedelta(hours=1))])
    assert listed("guonei") == ["导入二", "导入一"] and tagged("导入") == ["导入二", "导入一"]
    assert stored_rows() == expected_rows() and len(stored_rows()) == 4


def test_the_migrations_fill_gives_what_the_door_keeps():
    from importlib import import_module

    fill = import_module("citydesk.content.migrations.0013_lists").FILL
    make("甲", 1, ["guonei", "suzhou"], tags=["民生"])
    make("乙", 2, ["suzhou"])
    make("草稿", 1, ["suzhou"], status=Article.Status.DRAFT, tags=["民生"])
    kept = stored_rows()
    assert len(kept) == 4
    ChannelListing.objects.all().delete()
    TagListing.objects.all().delete()
    with connection.cursor() as cursor:
        for sql in fill:
            cursor.execute(sql)
    assert stored_rows() == kept
