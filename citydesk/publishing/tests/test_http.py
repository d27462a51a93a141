"""HTTP done right: validators and 304s, Cache-Control by kind of page, precompressed
variants by Accept-Encoding; from `citydesk serve` and from Django alike."""

import gzip

import brotli
import pytest

from citydesk.portal.tests.sitedata import build_site
from citydesk.publishing import http
from citydesk.publishing.server import choose_encoding, etag_matches
from citydesk.publishing.tests.served import citydesk_serve, fetch


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("", ("",)),
        ("gzip", ("gzip", "")),
        ("gzip, deflate, br", ("br", "gzip", "")),
        ("br;q=0, gzip", ("gzip", "")),
        ("gzip;q=0", ("",)),
        ("*", ("br", "gzip", "")),
        ("*, br;q=0", ("gzip", "")),
        ("BR ; q=0.5", ("br", "")),
        ("gzip;q=bogus", ("",)),
        ("identity", ("",)),
    ],
)
def test_accept_encoding_is_negotiated(header, chosen):
    assert choose_encoding(header) == chosen


def test_if_none_match_compares_weakly():
    assert etag_matches('"a-1"', '"a-1"')
    assert etag_matches('W/"a-1"', '"a-1"')
    assert etag_matches('"x", "a-1"', '"a-1"')
    assert etag_matches("*", '"a-1"')
    assert not etag_matches('"a-2"', '"a-1"')
    assert not etag_matches('"a-1', '"a-1"')


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


# `citydesk serve` -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with citydesk_serve(tmp_path_factory.mktemp("http")) as server:
        yield server


def test_serve_answers_304_for_etag_and_date(served):
    url = f"/a/{served.article_ids[0]}/"
    fetch(served.port, url)
    hit, _ = fetch(served.port, url)
    etag, modified = hit.getheader("ETag"), hit.getheader("Last-Modified")
    response, body = fetch(served.port, url, {"If-None-Match": etag})
    assert response.status == 304 and body == b""
    assert response.getheader("ETag") == etag
    assert response.getheader("Cache-Control") == http.cache_control_header(url)
    response, body = fetch(served.port, url, {"If-None-Match": f'"nope", W/{etag}'})
    assert response.status == 304
    response, _ = fetch(served.port, url, {"If-Modified-Since": modified})
    assert response.status == 304
    response, body = fetch(served.port, url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert response.status == 200 and body
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    response, body = fetch(
        served.port, url, {"If-None-Match": '"nope"', "If-Modified-Since": modified}
    )
    assert response.status == 200 and body


def test_serve_sends_precompressed_variants_when_accepted(served):
    url = f"/a/{served.article_ids[1]}/"
    _, plain = fetch(served.port, url)
    response, body = fetch(served.port, url, {"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(body) == plain
    gzip_etag = response.getheader("ETag")
    response, body = fetch(served.port, url, {"Accept-Encoding": "gzip, deflate, br"})
    assert response.getheader("Content-Encoding") == "br"
    assert brotli.decompress(body) == plain
    assert len(body) < len(plain) / 2
    identity, _ = fetch(served.port, url, {"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert identity.getheader("Content-Encoding") is None
    # Each encoding is its own representation with its own validator.
    assert len({gzip_etag, response.getheader("ETag"), identity.getheader("ETag")}) == 3
    response, body = fetch(
        served.port, url, {"Accept-Encoding": "gzip", "If-None-Match": gzip_etag}
    )
    assert response.status == 304 and body == b""
