"""Sitemaps and robots.txt, parsed back with lxml."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from lxml import etree

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.publishing.cache import PageCache
from citydesk.syndication.tests.content import build_newsroom, para, publish

pytestmark = pytest.mark.django_db

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def xml(client, url: str) -> etree._Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    return etree.fromstring(response.content)


def locs(root: etree._Element) -> list[str]:
    return root.xpath("//sm:loc/text()", namespaces=NS)


def url_of(path: str) -> str:
    return settings.SITE_URL + path


def month_url(year: int, month: int) -> str:
    return url_of(f"/sitemaps/articles-{year:04d}-{month:02d}.xml")


def test_index_lists_pages_news_and_exactly_the_months_with_live_articles(client, db):
    publish("一月", datetime(2023, 1, 10, 4, tzinfo=UTC))
    # 16:30 UTC on 31 January is 00:30 on 1 February in Suzhou: a February story.
    publish("二月初", datetime(2024, 1, 31, 16, 30, tzinfo=UTC))
    publish("二月", datetime(2024, 2, 10, 4, tzinfo=UTC))
    # Months whose only articles a reader may not see are not in the index.
    retracted = publish("已撤稿", datetime(2022, 6, 1, 4, tzinfo=UTC))
    actions.do_retract_article(retracted)
    actions.create_article(
        ArticleData(
            title="草稿", body=[para("草稿")], published_at=datetime(2021, 5, 1, tzinfo=UTC)
        )
    )
    future = actions.create_article(ArticleData(title="未来", body=[para("未来")]))
    actions.do_publish_article(future, at=timezone.now() + timedelta(days=40))

    root = xml(client, "/sitemap.xml")
    assert etree.QName(root).localname == "sitemapindex"
    assert locs(root) == [
        url_of("/sitemaps/pages.xml"),
        url_of("/sitemaps/news.xml"),
        month_url(2023, 1),
        month_url(2024, 2),
    ]
    lastmods = root.xpath(
        "//sm:sitemap[sm:loc[contains(., 'articles-')]]/sm:lastmod/text()", namespaces=NS
    )
    # A month changes when an article goes live in it: its newest, in Beijing time.
    assert lastmods == ["2023-01-10T12:00:00+08:00", "2024-02-10T12:00:00+08:00"]


def test_index_is_two_queries_however_many_months(client, db, django_assert_num_queries):
    for n in range(30):
        publish(f"第{n}月", datetime(2020 + n // 12, n % 12 + 1, 15, tzinfo=UTC))
    with django_assert_num_queries(2):
        root = xml(client, "/sitemap.xml")
    assert len(locs(root)) == 2 + 30


def test_month_sitemap_holds_that_months_live_articles_in_beijing_time(client, db):
    feb_first = publish("二月初", datetime(2024, 1, 31, 16, 30, tzinfo=UTC))
    feb = publish("二月", datetime(2024, 2, 29, 15, 59, tzinfo=UTC))  # 23:59 on the 29th
    march = publish("三月初", datetime(2024, 2, 29, 16, 0, tzinfo=UTC))  # 00:00 on 1 March
    jan = publish("一月底", datetime(2024, 1, 31, 15, 59, tzinfo=UTC))
    hidden = publish("撤下", datetime(2024, 2, 10, tzinfo=UTC))
    actions.do_unpublish_article(hidden)

    root = xml(client, "/sitemaps/articles-2024-02.xml")
    assert etree.QName(root).localname == "urlset"
    assert locs(root) == [url_of(feb_first.get_absolute_url()), url_of(feb.get_absolute_url())]
    lastmods = root.xpath("//sm:lastmod/text()", namespaces=NS)
    assert len(lastmods) == 2 and all(m.endswith("+08:00") for m in lastmods)
    assert locs(xml(client, "/sitemaps/articles-2024-03.xml")) == [url_of(march.get_absolute_url())]
    assert locs(xml(client, "/sitemaps/articles-2024-01.xml")) == [url_of(jan.get_absolute_url())]


@pytest.mark.parametrize(
    "url", ["/sitemaps/articles-2019-07.xml", "/sitemaps/articles-2024-13.xml"]
)
def test_month_without_articles_is_the_portals_404(client, db, url):
    publish("二月", datetime(2024, 2, 10, tzinfo=UTC))
    response = client.get(url)
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    assert PageCache().read(url) is None


def test_news_sitemap_has_only_the_last_48_hours(client, db):
    now = timezone.now()
    fresh = publish("一小时前", now - timedelta(hours=1), summary="新")
    older = publish("四十七小时前", now - timedelta(hours=47))
    publish("四十九小时前", now - timedelta(hours=49))
    gone = publish("撤稿", now - timedelta(hours=2))
    actions.do_retract_article(gone)
    draft = actions.create_article(ArticleData(title="草稿", body=[para("草稿")]))
    assert draft.status == "draft"

    root = xml(client, "/sitemaps/news.xml")
    assert locs(root) == [url_of(fresh.get_absolute_url()), url_of(older.get_absolute_url())]
    news = root.xpath("//sm:url[1]/news:news", namespaces=NS)[0]
    assert news.xpath("news:publication/news:name/text()", namespaces=NS) == [settings.SITE_NAME]
    assert news.xpath("news:publication/news:language/text()", namespaces=NS) == ["zh-cn"]
    assert news.xpath("news:title/text()", namespaces=NS) == ["一小时前"]
    published = news.xpath("news:publication_date/text()", namespaces=NS)[0]
    assert published.endswith("+08:00")
    assert fresh.published_at is not None
    assert datetime.fromisoformat(published) == fresh.published_at.replace(microsecond=0)


def test_pages_sitemap_lists_home_channels_and_published_topics(client, db):
    newsroom = build_newsroom()
    hidden = actions.create_topic("未发布专题", newsroom.suzhou[:1], is_published=False)
    found = locs(xml(client, "/sitemaps/pages.xml"))
    assert found[0] == url_of("/")
    for path in ["/gundong/", "/suzhou/", "/zhuanti/", "/shipin/", "/chengshi/"]:
        assert url_of(path) in found
    assert url_of(newsroom.topic.get_absolute_url()) in found
    assert url_of(hidden.get_absolute_url()) not in found
    assert len(found) == len(set(found))


def test_drafts_and_retracted_never_appear_in_any_sitemap(client, db):
    newsroom = build_newsroom()
    hidden = {url_of(a.get_absolute_url()) for a in newsroom.hidden}
    index = locs(xml(client, "/sitemap.xml"))
    everything = set()
    for sitemap in index:
        everything |= set(locs(xml(client, sitemap.removeprefix(settings.SITE_URL))))
    assert {url_of(a.get_absolute_url()) for a in newsroom.live} <= everything
    assert not everything & hidden


def test_sitemaps_name_site_url_not_the_request_host(client, db, settings):
    settings.SITE_URL = "https://news.example.cn"
    publish("二月", datetime(2024, 2, 10, tzinfo=UTC))
    for url in ["/sitemap.xml", "/sitemaps/pages.xml", "/sitemaps/articles-2024-02.xml"]:
        response = client.get(url, HTTP_HOST="attacker.example")
        found = locs(etree.fromstring(response.content))
        assert found and all(loc.startswith("https://news.example.cn/") for loc in found), url


def test_robots_txt(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    for path in ["/admin/", "/fragments/", "/beacon/"]:
        assert f"Disallow: {path}" in lines
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in lines


def test_sitemaps_and_robots_are_cached_pages(client, db):
    publish("二月", datetime(2024, 2, 10, tzinfo=UTC))
    urls = [
        "/robots.txt",
        "/sitemap.xml",
        "/sitemaps/pages.xml",
        "/sitemaps/news.xml",
        "/sitemaps/articles-2024-02.xml",
    ]
    for url in urls:
        response = client.get(url)
        assert "max-age" in response["Cache-Control"], url
        assert PageCache().read(url) == response.content, url


def test_a_month_over_the_limit_goes_on_in_pages_of_their_own_address(client, monkeypatch):
    from citydesk.publishing import affected
    from citydesk.syndication.sitemaps import ArticleMonthSitemap

    monkeypatch.setattr(ArticleMonthSitemap, "limit", 2)
    monkeypatch.setattr(affected, "SITEMAP_PAGE", 2)
    when = datetime(2024, 3, 10, 4, tzinfo=UTC)
    made = [
        publish(f"三月第{n}篇", when + timedelta(hours=n), channels=["suzhou"]) for n in range(5)
    ]
    index = locs(xml(client, "/sitemap.xml"))
    march = [month_url(2024, 3), url_of("/sitemaps/articles-2024-03-2.xml"),
             url_of("/sitemaps/articles-2024-03-3.xml")]  # fmt: skip
    assert [loc for loc in index if "2024-03" in loc] == march
    listed = [
        loc for page in march for loc in locs(xml(client, page.removeprefix(settings.SITE_URL)))
    ]
    assert sorted(listed) == sorted(url_of(a.get_absolute_url()) for a in made)
    # The query string of Django's own paging is not an address of its own.
    assert locs(xml(client, "/sitemaps/articles-2024-03.xml?p=3")) == listed[:2]
    assert client.get("/sitemaps/articles-2024-03-4.xml").status_code == 404
    change = affected.for_article_change(None, actions.article_state(made[0].pk))
    assert {"/sitemaps/articles-2024-03-2.xml", "/sitemaps/articles-2024-03-3.xml"} <= change.urls
