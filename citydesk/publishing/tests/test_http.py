"""The HTTP rules table (Cache-Control by kind of page, content types) and Django's
validators and 304s. `citydesk serve`'s own 304s and precompressed variants are tested
in citydesk/portal/tests/test_serving.py."""

import pytest

from citydesk.portal.tests.sitedata import build_site
from citydesk.publishing import http


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/26/", "public, max-age=300, s-maxage=86400"),
        ("/a/26/2/", "public, max-age=300, s-maxage=86400"),
        ("/", "public, max-age=60, s-maxage=86400, stale-while-revalidate=60"),
        ("/suzhou/page/2/", "public, max-age=60, s-maxage=86400, stale-while-revalidate=60"),
        ("/people/李明/", "public, max-age=60, s-maxage=86400, stale-while-revalidate=60"),
        ("/rss.xml", "public, max-age=300, s-maxage=86400"),
        ("/sitemaps/news.xml", "public, max-age=300, s-maxage=86400"),
        ("/robots.txt", "public, max-age=3600"),
        ("/fragments/hot/", "public, max-age=30"),
    ],
)
def test_cache_control_fits_each_kind_of_page(path, expected):
    assert http.cache_control_header(path) == expected


def test_content_types_follow_the_file_name():
    assert http.content_type_for("/a/1/") == "text/html; charset=utf-8"
    assert http.content_type_for("/zhuanti/x/rss.xml") == "application/rss+xml; charset=utf-8"
    assert http.content_type_for("/atom.xml") == "application/atom+xml; charset=utf-8"
    assert http.content_type_for("/sitemap.xml") == "application/xml; charset=utf-8"
    assert http.content_type_for("/robots.txt") == "text/plain; charset=utf-8"
    assert http.content_type_for("/a/1") is None  # not a page the cache serves


# Django-rendered pages -----------------------------------------------------------------


@pytest.mark.django_db
def test_django_pages_carry_cache_control_and_answer_304(client, settings):
    site = build_site()
    article = client.get(site.feature.get_absolute_url())
    assert article["Cache-Control"] == http.cache_control_header("/a/1/")
    assert "Accept-Encoding" in article["Vary"]
    listing = client.get("/suzhou/")
    assert "stale-while-revalidate=60" in listing["Cache-Control"]
    assert "max-age=60" in listing["Cache-Control"]

    # With the page cache off, ConditionalGetMiddleware's own ETag does the work.
    settings.CITYDESK_PAGE_CACHE = False
    first = client.get("/suzhou/")
    assert first.status_code == 200 and first["ETag"]
    again = client.get("/suzhou/", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
