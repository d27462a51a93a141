"""Which URLs a change makes stale, worked out from the state before and after it."""

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Channel, Person, Tag, Topic
from citydesk.publishing import affected
from citydesk.publishing.cache import PageCache

pytestmark = pytest.mark.django_db

# 23:30 UTC on 31 January is 07:30 on 1 February in Suzhou.
MONTH_EDGE = datetime(2024, 1, 31, 23, 30, tzinfo=UTC)


def para(text: str) -> dict[str, str]:
    return {"type": "paragraph", "text": text}


def article(**kw) -> Article:
    status = kw.pop("status", Article.Status.PUBLISHED)
    data = ArticleData(
        title=kw.pop("title", "运河新闻"),
        body=kw.pop("body", [para("正文")]),
        channels=kw.pop("channels", ["suzhou"]),
        credits=kw.pop("credits", [("writer", "沈清")]),
        responsible_editor=kw.pop("responsible_editor", "陆一"),
        tags=kw.pop("tags", ["运河"]),
        published_at=kw.pop("published_at", MONTH_EDGE),
        **kw,
    )
    return actions.create_article(data, status=status)


def urls(change: affected.Affected) -> list[str]:
    return change.resolve()


def slug(model, **kw) -> str:
    return model.objects.get(**kw).slug


def test_publishing_purges_every_page_that_lists_the_article():
    item = article(channels=["suzhou", "guonei"])
    state = actions.article_state(item.pk)
    assert state is not None
    found = urls(affected.for_article_change(replace(state, live=False), state))
    writer, editor = slug(Person, name="沈清"), slug(Person, name="陆一")
    expected = {
        f"/a/{item.pk}/",
        "/",
        "/gundong/",
        "/suzhou/",
        "/guonei/",
        f"/people/{writer}/",
        f"/people/{editor}/",
        f"/tag/{slug(Tag, name='运河')}/",
        "/rss.xml",
        "/atom.xml",
        "/gundong/rss.xml",
        "/suzhou/rss.xml",
        "/guonei/atom.xml",
        "/sitemap.xml",
        "/sitemaps/articles-2024-02.xml",  # Beijing time, not UTC
    }
    assert expected <= set(found)
    unrelated = {"/pinglun/", "/shipin/", "/zhuanti/", "/sitemaps/news.xml", "/sitemaps/pages.xml"}
    assert not unrelated & set(found)
    assert "/sitemaps/articles-2024-01.xml" not in found


def test_a_draft_or_a_scheduled_article_purges_nothing():
    draft = article(status=Article.Status.DRAFT)
    state = actions.article_state(draft.pk)
    assert affected.for_article_change(state, state).resolve() == []
    actions.do_publish_article(draft, at=timezone.now() + timedelta(hours=1))
    scheduled = actions.article_state(draft.pk)
    assert scheduled is not None and not scheduled.live
    assert not affected.for_article_change(state, scheduled)


def test_moving_an_article_purges_the_lists_it_left_and_joined():
    item = article(channels=["suzhou"], tags=["旧标签"])
    before = actions.article_state(item.pk)
    assert before is not None
    after = replace(
        before,
        channel_ids=frozenset([Channel.objects.get(slug="pinglun").pk]),
        tag_ids=frozenset([actions.get_or_create_tag("新标签").pk]),
    )
    found = set(urls(affected.for_article_change(before, after)))
    assert {"/suzhou/", "/pinglun/", "/tag/旧标签/", "/tag/新标签/"} <= found
    assert "/guonei/" not in found


def test_unpublishing_purges_what_showed_it_but_not_the_lists_of_a_draft():
    item = article(channels=["suzhou"])
    live = actions.article_state(item.pk)
    assert live is not None
    gone = replace(live, live=False, channel_ids=frozenset([Channel.objects.get(slug="xuexi").pk]))
    found = set(urls(affected.for_article_change(live, gone)))
    assert {f"/a/{item.pk}/", "/suzhou/", "/"} <= found
    assert "/xuexi/" not in found  # never showed it


def test_every_page_of_the_article_including_pages_it_no_longer_has():
    item = article(body=[para("一"), {"type": "pagebreak"}, para("二"), {"type": "pagebreak"}])
    state = actions.article_state(item.pk)
    assert state is not None and state.page_count == 2
    shrunk = replace(state, page_count=1)
    found = urls(affected.for_article_change(replace(state, page_count=3), shrunk))
    assert {f"/a/{item.pk}/", f"/a/{item.pk}/2/", f"/a/{item.pk}/3/"} <= set(found)
    assert f"/a/{item.pk}/4/" not in found


def test_cached_later_pages_of_lists_and_articles_are_found_on_disk(settings, tmp_path):
    cache = PageCache()
    for url in ["/suzhou/page/2/", "/suzhou/page/7/", "/guonei/page/2/", "/a/1/5/"]:
        assert cache.write(url, b"x", rendered_since=time.time())
    change = affected.Affected(articles={1: 1})
    change.add_list(affected.CHANNEL, slug="suzhou", feeds=False)
    assert change.resolve() == [
        "/a/1/",
        "/a/1/5/",
        "/api/v1/articles/1/",  # the article's ninjs, in the integrators' API
        "/suzhou/",
        "/suzhou/page/2/",
        "/suzhou/page/7/",
    ]


def test_a_child_channel_purges_its_parent():
    suzhou = Channel.objects.get(slug="suzhou")
    Channel.objects.create(name="姑苏", slug="gusu", parent=suzhou, in_nav=False)
    item = article(channels=["gusu"])
    state = actions.article_state(item.pk)
    found = set(urls(affected.for_article_change(None, state)))
    assert {"/gusu/", "/suzhou/", "/suzhou/rss.xml"} <= found


def test_topics_of_the_article_and_the_news_sitemap_when_recent():
    item = article(published_at=timezone.now() - timedelta(hours=3))
    topic = actions.create_topic("运河专题", [item], slug="yunhe")
    state = actions.article_state(item.pk)
    found = set(urls(affected.for_article_change(None, state)))
    assert {"/zhuanti/yunhe/", "/zhuanti/yunhe/rss.xml", "/sitemaps/news.xml"} <= found
    assert "/zhuanti/" not in found  # the topic list shows topics, not their articles
    assert topic.slug == "yunhe"


def test_a_bulk_import_purges_the_lists_of_its_live_articles():
    items = [article(title=f"稿件{n}", channels=["guonei"], tags=[f"标签{n}"]) for n in range(3)]
    draft = article(title="草稿", channels=["xuexi"], status=Article.Status.DRAFT)
    found = set(urls(affected.for_new_articles([a.pk for a in [*items, draft]])))
    assert {"/guonei/", "/gundong/", "/", "/tag/标签0/", "/tag/标签2/"} <= found
    assert {f"/a/{a.pk}/" for a in items} <= found
    assert "/xuexi/" not in found and f"/a/{draft.pk}/" not in found
    assert not affected.for_new_articles([draft.pk])


# Channels, topics, people and tags ------------------------------------------------------


def related(model, pk, old, article_ids=()):
    return set(
        urls(affected.for_related_change(model, old, actions.related_state(model, pk), article_ids))
    )


def test_a_new_bio_purges_the_persons_pages_only():
    item = article()
    person = Person.objects.get(name="沈清")
    old = actions.related_state(Person, person.pk)
    Person.objects.filter(pk=person.pk).update(bio="资深记者")
    assert related(Person, person.pk, old, [item.pk]) == {f"/people/{person.slug}/"}


def test_renaming_a_person_purges_their_pages_and_the_articles_naming_them():
    item = article(channels=["pinglun"])
    person = Person.objects.get(name="沈清")
    old = actions.related_state(Person, person.pk)
    Person.objects.filter(pk=person.pk).update(name="沈青", slug="shen-qing")
    found = related(Person, person.pk, old, [item.pk])
    assert {f"/people/{person.slug}/", "/people/shen-qing/", f"/a/{item.pk}/"} <= found
    assert {"/rss.xml", "/pinglun/rss.xml"} <= found  # feed items name their author
    assert "/" not in found and "/pinglun/" not in found


def test_renaming_a_tag_purges_its_pages_and_the_articles_showing_it():
    item = article(tags=["运河"])
    tag = Tag.objects.get(name="运河")
    old = actions.related_state(Tag, tag.pk)
    Tag.objects.filter(pk=tag.pk).update(name="大运河")
    found = related(Tag, tag.pk, old, [item.pk])
    assert {"/tag/运河/", f"/a/{item.pk}/"} <= found and "/suzhou/" not in found


def test_a_channel_description_shows_on_its_own_pages_only():
    item = article()
    suzhou = Channel.objects.get(slug="suzhou")
    old = actions.related_state(Channel, suzhou.pk)
    Channel.objects.filter(pk=suzhou.pk).update(description="新的简介")
    change = affected.for_related_change(
        Channel, old, actions.related_state(Channel, suzhou.pk), [item.pk]
    )
    assert not change.every_page
    assert set(change.resolve()) == {
        "/suzhou/",
        "/suzhou/rss.xml",
        "/suzhou/atom.xml",
        "/api/v1/channels/",  # the API's list of channels shows descriptions
    }


def test_renaming_a_nav_channel_purges_every_cached_page_but_not_feeds():
    cache = PageCache()
    for url in ["/", "/a/1/", "/a/1/2/", "/people/李明/", "/guonei/page/2/", "/rss.xml"]:
        assert cache.write(url, b"x", rendered_since=time.time())
    guonei = Channel.objects.get(slug="guonei")
    old = actions.related_state(Channel, guonei.pk)
    Channel.objects.filter(pk=guonei.pk).update(name="国内要闻")
    found = related(Channel, guonei.pk, old)
    assert {"/", "/a/1/", "/a/1/2/", "/people/李明/", "/guonei/page/2/"} <= found
    assert "/rss.xml" not in found


def test_renaming_a_channel_outside_the_nav_purges_its_articles_not_everything():
    suzhou = Channel.objects.get(slug="suzhou")
    gusu = Channel.objects.create(name="姑苏", slug="gusu", parent=suzhou, in_nav=False)
    item = article(channels=["gusu"])
    old = actions.related_state(Channel, gusu.pk)
    Channel.objects.filter(pk=gusu.pk).update(name="姑苏区", slug="gusuqu")
    change = affected.for_related_change(
        Channel, old, actions.related_state(Channel, gusu.pk), [item.pk]
    )
    assert not change.every_page
    found = set(change.resolve())
    assert {"/gusu/", "/gusuqu/", f"/a/{item.pk}/", "/sitemaps/pages.xml"} <= found
    assert "/" not in found and "/suzhou/" not in found  # the parent lists articles only


def test_moving_a_channel_purges_both_parents():
    suzhou, guonei = Channel.objects.get(slug="suzhou"), Channel.objects.get(slug="guonei")
    gusu = Channel.objects.create(name="姑苏", slug="gusu", parent=suzhou, in_nav=False)
    old = actions.related_state(Channel, gusu.pk)
    Channel.objects.filter(pk=gusu.pk).update(parent=guonei)
    assert {"/suzhou/", "/guonei/", "/gusu/"} <= related(Channel, gusu.pk, old)


def test_a_topic_edit_purges_its_pages_the_topic_list_and_home():
    item = article()
    topic = actions.create_topic("运河专题", [item], slug="yunhe")
    old = actions.related_state(Topic, topic.pk)
    Topic.objects.filter(pk=topic.pk).update(title="大运河专题")
    found = related(Topic, topic.pk, old, [item.pk])
    assert found == {
        "/zhuanti/yunhe/",
        "/zhuanti/yunhe/rss.xml",
        "/zhuanti/yunhe/atom.xml",
        "/zhuanti/",
        "/",
        "/sitemaps/pages.xml",
        # The API: its topic list, and the documents of the topic's articles (their
        # ninjs names the topic), and the article list naming them.
        "/api/v1/topics/",
        f"/api/v1/articles/{item.pk}/",
        "/api/v1/articles/",
    }


def test_saving_without_a_change_purges_nothing_but_a_topics_own_pages():
    item = article()
    person = Person.objects.get(name="沈清")
    same = actions.related_state(Person, person.pk)
    assert not affected.for_related_change(Person, same, same, [item.pk])
    topic = actions.create_topic("运河专题", [item], slug="yunhe")
    same = actions.related_state(Topic, topic.pk)
    # Its article list may have been edited alongside.
    found = set(affected.for_related_change(Topic, same, same, [item.pk]).resolve())
    assert "/zhuanti/yunhe/" in found and "/zhuanti/" not in found
    # ... and the ninjs of its articles names its topics.
    assert {f"/api/v1/articles/{item.pk}/", "/api/v1/articles/"} <= found


def test_a_deleted_tag_purges_its_old_pages():
    item = article(tags=["运河"])
    tag = Tag.objects.get(name="运河")
    pk = tag.pk
    old = actions.related_state(Tag, pk)
    tag.delete()
    assert actions.related_state(Tag, pk) is None
    found = set(affected.for_related_change(Tag, old, None, [item.pk]).resolve())
    assert {"/tag/运河/", f"/a/{item.pk}/"} <= found
