"""热点排行 as a fragment: a whole small page that lives 30 s, never in the page cache,
so that a count that moves never makes a cached page stale."""

import re

import pytest

from citydesk.portal.tests.sitedata import Site, build_site
from citydesk.publishing import http
from citydesk.publishing.cache import PageCache
from citydesk.rankings import queries, views
from citydesk.rankings.queries import FRESH_SECONDS

pytestmark = pytest.mark.django_db

URL = "/fragments/hot/"


@pytest.fixture
def site() -> Site:
    return build_site()


def test_the_fragment_lives_60_seconds_and_is_never_written_to_the_page_cache(client, site):
    response = client.get(URL)
    assert response.status_code == 200
    # 30 s in a browser or CDN, on top of at most 30 s that a ranking is remembered.
    assert response["Cache-Control"] == "public, max-age=30"
    assert http.FRAGMENT_MAX_AGE + FRESH_SECONDS <= 60
    assert PageCache().read(URL) is None
    assert not PageCache().root.exists() or not any(PageCache().root.rglob("index.html"))
    assert client.post(URL).status_code == 405


def test_the_fragment_is_a_readable_page_without_javascript(client, site):
    html = client.get(URL).content.decode()
    assert html.startswith("<!doctype html>") and "portal/portal.css" in html
    assert '<a href="/">返回名城苏州首页</a>' in html
    assert 'name="robots" content="noindex, follow"' in html
    assert '<section class="box box-hot" data-fragment-box="hot">' in html


def test_hot_ranks_by_views(client, site):
    html = client.get(URL).content.decode()
    ranked = re.findall(r'<a href="/a/(\d+)/">', html)
    assert ranked[:3] == [str(site.feature.pk), str(site.paged.pk), str(site.video.pk)]
    assert len(ranked) == views.HOT_FRAGMENT
    assert re.search(r'<li class="is-top">\s*<span class="rank">1</span>', html)


def test_a_view_never_touches_a_cached_page(client, site):
    url = site.feature.get_absolute_url()
    page = client.get(url)
    cached = PageCache().read(url)
    assert cached == page.content
    before = client.get(URL).content.decode()
    assert ">40</span>" in before
    for n in range(3):  # three readers
        reader = {"HTTP_USER_AGENT": "Mozilla/5.0", "REMOTE_ADDR": f"198.51.100.{n}"}
        assert client.post(f"/beacon/view/{site.feature.pk}/", **reader).status_code == 204
    assert PageCache().read(url) == cached
    queries.forget()  # the ranking as it is after this process's next read (within 30 s)
    assert ">43</span>" in client.get(URL).content.decode()
