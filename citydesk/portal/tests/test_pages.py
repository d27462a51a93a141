"""Every reader page renders what it promises, from content created through actions."""

import json
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils.html import strip_tags

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Channel, Image
from citydesk.core.testing import shared_data
from citydesk.importers.text import parse_page, read_page
from citydesk.newsroom.admin import ArticleForm
from citydesk.portal import views
from citydesk.portal.tests.sitedata import Site, build_site, jpeg, para
from citydesk.rankings.backends import get_backend

pytestmark = pytest.mark.django_db

NAV = ["滚动", "苏州", "专题", "国内", "评论", "视频", "学习", "文旅", "城事"]


@pytest.fixture
def site() -> Site:
    return build_site()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def visible(html: str) -> str:
    """The text a reader sees, whitespace collapsed."""
    return re.sub(r"\s+", " ", strip_tags(html))


def section(html: str, css_class: str) -> str:
    """The inner HTML of the first element whose class list starts with `css_class`."""
    start = re.search(rf'<(\w+) class="{re.escape(css_class)}( [^"]*)?"[^>]*>', html)
    assert start, f"no .{css_class} on the page"
    name, depth = start.group(1), 0
    for tag in re.finditer(rf"<(/?){name}\b[^>]*>", html[start.end() :]):
        depth += -1 if tag.group(1) else 1
        if depth < 0:
            return html[start.end() : start.end() + tag.start()]
    raise AssertionError(f".{css_class} is never closed")


def titles_in(html: str, articles) -> list[str]:
    """The given articles' titles in the order the page shows them."""
    found = [(html.find(a.title), a.title) for a in articles if a.title in html]
    return [title for _, title in sorted(found)]


# Frame: header, nav, footer ------------------------------------------------------------


def test_every_page_has_the_masthead_nav_and_footer(client, site):
    html = page(client, "/")
    masthead = section(html, "masthead")
    assert settings.SITE_NAME in masthead
    nav = section(html, "channels")
    assert re.findall(r">([^<>]+)</a>", nav) == NAV
    assert 'href="/zhuanti/"' in nav  # 专题 goes to the topic list
    footer = visible(section(html, "footer"))
    assert "版权所有" in footer and "举报" in footer and "关于我们" in footer
    assert 'lang="zh-CN"' in html and "portal/portal.css" in html


def test_the_stylesheet_is_served(client):
    response = client.get("/static/portal/portal.css")
    assert response.status_code == 200
    css = b"".join(response.streaming_content).decode()
    assert "PingFang SC" in css and "Noto Sans CJK SC" in css and "scroll-snap-type" in css


def test_about_page_explains_copyright_and_reporting(client, site):
    text = visible(page(client, "/about/"))
    assert "版权声明" in text and "违法和不良信息举报" in text and settings.SITE_WECHAT_ID in text


# Home ----------------------------------------------------------------------------------


def test_home_shows_headline_slides_latest_blocks_topics_and_sidebar(client, site):
    html = page(client, "/")
    headline = section(html, "headline")
    assert site.feature.title in headline and "头条" in headline

    slides = section(html, "slideshow")
    slide_items = [a for a in site.fillers if a.is_slideshow and a.cover]
    assert len(re.findall(r'<li class="slide">', slides)) == 5
    assert slide_items[0].title in slides and "1/5" in slides

    latest = section(html, "section latest")
    assert titles_in(latest, site.published)[:3] == [
        site.feature.title,
        site.paged.title,
        site.video.title,
    ]

    for name in ["苏州", "国内", "评论", "学习", "文旅", "城事", "视频"]:
        assert f"<h2>{name}</h2>" in html
    assert "江南文化季" in section(html, "section topics-strip")

    # 今日推荐 and 热点排行 come from their fragments, each reachable by a plain link.
    sidebar = section(html, "side-col")
    assert 'data-fragment="/fragments/picks/"' in sidebar and "今日推荐" in sidebar
    assert 'data-fragment="/fragments/hot/"' in sidebar and "热点排行" in sidebar
    assert '<a href="/fragments/picks/">' in sidebar and '<a href="/fragments/hot/">' in sidebar
    assert "portal/fragments.js" in html and "data-beacon" not in html
    picks = section(page(client, "/fragments/picks/"), "box box-picks")
    assert site.feature.title in picks and site.fillers[5].title in picks
    assert site.paged.title not in picks  # not flagged 推荐
    hot = section(page(client, "/fragments/hot/"), "box box-hot")
    assert titles_in(hot, site.published)[:3] == [
        site.feature.title,
        site.paged.title,
        site.video.title,
    ]
    assert re.search(r'<li class="is-top">\s*<span class="rank">1</span>', hot)
    assert ">40</span>" in hot  # the view count of the first


def test_headline_is_not_repeated_in_the_slideshow(client, site):
    site.feature.is_slideshow = True
    site.feature.save(update_fields=["is_slideshow"])
    html = page(client, "/")
    assert site.feature.title in section(html, "headline")
    assert site.feature.title not in section(html, "slideshow")


def test_article_page_never_recommends_itself(client, site):
    # The page names itself to fragments.js, which drops it from the shared fragment and
    # shows the spare instead (the browser test in test_fragments.py).
    assert site.feature.is_recommended
    html = page(client, site.feature.get_absolute_url())
    placeholder = re.search(r'<section class="box box-picks"[^>]*>', html)
    assert placeholder and f'data-exclude="{site.feature.pk}"' in placeholder.group(0)
    picks = section(page(client, "/fragments/picks/"), "box box-picks")
    assert f'data-article-id="{site.feature.pk}"' in picks and site.fillers[5].title in picks


@pytest.mark.parametrize(
    ("organization", "shown"),
    [
        ("苏报融媒", "(苏报融媒记者 "),
        ("姑苏晚讯记者", "(姑苏晚讯记者 "),
        ("本网评论员", "(本网评论员 "),
    ],
)
def test_byline_prefix_adds_reporter_only_when_missing(client, site, organization, shown):
    Article.objects.filter(pk=site.feature.pk).update(byline_organization=organization)
    text = visible(page(client, site.feature.get_absolute_url()))
    assert shown in text and "记者记者" not in text


def test_home_lists_nothing_a_reader_may_not_see(client, site):
    html = page(client, "/")
    for hidden in (site.draft, site.retracted, site.scheduled):
        assert hidden.title not in html


def test_empty_site_home_still_renders(client):
    assert "还没有发布的稿件" in visible(page(client, "/"))
    assert "暂无推荐" in visible(page(client, "/fragments/picks/"))
    assert "暂无排行" in visible(page(client, "/fragments/hot/"))


# Channels ------------------------------------------------------------------------------


def test_channel_page_lists_its_own_articles_newest_first(client, site):
    html = page(client, "/suzhou/")
    suzhou = [a for a in site.published if a.channels.filter(slug="suzhou").exists()]
    others = [a for a in site.published if a not in suzhou]
    cards = section(html, "cards")
    assert titles_in(cards, site.published) == [a.title for a in suzhou]
    assert not any(a.title in cards for a in others)
    crumbs = visible(section(html, "crumbs"))
    assert crumbs == "首页苏州"
    assert 'class="on" aria-current="page">苏州</a>' in html
    assert "<h1>苏州</h1>" in html


def test_video_channel_shows_play_badges(client, site):
    html = page(client, "/shipin/")
    cards = section(html, "cards cards-grid")
    assert site.video.title in cards and site.video_without_src.title in cards
    assert cards.count('class="play"') == 2
    assert cards.count('class="card is-video') == 2


def test_rolling_channel_pages_through_every_article(client, site):
    first = page(client, "/gundong/")
    assert first.count('<li class="card') == settings.CITYDESK_PAGE_SIZE
    second = page(client, "/gundong/page/2/")
    assert second.count('<li class="card') == len(site.published) - settings.CITYDESK_PAGE_SIZE
    oldest = site.fillers[-1].title
    assert oldest in section(second, "cards") and oldest not in section(first, "cards")
    pager = visible(section(first, "pager"))
    assert "上一页" in pager and "下一页" in pager and "2" in pager
    assert 'href="/gundong/page/2/"' in first
    assert 'href="/gundong/"' in section(second, "pager")  # page 1 has one address
    assert "?" not in section(first, "pager") + section(second, "pager")


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/gundong/?page=2", "/gundong/page/2/"),
        ("/gundong/?page=1", "/gundong/"),
        ("/gundong/page/1/", "/gundong/"),
        ("/gundong/page/02/", "/gundong/page/2/"),
        ("/gundong/page/2/?page=1", "/gundong/"),
        ("/gundong/?from=wx&page=2", "/gundong/page/2/?from=wx"),
        ("/zhuanti/?page=2", "/zhuanti/page/2/"),
    ],
)
def test_old_query_pagination_moves_permanently_to_the_path(client, site, url, location):
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == location


def test_every_kind_of_list_pages_by_path(client, site, settings):
    settings.CITYDESK_PAGE_SIZE = 1
    tag = site.feature.tags.get(name="城市更新")
    urls = ["/suzhou/", site.topic.get_absolute_url(), site.writer.get_absolute_url()]
    for url in [*urls, tag.get_absolute_url()]:
        first = page(client, url)
        second = page(client, url + "page/2/")
        assert f'href="{url}page/2/"' in section(first, "pager"), url
        assert f'href="{url}"' in section(second, "pager"), url
        assert section(first, "cards") != section(second, "cards"), url


def test_pagination_drops_other_query_parameters(client, site):
    # Links with a query string would bypass the page cache on every click.
    html = page(client, "/gundong/?from=wx")
    assert 'href="/gundong/page/2/"' in section(html, "pager")
    html = page(client, "/gundong/page/2/?from=wx")
    assert 'href="/gundong/"' in section(html, "pager")
    assert "from=wx" not in section(html, "pager")


@pytest.mark.parametrize(
    "url", ["/gundong/?page=abc", "/gundong/?page=0", "/gundong/?page=-1", "/gundong/page/0/"]
)
def test_bad_page_numbers_are_not_found(client, site, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("url", "chain"),
    [
        ("/gundong/page/3/", []),
        ("/gundong/?page=3", [("/gundong/page/3/", 301)]),
        ("/gundong/?page=999", [("/gundong/page/999/", 301)]),
    ],
)
def test_pages_past_the_end_are_not_found(client, site, url, chain):
    response = client.get(url, follow=True)
    assert response.status_code == 404
    assert response.redirect_chain == chain


# Article -------------------------------------------------------------------------------


def test_article_page_shows_everything_the_reference_page_shows(client, site):
    article = site.feature
    html = page(client, article.get_absolute_url())
    text = visible(html)
    assert f'<h1 class="article-title" data-read>{article.title}</h1>' in html
    assert "十项重点工程年内开工" in section(html, "article-subtitle")
    assert "时间:2024-03-05 16:30:00" in text  # 08:30 UTC in Asia/Shanghai
    assert "来源:引力播" in text
    body = section(html, "article-body")
    assert "<p>春风送暖，<b>古城</b>保护更新工作推进会今天召开。</p>" in body
    assert "<h2>守住古城风貌 做优人居环境</h2>" in body and "<h2>十项工程年内开工</h2>" in body
    figures = re.findall(r'<figure class="figure">(.*?)</figure>', body, re.S)
    assert len(figures) == 2
    assert (
        'class="img-placeholder"' in figures[0]
        and '<span class="credit">引力播</span>' in figures[0]
    )
    assert '<img src="/media/demo/pingjiang.jpg"' in figures[1]
    assert "平江路街景" in section(figures[1], "caption")

    byline = section(html, "byline")
    assert visible(byline) == "(苏报融媒记者 李明 王芳/文 张伟/摄)"
    for person in (site.writer, site.photographer):
        assert f'<a href="{person.get_absolute_url()}">{person.name}</a>' in byline
    editor = section(html, "editor")
    assert visible(editor) == "责编:陈静"
    assert site.editor.get_absolute_url() in editor

    assert "本篇文章共有1页 当前为第1页" in text
    assert "下一页" not in section(html, "article-pages")
    assert f"欢迎关注{settings.SITE_NAME}官方微信:{settings.SITE_WECHAT_ID}(微信号)" in text
    tags = section(html, "tags")
    assert ">古城保护</a>" in tags and ">城市更新</a>" in tags
    assert visible(section(html, "crumbs")) == "首页苏州正文"
    assert 'href="/suzhou/"' in section(html, "crumbs")
    assert "今日推荐" in text and "热点排行" in text
    assert '<a href="/fragments/picks/">' in section(html, "box box-picks")


def test_article_view_is_counted_by_the_beacon_not_the_page(client, site):
    # The page is served from the cache, where no view could be counted.
    def views() -> int:
        return get_backend().views([site.feature.pk], "day").get(site.feature.pk, 0)

    before = views()
    html = page(client, site.feature.get_absolute_url())
    assert views() == before
    beacon = re.search(r'data-beacon="([^"]+)"', html)
    assert beacon and beacon.group(1) == f"/beacon/view/{site.feature.pk}/"
    assert client.post(beacon.group(1), HTTP_USER_AGENT="Mozilla/5.0").status_code == 204
    assert views() == before + 1


def test_article_pages_split_at_page_breaks(client, site):
    article = site.paged
    first = page(client, article.get_absolute_url())
    assert "第一页独有的导语段落" in first and "第二页独有的正文段落" not in first
    pages = section(first, "article-pages")
    assert "本篇文章共有3页 当前为第1页" in visible(pages)
    assert f'href="{article.page_url(2)}"' in pages and f'href="{article.page_url(3)}"' in pages
    assert f'rel="next" href="{article.page_url(2)}"' in pages

    second = page(client, f"/a/{article.pk}/2/")
    assert "第二页独有的正文段落" in second and "<h2>第二页小标题</h2>" in second
    # (The head's share card describes the article by its lead, whichever page it is.)
    body = section(second, "article-body")
    assert "第一页独有的导语段落" not in body and "第三页独有的结尾段落" not in second
    pages = section(second, "article-pages")
    assert "当前为第2页" in visible(pages)
    assert f'rel="prev" href="{article.get_absolute_url()}"' in pages
    assert f'rel="next" href="{article.page_url(3)}"' in pages

    third = page(client, article.page_url(3))
    assert "第三页独有的结尾段落" in third and "下一页</span>" in third
    assert client.get(f"/a/{article.pk}/4/").status_code == 404
    assert client.get(f"/a/{article.pk}/0/").status_code == 404


def test_page_one_has_one_address(client, site):
    response = client.get(f"/a/{site.paged.pk}/1/")
    assert response.status_code == 301
    assert response["Location"] == site.paged.get_absolute_url()


def test_other_credits_are_named_with_their_role(client, site):
    byline = section(page(client, site.paged.get_absolute_url()), "byline")
    assert visible(byline) == "(李明/文 赵磊/视频编辑)"


def test_video_item_plays_or_shows_its_poster(client, site):
    html = page(client, site.video.get_absolute_url())
    video = re.search(r"<video [^>]*>", html)
    assert video
    tag = video.group(0)
    assert "controls" in tag and 'preload="none"' in tag
    assert 'src="/media/demo/jinjihu.mp4"' in tag and 'poster="/media/demo/jinjihu.jpg"' in tag
    og_image = f"{settings.SITE_URL}{site.video.cover.url}"
    assert f'<meta property="og:image" content="{og_image}">' in html
    assert "金鸡湖畔樱花盛开" in html
    assert 'href="/suzhou/"' in section(html, "crumbs")

    html = page(client, site.video_without_src.get_absolute_url())
    assert "<video" not in html
    poster = section(html, "video-poster")
    assert 'src="/media/demo/pingtan.jpg"' in poster and "视频" in poster


def test_library_images_without_a_src_are_resolved(client, site):
    # A body stored before write-time resolution (or by a path that skipped it).
    # Stored the way the admin's image library stores an upload.
    upload = SimpleUploadedFile("lib.jpg", jpeg((10, 10, 10)))
    image = Image.objects.create(file=upload, caption="图库说明", credit="图库")
    article = actions.create_article(
        ArticleData(title="图库图片", body=[{"type": "image", "image_id": image.pk}]),
        status=Article.Status.PUBLISHED,
    )
    figure = section(page(client, article.get_absolute_url()), "figure")
    assert f'src="{image.file.url}"' in figure
    assert "图库说明" in figure and "图库" in section(figure, "credit")


@pytest.mark.parametrize("which", ["draft", "retracted", "scheduled"])  # retracted: 撤下
def test_articles_a_reader_may_not_see_are_not_found(client, site, which):
    article = getattr(site, which)
    assert client.get(article.get_absolute_url()).status_code == 404


def test_a_retracted_article_leaves_a_tombstone(client, site):
    article = actions.do_retract_article(site.feature)  # 撤稿, not only 撤下
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 410
    assert "此稿件已撤回" in html and article.title not in html
    assert '<meta name="robots" content="noindex">' in html
    # Another page number of it, too: the whole address is withdrawn.
    assert client.get(article.page_url(2)).status_code == 410


# Sanitising ----------------------------------------------------------------------------

HOSTILE = "好<script>alert(1)</script>文<img src=x onerror=alert(1)>章"


def assert_harmless(html: str) -> None:
    # JSON-LD is data no browser runs (its escaping is tested in syndication/tests).
    html = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
    # The site's own scripts, loaded from its static files, are the only others.
    html = re.sub(r'<script src="/static/[\w/.-]+\.js"( defer)?></script>', "", html)
    assert "<script" not in html and "onerror" not in html and "alert(1)" not in html


def test_script_in_a_body_never_reaches_the_page(client):
    article = actions.create_article(
        ArticleData(
            title="净化测试",
            body=[para(HOSTILE), {"type": "heading", "text": HOSTILE}],
            channels=["suzhou"],
        ),
        status=Article.Status.PUBLISHED,
    )
    html = page(client, article.get_absolute_url())
    assert_harmless(html)
    assert "<p>好文章</p>" in html and "<h2>好文章</h2>" in html


def test_script_typed_in_the_admin_form_never_reaches_the_page(client):
    form = ArticleForm(
        data={
            "title": "后台净化测试",
            "kind": "article",
            "status": "draft",
            "channels": [Channel.objects.get(slug="suzhou").pk],
            "body_text": f"{HOSTILE}\n\n## 小标题<script>alert(1)</script>",
        }
    )
    assert form.is_valid(), form.errors
    # The admin stores what its form cleaned through the door (the form never saves).
    article = actions.create_article(
        ArticleData(title="后台净化测试", body=form.cleaned_data["body"])
    )
    actions.do_publish_article(article)
    html = page(client, article.get_absolute_url())
    assert_harmless(html)
    assert "<p>好文章</p>" in html and "<h2>小标题</h2>" in html


# Topics, people, tags ------------------------------------------------------------------


def test_topic_list_and_topic_page(client, site):
    listing = page(client, "/zhuanti/")
    assert site.topic.title in listing and site.topic.get_absolute_url() in listing
    assert 'class="on" aria-current="page">专题</a>' in listing

    html = page(client, site.topic.get_absolute_url())
    assert f"<h1>{site.topic.title}</h1>" in html
    assert "寻访江南文化的当代表达" in section(html, "topic-intro")
    assert site.topic.cover.url in section(html, "topic-hero")
    ordered = [site.fillers[4], site.feature, site.fillers[10]]
    assert titles_in(section(html, "cards"), site.published) == [a.title for a in ordered]


def test_unpublished_topic_is_not_found(client, site):
    hidden = actions.create_topic("未发布专题", [site.feature], is_published=False)
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert hidden.title not in page(client, "/zhuanti/")


def test_person_page_shows_profile_and_their_articles(client, site):
    html = page(client, site.writer.get_absolute_url())
    profile = visible(section(html, "profile"))
    assert "李明" in profile and "苏报融媒" in profile and "首席记者" in profile
    assert "长期关注城市建设与古城保护" in section(html, "profile-bio")
    ordered = [site.feature.title, site.paged.title]  # newest first
    assert titles_in(section(html, "cards"), site.published) == ordered

    edited = page(client, site.editor.get_absolute_url())
    assert titles_in(section(edited, "cards"), site.published) == ordered


def test_person_page_is_paginated(client, site, settings):
    settings.CITYDESK_PAGE_SIZE = 5
    person = site.fillers[0].credits.get(role="writer").person  # every fourth filler
    url = person.get_absolute_url()
    assert page(client, url).count('<li class="card') == 5
    assert page(client, url + "page/2/").count('<li class="card') == 1
    assert client.get(url + "page/3/").status_code == 404


def test_tag_page_lists_tagged_articles(client, site):
    tag = site.feature.tags.get(name="古城保护")
    html = page(client, tag.get_absolute_url())
    assert titles_in(section(html, "cards"), site.published) == [site.feature.title]
    assert "古城保护" in section(html, "list-head")
    many = page(client, site.feature.tags.get(name="城市更新").get_absolute_url())
    assert many.count('<li class="card') == settings.CITYDESK_PAGE_SIZE
    assert "下一页" in visible(section(many, "pager"))


# Errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/nope/",
        "/a/999999/",
        "/people/nobody/",
        "/tag/nothing/",
        "/zhuanti/nothing/",
        "/a/abc/",
    ],
)
def test_unknown_addresses_get_the_portal_404(client, site, url):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert settings.SITE_NAME in section(html, "masthead")
    assert "页面不存在" in html and "苏州</a>" in section(html, "channels")


def test_server_error_page_is_the_portals_own(client, monkeypatch):
    def broken(slug):
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(views.queries, "channel_by_slug", broken)
    client.raise_request_exception = False
    response = client.get("/suzhou/")
    assert response.status_code == 500
    html = response.content.decode()
    assert settings.SITE_NAME in html and "服务暂时不可用" in html
    assert "database is on fire" not in html


def test_server_error_page_needs_no_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = views.server_error(request)
    assert response.status_code == 500
    assert settings.SITE_NAME in response.content.decode()


# The reference page, imported ----------------------------------------------------------


def test_reference_page_renders_like_the_original(client):
    path = shared_data("seed", "000_03e6a39d6aae467d.txt")
    expected = json.loads(shared_data("seed", "seed.expected.json").read_text(encoding="utf-8"))
    data = parse_page(read_page(path)).article
    data.channels = ["suzhou"]
    article = actions.create_article(data, status=Article.Status.PUBLISHED)

    html = page(client, article.get_absolute_url())
    text = visible(html)
    assert expected["site"] in section(html, "masthead")
    assert re.findall(r">([^<>]+)</a>", section(html, "channels")) == expected["channels_in_nav"]
    assert f">{expected['title']}</h1>" in html
    stamp = expected["published_at"][:19].replace("T", " ")
    assert f"时间:{stamp}" in text and f"来源:{expected['source']}" in text
    for heading in expected["headings"]:
        assert f"<h2>{heading}</h2>" in html
    body = section(html, "article-body")
    assert body.count("<p>") == expected["paragraph_count"]
    credits = [b["credit"] for b in expected["body"] if b["type"] == "image"]
    assert re.findall(r'<span class="credit">([^<]+)</span>', body) == credits

    byline = expected["byline"]
    assert visible(section(html, "byline")) == "({}记者 {}/文 {}/摄)".format(
        byline["organization"], " ".join(byline["writers"]), " ".join(byline["photographers"])
    )
    for name in byline["writers"] + byline["photographers"]:
        assert re.search(rf'<a href="/people/[^"]+/">{name}</a>', section(html, "byline"))
    assert visible(section(html, "editor")) == f"责编:{expected['responsible_editor']}"
    assert "本篇文章共有1页 当前为第1页" in text
    assert "官方微信" in text and "今日推荐" in text and "热点排行" in text
