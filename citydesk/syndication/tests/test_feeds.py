"""RSS and Atom feeds, read back the way a feed reader reads them (feedparser)."""

import calendar
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.conf import settings

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.publishing.cache import PageCache
from citydesk.syndication.tests.content import BASE_TIME, Newsroom, build_newsroom, para, publish

pytestmark = pytest.mark.django_db

FEEDS = ["/rss.xml", "/atom.xml"]


@pytest.fixture
def newsroom() -> Newsroom:
    return build_newsroom()


def fetch(client, url: str, **headers) -> feedparser.FeedParserDict:
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def feed_text(client, url: str = "/suzhou/rss.xml") -> str:
    return client.get(url).content.decode()


def absolute(article) -> str:
    return settings.SITE_URL + article.get_absolute_url()


@pytest.mark.parametrize("url", FEEDS)
def test_site_feed_lists_the_20_newest_live_articles_newest_first(client, newsroom, url):
    feed = fetch(client, url)
    assert feed.version == ("rss20" if url == "/rss.xml" else "atom10")
    assert [e.title for e in feed.entries] == [a.title for a in newsroom.live[:20]]
    assert feed.feed.title == settings.SITE_NAME
    assert feed.feed.link == settings.SITE_URL + "/"


@pytest.mark.parametrize("url", FEEDS)
def test_feeds_never_list_drafts_unpublished_retracted_or_future_articles(client, newsroom, url):
    # Every hidden article is newer than every live one: a feed that let one through
    # would show it first.
    for prefix in ["", "/suzhou", "/gundong", f"/zhuanti/{newsroom.topic.slug}"]:
        feed = fetch(client, prefix + url)
        titles = {e.title for e in feed.entries}
        assert titles, prefix
        assert not titles & {a.title for a in newsroom.hidden}, prefix


def test_rss_item_carries_link_guid_date_author_tags_and_content(client, newsroom):
    article = newsroom.suzhou[0]  # 苏州快讯第1期: has a summary
    feed = fetch(client, "/suzhou/rss.xml")
    entry = feed.entries[0]
    assert entry.title == article.title
    assert entry.link == absolute(article)
    assert entry.id == absolute(article)
    assert f'<guid isPermaLink="true">{absolute(article)}</guid>' in feed_text(client)
    # Beijing time with its offset: 08:30 UTC is 16:30 +0800.
    assert entry.published == "Tue, 05 Mar 2024 15:30:00 +0800"
    published = datetime.fromtimestamp(calendar.timegm(entry.published_parsed), UTC)
    assert published == article.published_at
    assert entry.author == "记者1"
    assert [t.term for t in entry.tags] == ["城市更新", "街区1"]
    assert entry.summary == "第1期摘要。"
    assert "苏州快讯第1期的正文。" in entry.content[0].value


def test_atom_entry_dates_carry_the_beijing_offset(client, newsroom):
    article = newsroom.suzhou[0]
    entry = fetch(client, "/suzhou/atom.xml").entries[0]
    assert entry.link == absolute(article)
    assert entry.id == absolute(article)
    assert entry.published == "2024-03-05T15:30:00+08:00"
    assert entry.updated.endswith("+08:00")
    assert entry.author == "记者1"
    assert entry.summary == "第1期摘要。"


def test_description_is_the_first_paragraph_as_plain_text_without_a_summary(client, db):
    publish(
        "没有摘要的稿件",
        BASE_TIME,
        body=[
            {"type": "heading", "text": "小标题"},
            para(""),
            para("第一段有<b>加粗</b>和 &amp; 符号。"),
            para("第二段。"),
        ],
    )
    for url in FEEDS:
        entry = fetch(client, url).entries[0]
        assert entry.summary == "第一段有加粗和 &amp; 符号。", url


@pytest.mark.parametrize("url", FEEDS)
def test_titles_with_markup_characters_read_back_unchanged(client, db, url):
    # (A title that looks like HTML, "<b>…</b>", is ambiguous in RSS: readers guess.)
    title = 'A&B "引号" 3<5 &amp; 《书名》'
    publish(title, BASE_TIME)
    assert fetch(client, url).entries[0].title == title


def test_full_content_names_pictures_by_absolute_url(client, db):
    publish(
        "有图的稿件",
        BASE_TIME,
        body=[para("正文。"), {"type": "image", "src": "/media/p.jpg", "caption": "图说"}],
    )
    for url in FEEDS:
        content = fetch(client, url).entries[0].content[0].value
        assert f'src="{settings.SITE_URL}/media/p.jpg"' in content, url
        assert "图说" in content


def test_channel_feeds(client, newsroom):
    suzhou = fetch(client, "/suzhou/rss.xml")
    assert [e.title for e in suzhou.entries] == [a.title for a in newsroom.suzhou[:20]]
    assert suzhou.feed.link == settings.SITE_URL + "/suzhou/"
    assert [e.title for e in fetch(client, "/guonei/atom.xml").entries] == ["国内要闻"]
    # 滚动 is every channel.
    assert [e.title for e in fetch(client, "/gundong/rss.xml").entries] == [
        a.title for a in newsroom.live[:20]
    ]
    # An empty channel has an empty feed, not an error.
    assert fetch(client, "/pinglun/rss.xml").entries == []


def test_topic_feeds_list_the_topics_live_articles_newest_first(client, newsroom):
    expected = [newsroom.guonei.title, newsroom.suzhou[2].title, newsroom.suzhou[5].title]
    for url in ["rss.xml", "atom.xml"]:
        feed = fetch(client, f"/zhuanti/{newsroom.topic.slug}/{url}")
        assert [e.title for e in feed.entries] == expected
        assert feed.feed.link == settings.SITE_URL + newsroom.topic.get_absolute_url()


@pytest.mark.parametrize(
    "url",
    [
        "/no-such-channel/rss.xml",
        "/no-such-channel/atom.xml",
        "/zhuanti/nope/rss.xml",
        # 专题 in the nav is the topic list; each topic has a feed of its own.
        "/zhuanti/rss.xml",
        "/zhuanti/atom.xml",
    ],
)
def test_unknown_channel_or_topic_is_the_portals_404(client, db, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    assert PageCache().read(url) is None


def test_unpublished_topic_has_no_feed(client, newsroom):
    topic = actions.create_topic("未发布专题", newsroom.suzhou[:2], is_published=False)
    assert client.get(f"/zhuanti/{topic.slug}/rss.xml").status_code == 404


def test_feed_urls_come_from_site_url_not_the_request_host(client, newsroom, settings):
    settings.SITE_URL = "https://news.example.cn"
    response = client.get("/atom.xml", HTTP_HOST="attacker.example")
    body = response.content.decode()
    assert "attacker.example" not in body
    feed = feedparser.parse(response.content)
    assert feed.entries[0].link == "https://news.example.cn" + newsroom.live[0].get_absolute_url()
    assert any(
        link.rel == "self" and link.href == "https://news.example.cn/atom.xml"
        for link in feed.feed.links
    )


def test_feeds_are_cached_pages(client, newsroom):
    for url in ["/rss.xml", "/suzhou/atom.xml", f"/zhuanti/{newsroom.topic.slug}/rss.xml"]:
        response = client.get(url)
        assert "max-age" in response["Cache-Control"], url
        assert PageCache().read(url) == response.content, url


def test_feed_queries_do_not_grow_with_items(client, db, django_assert_num_queries):
    def queries_for_feed() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/suzhou/rss.xml").status_code == 200
        return len(ctx.captured_queries)

    publish("一篇", BASE_TIME, channels=["suzhou"], credits=[("writer", "甲")], tags=["一"])
    few = queries_for_feed()
    for n in range(20):
        publish(
            f"又一篇{n}",
            BASE_TIME - timedelta(minutes=n + 1),
            channels=["suzhou"],
            credits=[("writer", f"记者{n}")],
            tags=[f"标签{n}"],
        )
    assert queries_for_feed() == few


def test_new_article_goes_first_once_published(client, newsroom):
    draft = actions.create_article(
        ArticleData(title="刚刚发布", body=[para("新")], channels=["suzhou"])
    )
    assert "刚刚发布" not in {e.title for e in fetch(client, "/suzhou/rss.xml").entries}
    actions.do_publish_article(draft)
    PageCache().purge(["/suzhou/rss.xml"])
    assert fetch(client, "/suzhou/rss.xml").entries[0].title == "刚刚发布"
