"""Reader pages cost a fixed number of queries, however much content there is."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.portal.tests.sitedata import build_site, filler_articles, para
from citydesk.rankings import queries as rankings

pytestmark = pytest.mark.django_db

# Budgets, with the queries each page makes today (今日推荐 and 热点排行 are fragments with
# a query each, and the view is counted by the beacon, so no page pays for them):
# home: nav, headline, slides, latest, two per channel block (7), topics = 19
# channel: channel, 置顶, count, page, nav = 5
# article: article, credits, tags, channels, nav = 5
# Each channel list reads its few 置顶 articles (an indexed query), then its page.
HOME_BUDGET = 19
CHANNEL_BUDGET = 5
ARTICLE_BUDGET = 6  # and whether it is 图文直播 (one read by primary key)
FRAGMENT_BUDGET = 1


def queries_for(client, url: str) -> list[str]:
    rankings.forget()  # every call reads the ranking afresh
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries]


@pytest.fixture
def site():
    return build_site()


def test_home_query_count(client, site, django_assert_max_num_queries):
    with django_assert_max_num_queries(HOME_BUDGET):
        assert client.get("/").status_code == 200


def test_channel_query_count(client, site, django_assert_max_num_queries):
    with django_assert_max_num_queries(CHANNEL_BUDGET):
        assert client.get("/suzhou/").status_code == 200


def test_article_query_count(client, site, django_assert_num_queries):
    with django_assert_num_queries(ARTICLE_BUDGET):
        assert client.get(site.feature.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    ("url", "budget"),
    # Each first works out its list (remembered FRESH_SECONDS a process): 热点排行 reads
    # the ranking; 今日推荐 the picks, recent and flagged articles, their channels and
    # views. Then each reads its articles, live, every time.
    [("/fragments/picks/", FRAGMENT_BUDGET + 5), ("/fragments/hot/", FRAGMENT_BUDGET + 1)],
)
def test_fragment_query_count(client, site, url, budget, django_assert_num_queries):
    with django_assert_num_queries(budget):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(FRAGMENT_BUDGET):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/suzhou/",
        "/gundong/",
        "/gundong/page/2/",
        "/shipin/",
        "/fragments/picks/",
        "/fragments/hot/",
    ],
)
def test_lists_do_not_grow_with_content(client, site, url):
    before = len(queries_for(client, url))
    # Twenty more stories, each with two credits, two tags and (every other one) a cover.
    filler_articles(20, start=200)
    assert len(queries_for(client, url)) == before


def test_list_pages_never_grow_with_content_elsewhere(client, site):
    urls = [
        site.topic.get_absolute_url(),
        site.writer.get_absolute_url(),
        site.feature.tags.get(name="城市更新").get_absolute_url(),
        "/zhuanti/",
    ]
    before = [len(queries_for(client, url)) for url in urls]
    filler_articles(20, start=200)
    actions.create_topic("又一个专题", [site.feature])
    assert [len(queries_for(client, url)) for url in urls] == before


def test_article_page_does_not_grow_with_credits_and_tags(client, site):
    small = len(queries_for(client, site.feature.get_absolute_url()))
    big = actions.create_article(
        ArticleData(
            title="署名很多的稿件",
            body=[para("正文")],
            organization="苏报融媒",
            credits=[("writer", f"作者{n}") for n in range(10)]
            + [("photographer", f"摄影{n}") for n in range(5)]
            + [("video_editor", f"剪辑{n}") for n in range(3)],
            responsible_editor="陈静",
            tags=[f"标签{n}" for n in range(12)],
            channels=["suzhou", "chengshi", "wenlv"],
        ),
        status=Article.Status.PUBLISHED,
    )
    assert len(queries_for(client, big.get_absolute_url())) == small


def test_lists_do_not_read_article_bodies(client, site):
    # A body is most of a row's bytes and no card shows it.
    for url in ["/", "/suzhou/", "/gundong/", site.topic.get_absolute_url()]:
        for sql in queries_for(client, url):
            assert '"content_article"."body"' not in sql, (url, sql)
