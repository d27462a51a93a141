"""今日推荐 and 热点排行 as fragments, and the view beacon.

A cached page carries placeholders that link to the fragments; a small script fills them
in and sends the beacon. So a count that moves never makes a cached page stale.
"""

import re
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core.testing import chromium
from citydesk.portal.tests.sitedata import Site, build_site, para
from citydesk.publishing import http, views
from citydesk.publishing.cache import PageCache
from citydesk.rankings import queries
from citydesk.rankings.backends import get_backend
from citydesk.rankings.queries import FRESH_SECONDS

pytestmark = pytest.mark.django_db

FRAGMENTS = ["/fragments/picks/", "/fragments/hot/"]


@pytest.fixture
def site() -> Site:
    return build_site()


def recommended(n: int, published_at: datetime | None = None) -> list[Article]:
    return [
        actions.create_article(
            ArticleData(
                title=f"推荐稿件第{k}篇",
                body=[para("推荐。")],
                is_recommended=True,
                published_at=published_at,
            ),
            status=Article.Status.PUBLISHED,
        )
        for k in range(n)
    ]


def items(html: str) -> list[str]:
    return re.findall(r"<li\b[^>]*>", html)


@pytest.mark.parametrize("url", FRAGMENTS)
def test_a_fragment_lives_60_seconds_and_is_never_written_to_the_page_cache(client, site, url):
    response = client.get(url)
    assert response.status_code == 200
    # 30 s in a browser or CDN, on top of at most 30 s that a ranking is remembered.
    assert response["Cache-Control"] == "public, max-age=30"
    assert http.FRAGMENT_MAX_AGE + FRESH_SECONDS <= 60
    assert PageCache().read(url) is None
    assert not PageCache().root.exists() or not any(PageCache().root.rglob("index.html"))
    assert client.post(url).status_code == 405


@pytest.mark.parametrize("url", FRAGMENTS)
def test_a_fragment_is_a_readable_page_without_javascript(client, site, url):
    html = client.get(url).content.decode()
    assert html.startswith("<!doctype html>") and "portal/portal.css" in html
    assert '<a href="/">返回名城苏州首页</a>' in html
    assert 'name="robots" content="noindex, follow"' in html
    assert re.search(r'<section class="box box-\w+" data-fragment-box="\w+">', html)


def test_picks_lists_recommended_articles_with_one_spare(client):
    picks = recommended(views.PICKS + 2)  # newest first: the last created leads
    html = client.get("/fragments/picks/").content.decode()
    shown = items(html)
    assert len(shown) == views.PICKS + 1
    assert [re.findall(r'data-article-id="(\d+)"', li)[0] for li in shown] == [
        str(a.pk) for a in reversed(picks[-(views.PICKS + 1) :])
    ]
    assert "data-spare hidden" in shown[-1]
    assert all("hidden" not in li for li in shown[:-1])


def test_picks_with_few_recommendations_has_no_spare(client):
    recommended(3)
    html = client.get("/fragments/picks/").content.decode()
    assert len(items(html)) == 3 and "data-spare" not in html


def test_hot_ranks_by_views(client, site):
    html = client.get("/fragments/hot/").content.decode()
    ranked = re.findall(r'<a href="/a/(\d+)/">', html)
    assert ranked[:3] == [str(site.feature.pk), str(site.paged.pk), str(site.video.pk)]
    assert len(ranked) == views.HOT
    assert re.search(r'<li class="is-top">\s*<span class="rank">1</span>', html)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/suzhou/",
        "/gundong/page/2/",
        "/zhuanti/",
        "/about/",
        "ARTICLE",
        "TOPIC",
        "PERSON",
        "TAG",
    ],
)
def test_every_page_links_to_both_fragments_and_loads_the_script(client, site, url):
    url = {
        "ARTICLE": site.feature.get_absolute_url(),
        "TOPIC": site.topic.get_absolute_url(),
        "PERSON": site.writer.get_absolute_url(),
        "TAG": site.feature.tags.first().get_absolute_url(),
    }.get(url, url)
    html = client.get(url).content.decode()
    for fragment in FRAGMENTS:
        assert f'data-fragment="{fragment}"' in html and f'<a href="{fragment}">' in html
    assert '<script src="/static/portal/fragments.js" defer></script>' in html
    # What the fragments show is not in the page, so the page never goes stale for it.
    assert 'class="hot"' not in html and 'class="picks"' not in html


def test_a_view_never_touches_a_cached_page(client, site):
    url = site.feature.get_absolute_url()
    page = client.get(url)
    cached = PageCache().read(url)
    assert cached == page.content
    before = client.get("/fragments/hot/").content.decode()
    assert ">40</span>" in before
    for n in range(3):  # three readers
        reader = {"HTTP_USER_AGENT": f"Mozilla/5.0 reader {n}"}
        assert client.post(f"/beacon/view/{site.feature.pk}/", **reader).status_code == 204
    assert PageCache().read(url) == cached
    queries.forget()  # the ranking as it is after this process's next read (within 30 s)
    assert ">43</span>" in client.get("/fragments/hot/").content.decode()


def test_the_fragments_js_is_served(client):
    response = client.get("/static/portal/fragments.js")
    assert response.status_code == 200
    script = b"".join(response.streaming_content).decode()
    assert "sendBeacon" in script and "data-fragment-box" in script
    # Tiny and on its own: no library, no module imports.
    assert len(script.encode()) < 4096 and not re.search(r"^\s*import\b", script, re.M)


# In a browser --------------------------------------------------------------------------


@pytest.fixture
def browser():
    with chromium() as instance:
        yield instance


READER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36"
)


def views_of(article: Article) -> int:
    return get_backend().views([article.pk], "day").get(article.pk, 0)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_browser_fills_the_boxes_hides_its_own_pick_and_counts_the_view(browser, live_server):
    site = build_site()  # six recommended, the feature (the newest) first
    older = recommended(3, published_at=datetime(2020, 1, 1, tzinfo=UTC))  # the last: a spare
    before = views_of(site.feature)
    # A reader's browser: headless Chromium calls itself HeadlessChrome, which the beacon
    # takes for a robot.
    page = browser.new_page(user_agent=READER_AGENT)
    # Wait for the beacon's answer rather than polling the database: the test database is
    # shared in-memory SQLite, where a read at the moment of the beacon's write fails it.
    with page.expect_response(lambda r: "/beacon/view/" in r.url) as beacon:
        page.goto(live_server.url + site.feature.get_absolute_url())
    assert beacon.value.status == 204
    assert beacon.value.request.method == "POST"
    page.wait_for_selector("[data-fragment-box=picks] li")
    page.wait_for_selector("[data-fragment-box=hot] li")
    picks = page.locator("[data-fragment-box=picks] li:not([hidden])")
    titles = [t.strip() for t in picks.all_inner_texts()]
    assert site.feature.title not in titles  # the page's own article
    assert site.fillers[5].title in titles
    assert len(titles) == views.PICKS and older[-1].title in titles  # the spare took its place
    assert page.locator("[data-fragment-box=picks] li.pick-lead img").count() == 1
    hot = page.locator("[data-fragment-box=hot]").inner_text()
    assert site.feature.title in hot and "热点排行" in hot
    assert views_of(site.feature) == before + 1

    # On a page without an article of its own, every recommendation shows, but no spare.
    page.goto(live_server.url + "/suzhou/")
    page.wait_for_selector("[data-fragment-box=picks] li")
    home_titles = page.locator("[data-fragment-box=picks] li:not([hidden])").all_inner_texts()
    assert site.feature.title in [t.strip() for t in home_titles]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_each_box_is_a_link_to_its_fragment(browser, live_server):
    site = build_site()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + site.feature.get_absolute_url())
    page.get_by_role("link", name="查看热点排行").click()
    page.wait_for_url(re.compile(r"/fragments/hot/$"))
    assert site.feature.title in page.locator("[data-fragment-box=hot]").inner_text()
    page.go_back()
    page.get_by_role("link", name="查看今日推荐").click()
    page.wait_for_url(re.compile(r"/fragments/picks/$"))
    assert site.fillers[5].title in page.locator("[data-fragment-box=picks]").inner_text()
    assert unquote(page.url).endswith("/fragments/picks/")
    context.close()
