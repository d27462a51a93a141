"""deploy/nginx's config, run by a real nginx in front of a live Django server.

nginx marks what it served from the page cache with X-Cache: HIT; the live server is
plain Django, which never does.
"""

import gzip
import time
from pathlib import Path
from urllib.parse import quote

import brotli
import pytest
from django.conf import settings

from citydesk.core.testing import require_service
from citydesk.portal.nginx import brotli_available
from citydesk.portal.tests.served import fetch
from citydesk.portal.tests.sitedata import build_site
from citydesk.publishing import http as rules
from citydesk.publishing.cache import PageCache

# The live server reads the database from its own thread: committed data only.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site():
    return build_site()


def test_a_miss_is_rendered_and_written_then_nginx_serves_the_file(nginx, site):
    url = site.feature.get_absolute_url()
    first, body = fetch(nginx, url)
    assert first.status == 200 and first.getheader("X-Cache") == "MISS"
    path = PageCache().path_for(url)
    assert path is not None and path.read_bytes() == body

    second, again = fetch(nginx, url)
    assert second.status == 200 and second.getheader("X-Cache") == "HIT"
    assert again == body
    # Django gave the page the ETag nginx gives its file: no refetch after the miss.
    assert second.getheader("ETag") == first.getheader("ETag")
    assert second.getheader("Content-Type") == "text/html; charset=utf-8"
    assert second.getheader("Cache-Control") == rules.cache_control_header(url)
    assert second.getheader("X-Frame-Options") == "SAMEORIGIN"

    # nginx answers from the file alone: what is in it is what the reader gets.
    path.write_bytes(body.replace(site.feature.title.encode(), "文件里的标题".encode()))
    third, changed = fetch(nginx, url)
    assert "文件里的标题" in changed.decode() and third.getheader("X-Cache") == "HIT"


def test_a_purge_or_a_rewrite_shows_on_the_very_next_request(nginx, site):
    url = "/suzhou/"
    fetch(nginx, url)
    for _ in range(3):  # hits: nginx now holds the file open
        response, body = fetch(nginx, url)
        assert response.getheader("X-Cache") == "HIT"
    cache = PageCache()
    assert cache.write(url, b"<p>rewritten</p>", rendered_since=time.time())
    response, rewritten = fetch(nginx, url)
    assert rewritten == b"<p>rewritten</p>" and response.getheader("X-Cache") == "HIT"
    assert cache.purge([url]) == [url]
    response, fresh = fetch(nginx, url)
    assert response.getheader("X-Cache") == "MISS" and fresh == body


def test_conditional_requests_get_304_from_nginx(nginx, site):
    url = "/suzhou/"
    first, _ = fetch(nginx, url)
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    response, body = fetch(nginx, url, {"If-None-Match": etag})
    assert response.status == 304 and body == b""
    response, _ = fetch(nginx, url, {"If-Modified-Since": modified})
    assert response.status == 304
    response, body = fetch(nginx, url, {"If-None-Match": '"other"'})
    assert response.status == 200 and body


def test_precompressed_variants_are_served_when_accepted(nginx, site):
    url = "/"
    _, plain = fetch(nginx, url)  # miss: written with its .gz and .br
    response, body = fetch(nginx, url, {"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("X-Cache") == "HIT"
    assert response.msg.get_all("Vary") == ["Accept-Encoding"]
    assert gzip.decompress(body) == plain
    response, body = fetch(nginx, url)
    assert response.getheader("Content-Encoding") is None and body == plain
    # The plain answer varies too: a shared cache must not hand it to every client.
    assert response.msg.get_all("Vary") == ["Accept-Encoding"]

    require_service(brotli_available(), "libnginx-mod-http-brotli-static is not installed")
    response, body = fetch(nginx, url, {"Accept-Encoding": "gzip, deflate, br"})
    assert response.getheader("Content-Encoding") == "br"
    assert response.msg.get_all("Vary") == ["Accept-Encoding"]
    assert brotli.decompress(body) == plain


def test_an_ignored_query_string_is_served_from_the_cache(nginx, site):
    url = site.feature.get_absolute_url()
    fetch(nginx, url)
    path = PageCache().path_for(url)
    assert path is not None
    path.write_bytes(b"<p>cached copy</p>")
    for query in ["from=singlemessage&isappinstalled=0", "utm_source=x", "x=1"]:
        response, body = fetch(nginx, f"{url}?{query}")
        assert response.status == 200 and response.getheader("X-Cache") == "HIT", query
        assert body == b"<p>cached copy</p>"
    # The lists' own ?page= and search's query reach the app.
    response, _ = fetch(nginx, "/gundong/?page=2")
    assert response.status == 301 and response.getheader("Location").endswith("/gundong/page/2/")
    response, body = fetch(nginx, "/search/?q=" + quote("古城保护"))
    assert response.status == 200 and response.getheader("X-Cache") is None
    assert "<mark>古城保护</mark>" in body.decode()  # the results, rendered by the app


def test_the_newsroom_always_goes_to_the_app(nginx, site):
    planted = Path(settings.PAGE_CACHE_DIR) / "admin" / "login" / "index.html"
    planted.parent.mkdir(parents=True)
    planted.write_text("planted")
    response, body = fetch(nginx, "/admin/login/", {"Cookie": "sessionid=abc"})
    assert response.status == 200 and b"planted" not in body
    assert response.getheader("X-Cache") is None


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("rss.xml", "application/rss+xml; charset=utf-8"),
        ("atom.xml", "application/atom+xml; charset=utf-8"),
        ("suzhou/rss.xml", "application/rss+xml; charset=utf-8"),
        ("zhuanti/jiangnan/atom.xml", "application/atom+xml; charset=utf-8"),
        ("sitemap.xml", "application/xml; charset=utf-8"),
        ("sitemaps/articles-2024-03.xml", "application/xml; charset=utf-8"),
        ("robots.txt", "text/plain; charset=utf-8"),
    ],
)
def test_cached_feeds_sitemaps_and_robots_get_their_types(nginx, name, content_type):
    url = "/" + name
    PageCache().write(url, b"<?xml version='1.0'?><x/>", rendered_since=1e12)
    response, _body = fetch(nginx, url)
    assert response.status == 200 and response.getheader("X-Cache") == "HIT"
    assert response.getheader("Content-Type") == content_type
    assert rules.content_type_for(url) == content_type  # what citydesk serve sends
    assert response.getheader("Cache-Control") == rules.cache_control_header(url)


def test_static_files_and_media_come_from_disk(nginx):
    css = Path(settings.STATIC_ROOT) / "portal" / "x.css"
    css.parent.mkdir(parents=True)
    css.write_text("body{}")
    css.with_name("x.css.gz").write_bytes(gzip.compress(b"body{}"))
    response, body = fetch(nginx, "/static/portal/x.css", {"Accept-Encoding": "gzip"})
    assert response.status == 200 and gzip.decompress(body) == b"body{}"
    assert response.getheader("Content-Type").startswith("text/css")
    assert response.getheader("Cache-Control") == "public, max-age=3600"
    css.with_name("x.0123456789ab.css").write_text("body{}")  # collected: named by content
    response, _ = fetch(nginx, "/static/portal/x.0123456789ab.css")
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    photo = Path(settings.MEDIA_ROOT) / "photos" / "a.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8jpeg")
    response, body = fetch(nginx, "/media/photos/a.jpg")
    assert response.status == 200 and body == b"\xff\xd8jpeg"
    assert response.getheader("Content-Type") == "image/jpeg"


def test_chinese_urls_are_cached_and_hit(nginx, site):
    url = site.writer.get_absolute_url()  # /people/李明/, percent-encoded
    first, body = fetch(nginx, url)
    assert first.status == 200 and first.getheader("X-Cache") == "MISS"
    assert (Path(settings.PAGE_CACHE_DIR) / "people" / "李明" / "index.html").read_bytes() == body
    second, again = fetch(nginx, url)
    assert second.getheader("X-Cache") == "HIT" and again == body
    # Lower-case escapes are the same path to nginx and to Django.
    third, _ = fetch(nginx, url.lower())
    assert third.getheader("X-Cache") == "HIT"


@pytest.mark.parametrize(
    "url",
    [
        "/a/..%2f..%2f..%2fetc/passwd",
        "/a/..%2f..%2f..%2fetc/passwd/",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/people/..%2F..%2F..%2F..%2Ftmp/",
        "/a/1/" + "x" * 3000 + "/",
        "/" + "%E9%95%BF" * 400 + "/",
    ],
)
def test_odd_urls_never_escape_or_poison_the_cache(nginx, site, tmp_path, url):
    response, body = fetch(nginx, url)
    assert response.status in (301, 400, 404, 414), (url, response.status)
    assert b"root:" not in body
    cache_root = Path(settings.PAGE_CACHE_DIR)
    outside = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file()
        and not p.is_relative_to(cache_root)
        and not p.is_relative_to(tmp_path / "nginx")
        and not p.is_relative_to(tmp_path / "media")
    ]
    assert outside == []
    inside = [p for p in cache_root.rglob("*") if p.is_file() and p.name != ".purged"]
    assert inside == []


def test_the_caches_own_files_are_not_pages(nginx, site):
    fetch(nginx, "/about/")
    article = site.feature.get_absolute_url()
    fetch(nginx, article)
    cache = Path(settings.PAGE_CACHE_DIR)
    PageCache().purge(["/nothing/"])  # leaves the purge mark
    assert (cache / ".purged").exists() and (cache / "about" / "index.html.gz").exists()
    (cache / "about" / ".tmp-half").write_text("half a page")
    (cache / article.strip("/") / ".tmp-half").write_text("half a page")
    own = [".purged", "about/index.html.gz", "about/index.html.br", "about/.tmp-half"]
    own += [article[1:] + name for name in ("index.html.gz", "index.html.br", ".tmp-half")]
    for url in ["/" + name for name in own]:
        response, body = fetch(nginx, url)
        assert response.status == 404, url
        assert b"half a page" not in body


def test_head_is_answered_from_the_cache(nginx, site):
    _, body = fetch(nginx, "/about/")
    response, empty = fetch(nginx, "/about/", method="HEAD")
    assert response.status == 200 and empty == b""
    assert response.getheader("X-Cache") == "HIT"
    assert int(response.getheader("Content-Length")) == len(body)


def test_nginx_answers_only_plain_api_requests_from_the_cache(nginx, site):
    url = f"/api/v1/articles/{site.feature.pk}/"
    first, body = fetch(nginx, url)
    assert first.status == 200 and first.getheader("X-Cache") == "MISS"
    path = PageCache().path_for(url)
    assert path is not None and path.read_bytes() == body
    path.write_bytes(b'{"cached": true}')
    hit, cached = fetch(nginx, url)
    assert hit.getheader("X-Cache") == "HIT" and cached == b'{"cached": true}'
    assert hit.getheader("Content-Type") == "application/json; charset=utf-8"
    assert hit.getheader("Cache-Control") == rules.cache_control_header(url)
    for query, headers in [
        ("?ninjs=2.2", {}),
        ("", {"Authorization": "Bearer cdk_x"}),
        ("", {"Accept": 'application/json; profile="ninjs-schema_2.2"'}),
        ("", {"Origin": "https://app.example.com"}),
        ("", {"Accept": 'application/json; Profile="NINJS-SCHEMA_2.2.JSON"'}),
    ]:
        response, answer = fetch(nginx, url + query, headers)
        assert response.getheader("X-Cache") != "HIT", (query, headers)
        assert answer != b'{"cached": true}'
