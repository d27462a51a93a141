"""What a reader page tells search engines and share cards: canonical URL, feed links,
OpenGraph, Twitter card and NewsArticle JSON-LD."""

import json
from datetime import datetime

import pytest
from django.conf import settings
from lxml import html as lxml_html

from citydesk.content import actions
from citydesk.content.models import Person
from citydesk.syndication.tests.content import BASE_TIME, build_newsroom, jpeg, para, publish

pytestmark = pytest.mark.django_db


def head(client, url: str, **headers) -> lxml_html.HtmlElement:
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return lxml_html.fromstring(response.content).find("head")


def canonical(page: lxml_html.HtmlElement) -> str:
    links = page.xpath("link[@rel='canonical']/@href")
    assert len(links) == 1
    return links[0]


def meta(page: lxml_html.HtmlElement, key: str) -> list[str]:
    return page.xpath(f"meta[@property='{key}' or @name='{key}']/@content")


def json_ld(page: lxml_html.HtmlElement) -> dict:
    scripts = page.xpath("script[@type='application/ld+json']/text()")
    assert len(scripts) == 1
    return json.loads(scripts[0])


def url_of(path: str) -> str:
    return settings.SITE_URL + path


@pytest.fixture
def feature():
    article = publish(
        "古城保护更新工作推进会召开",
        BASE_TIME,
        summary="会议部署十项重点工程。",
        organization="苏报融媒",
        credits=[("writer", "李明"), ("writer", "王芳"), ("photographer", "张伟")],
        channels=["suzhou"],
        tags=["古城保护", "城市更新"],
        body=[
            para("第一页。"),
            {"type": "image", "src": "/media/demo/a.jpg", "caption": "街景"},
            {"type": "pagebreak"},
            para("第二页。"),
        ],
    )
    return actions.set_article_cover(article, "cover.jpg", jpeg())


def test_article_page_canonical_is_its_own_page(client, feature):
    assert canonical(head(client, feature.get_absolute_url())) == url_of(f"/a/{feature.pk}/")
    assert canonical(head(client, f"/a/{feature.pk}/2/")) == url_of(f"/a/{feature.pk}/2/")
    # A tracking query string does not make another page.
    page = head(client, f"/a/{feature.pk}/?utm_source=wechat")
    assert canonical(page) == url_of(f"/a/{feature.pk}/")


def test_list_pages_have_an_absolute_canonical(client, db):
    newsroom = build_newsroom()
    person = Person.objects.get(name="记者1")
    tag = newsroom.suzhou[0].tags.get(name="城市更新")
    for path in [
        "/",
        "/suzhou/",
        "/gundong/",
        "/gundong/page/2/",  # list pages number their pages in the path
        "/zhuanti/",
        newsroom.topic.get_absolute_url(),
        "/about/",
    ]:
        assert canonical(head(client, path)) == url_of(path), path
    # Chinese slugs are percent-encoded, as a URL must be.
    assert canonical(head(client, person.get_absolute_url())) == url_of(
        "/people/%E8%AE%B0%E8%80%851/"
    )
    assert canonical(head(client, tag.get_absolute_url())).startswith(url_of("/tag/%E5%9F%8E"))


def test_pages_link_the_site_feeds_and_their_own(client, db):
    newsroom = build_newsroom()
    site_feeds = [url_of("/rss.xml"), url_of("/atom.xml")]
    home = head(client, "/")
    assert home.xpath("link[@rel='alternate']/@href") == site_feeds
    assert home.xpath("link[@rel='alternate']/@type") == [
        "application/rss+xml",
        "application/atom+xml",
    ]
    channel = head(client, "/suzhou/").xpath("link[@rel='alternate']/@href")
    assert channel == [*site_feeds, url_of("/suzhou/rss.xml"), url_of("/suzhou/atom.xml")]
    slug = newsroom.topic.slug
    topic = head(client, f"/zhuanti/{slug}/").xpath("link[@rel='alternate']/@href")
    assert topic == [
        *site_feeds,
        url_of(f"/zhuanti/{slug}/rss.xml"),
        url_of(f"/zhuanti/{slug}/atom.xml"),
    ]
    # Every feed a page links to is there.
    for href in channel + topic:
        assert client.get(href.removeprefix(settings.SITE_URL)).status_code == 200, href


def test_opengraph_and_twitter_card(client, feature):
    page = head(client, f"/a/{feature.pk}/2/")
    cover = url_of(feature.cover.url)
    assert meta(page, "og:type") == ["article"]
    assert meta(page, "og:title") == [feature.title]
    assert meta(page, "og:description") == ["会议部署十项重点工程。"]
    assert meta(page, "og:url") == [url_of(f"/a/{feature.pk}/2/")]
    assert meta(page, "og:image") == [cover]
    assert meta(page, "og:site_name") == [settings.SITE_NAME]
    assert meta(page, "article:published_time") == ["2024-03-05T16:30:00+08:00"]
    assert meta(page, "article:section") == ["苏州"]
    assert meta(page, "article:tag") == ["古城保护", "城市更新"]
    assert meta(page, "twitter:card") == ["summary_large_image"]
    assert meta(page, "twitter:image") == [cover]


def test_article_without_a_picture_gets_a_small_card(client, db):
    article = publish("没有图片的稿件", BASE_TIME, body=[para("只有文字。")])
    page = head(client, article.get_absolute_url())
    assert meta(page, "og:image") == []
    assert meta(page, "twitter:card") == ["summary"]
    assert meta(page, "og:description") == ["只有文字。"]


def test_news_article_json_ld(client, feature):
    data = json_ld(head(client, feature.get_absolute_url()))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == feature.title
    assert data["datePublished"] == "2024-03-05T16:30:00+08:00"
    assert data["dateModified"].endswith("+08:00")
    modified = datetime.fromisoformat(data["dateModified"])
    assert modified >= datetime.fromisoformat(data["datePublished"])
    writer = Person.objects.get(name="李明")
    assert data["author"][0] == {
        "@type": "Person",
        "name": "李明",
        "url": url_of(writer.get_absolute_url()),
    }
    assert writer.get_absolute_url() == "/people/%E6%9D%8E%E6%98%8E/"
    assert [a["name"] for a in data["author"]] == ["李明", "王芳"]  # photographers are not authors
    assert data["publisher"]["@type"] == "Organization"
    assert data["publisher"]["name"] == settings.SITE_NAME
    assert data["publisher"]["logo"]["url"] == url_of("/static/syndication/logo.png")
    assert data["image"] == [url_of(feature.cover.url), url_of("/media/demo/a.jpg")]
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": url_of(f"/a/{feature.pk}/")}
    assert data["articleSection"] == "苏州"
    assert data["keywords"] == ["古城保护", "城市更新"]
    assert data["inLanguage"] == "zh-CN"


def test_json_ld_without_writers_names_the_organisation(client, db):
    article = publish("通稿", BASE_TIME, organization="新华社", body=[para("正文。")])
    data = json_ld(head(client, article.get_absolute_url()))
    assert data["author"] == [{"@type": "Organization", "name": "新华社"}]
    assert "image" not in data and "keywords" not in data


def test_a_title_cannot_break_out_of_the_json_ld_script(client, db):
    title = '</script><script>alert("x")</script><!-- & 标题'
    article = publish(title, BASE_TIME, body=[para("正文。")])
    response = client.get(article.get_absolute_url())
    body = response.content.decode()
    assert "<script>alert" not in body
    page = lxml_html.fromstring(response.content).find("head")
    assert (
        page.xpath(
            "script[not(@type='application/ld+json') and not(starts-with(@src, '/static/'))]"
        )
        == []
    )
    assert json_ld(page)["headline"] == title


def test_share_urls_come_from_site_url_not_the_request_host(client, feature, settings):
    settings.SITE_URL = "https://news.example.cn"
    response = client.get(feature.get_absolute_url(), HTTP_HOST="attacker.example")
    assert b"attacker.example" not in response.content
    page = lxml_html.fromstring(response.content).find("head")
    assert canonical(page) == f"https://news.example.cn/a/{feature.pk}/"
    assert meta(page, "og:image") == ["https://news.example.cn" + feature.cover.url]
    assert json_ld(page)["url"] == f"https://news.example.cn/a/{feature.pk}/"
