"""The portal's side of the fragments (今日推荐, 热点排行) and the view beacon.

A cached page carries placeholders that link to the fragments; a small script
(fragments.js) fills them in and sends the beacon. So a count that moves never makes a
cached page stale. The fragments themselves are tested where they are served:
citydesk/recommend/tests/test_fragments.py and citydesk/rankings/tests/test_fragments.py.
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
from citydesk.rankings.backends import get_backend
from citydesk.recommend import views

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
