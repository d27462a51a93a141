"""`citydesk serve`'s front: page-cache hits without Django, misses to Django.

Each test drives a real `citydesk serve` in a child process (served.py); how Django writes
the page on a miss is tested in citydesk/publishing/tests/test_middleware.py.
"""

import gzip
import re
import signal
from http.client import HTTPConnection

import brotli
import pytest

from citydesk.portal.server import choose_encoding, etag_matches
from citydesk.portal.tests.served import citydesk_serve, fetch
from citydesk.publishing import http
from citydesk.publishing.cache import PageCache


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


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with citydesk_serve(tmp_path_factory.mktemp("served")) as server:
        yield server


def article_url(served, n: int = 0) -> str:
    return f"/a/{served.article_ids[n]}/"


def test_serve_renders_a_miss_then_answers_from_the_file(served):
    url = article_url(served)
    first, body = fetch(served.port, url)
    assert first.status == 200 and first.getheader("X-Cache") == "MISS"
    file = served.page_cache / url.strip("/") / "index.html"
    assert file.read_bytes() == body
    second, again = fetch(served.port, url)
    assert second.getheader("X-Cache") == "HIT" and again == body
    assert second.getheader("ETag") == first.getheader("ETag")
    assert second.getheader("Content-Type") == "text/html; charset=utf-8"
    assert second.getheader("Cache-Control") == http.cache_control_header(url)
    # The hit is the file as it is now: a rewrite shows on the very next request.
    file.write_bytes(body.replace("古城保护第1篇".encode(), "改写后的标题".encode()))
    third, changed = fetch(served.port, url)
    assert "改写后的标题" in changed.decode() and third.getheader("X-Cache") == "HIT"


def test_serve_shows_a_purge_on_the_very_next_request(served):
    url = article_url(served, 1)
    fetch(served.port, url)
    hit, _ = fetch(served.port, url)
    assert hit.getheader("X-Cache") == "HIT"
    file = served.page_cache / url.strip("/") / "index.html"
    file.write_bytes(b"<p>stale</p>")
    assert fetch(served.port, url)[1] == b"<p>stale</p>"
    assert PageCache(served.page_cache).purge([url]) == [url]
    after, fresh = fetch(served.port, url)
    assert after.getheader("X-Cache") == "MISS" and b"stale" not in fresh
    assert "古城保护第2篇" in fresh.decode()


def test_serve_answers_ignored_query_strings_from_the_cache(served):
    url = article_url(served, 2)
    fetch(served.port, url)
    file = served.page_cache / url.strip("/") / "index.html"
    file.write_bytes(b"<p>cached copy</p>")
    # WeChat's share parameters, trackers, junk: the cached page, never a render.
    for query in ["from=singlemessage&isappinstalled=0", "utm_source=x", "x=1", "x"]:
        response, body = fetch(served.port, f"{url}?{query}")
        assert response.status == 200 and response.getheader("X-Cache") == "HIT", query
        assert body == b"<p>cached copy</p>"
    # The lists' own ?page= reaches Django, which moves it to the path.
    response, _ = fetch(served.port, "/gundong/?page=2")
    assert response.status == 301 and response.getheader("Location") == "/gundong/page/2/"


def test_serve_renders_a_miss_with_a_query_string_once(served):
    url = article_url(served, 1)
    PageCache(served.page_cache).purge([url])  # whatever another test left
    first, body = fetch(served.port, url + "?x=1")
    assert first.status == 200 and first.getheader("X-Cache") == "MISS"
    assert (served.page_cache / url.strip("/") / "index.html").read_bytes() == body
    second, _ = fetch(served.port, url + "?x=2")
    assert second.getheader("X-Cache") == "HIT"


def test_serve_sends_unknown_pages_to_django(served):
    response, body = fetch(served.port, "/a/99999/")
    assert response.status == 404 and "名城苏州" in body.decode()
    assert not (served.page_cache / "a" / "99999").exists()


def test_serve_caches_and_hits_chinese_urls(served):
    url = "/people/%E6%9D%8E%E6%98%8E/"  # 李明
    first, body = fetch(served.port, url)
    assert first.status == 200 and "李明" in body.decode()
    assert (served.page_cache / "people" / "李明" / "index.html").read_bytes() == body
    second, _ = fetch(served.port, url.lower())
    assert second.getheader("X-Cache") == "HIT"


@pytest.mark.parametrize(
    "url",
    [
        "/a/..%2f..%2f..%2fetc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/a/../../../etc/passwd",
        "/people/" + "%E9%95%BF" * 300 + "/",
        "/" + "x/" * 600,
    ],
)
def test_serve_odd_urls_never_escape_the_cache(served, url):
    before = set(served.data_dir.rglob("*"))
    response, body = fetch(served.port, url)
    assert response.status in (301, 400, 404), (url, response.status)
    assert b"root:" not in body
    # Only the page cache may have grown (and the counters a worker makes on its first
    # answer, for /metrics).
    grown = set(served.data_dir.rglob("*")) - before
    counters = set((served.data_dir / "metrics").glob("*.db"))
    assert grown - counters <= set(served.page_cache.rglob("*"))
    assert not any(
        p.is_file() and ("etc" in p.parts or "长" in str(p)) for p in served.page_cache.rglob("*")
    )


def test_serve_never_serves_the_caches_own_files(served):
    fetch(served.port, "/about/")
    (served.page_cache / "about" / ".tmp-half").write_text("half a page")
    PageCache(served.page_cache).purge(["/nothing/"])  # leaves the purge mark
    for url in ["/.purged", "/about/index.html.gz", "/about/index.html.br", "/about/.tmp-half"]:
        response, body = fetch(served.port, url)
        assert response.status == 404, url
        assert response.getheader("X-Cache") is None and b"half a page" not in body


def test_serve_keeps_the_connection_and_serves_head(served):
    url = "/suzhou/"
    conn = HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        bodies = []
        for _ in range(3):  # miss, hit, hit on one connection
            conn.request("GET", url)
            response = conn.getresponse()
            bodies.append(response.read())
        assert bodies[0] == bodies[1] == bodies[2]
        conn.request("HEAD", url)
        head = conn.getresponse()
        assert head.read() == b""
        assert head.getheader("Content-Length") == str(len(bodies[0]))
        assert head.getheader("X-Cache") == "HIT"
        conn.request("GET", "/admin/login/")  # the newsroom, on the same connection
        login = conn.getresponse()
        assert login.status == 200 and b"csrfmiddlewaretoken" in login.read()
    finally:
        conn.close()


def test_serve_passes_posts_and_static_files_to_django(served):
    response, _ = fetch(served.port, "/admin/login/", method="POST", body=b"username=x")
    assert response.status == 403  # Django's CSRF check answered
    response, body = fetch(served.port, "/static/portal/portal.css")
    assert response.status == 200 and b"PingFang SC" in body
    assert response.getheader("Content-Type").startswith("text/css")


def test_collected_static_files_are_named_by_content_compressed_and_kept_a_year(tmp_path):
    with citydesk_serve(tmp_path / "data", collectstatic=True) as server:
        _, page = fetch(server.port, f"/a/{server.article_ids[0]}/")
        css = re.search(rb'href="(/static/portal/portal\.[0-9a-f]{12}\.css)"', page)
        assert css is not None, "the page names the collected, hashed stylesheet"
        response, body = fetch(server.port, css[1].decode(), {"Accept-Encoding": "br, gzip"})
        assert response.status == 200 and response.getheader("Content-Encoding") == "br"
        assert b"PingFang SC" in brotli.decompress(body)
        assert response.getheader("Cache-Control") == "max-age=315360000, public, immutable"
        # Media: a week (an upload's name is never reused).
        (server.data_dir / "media").mkdir(exist_ok=True)
        (server.data_dir / "media" / "p.jpg").write_bytes(b"\xff\xd8")
        response, _ = fetch(server.port, "/media/p.jpg")
        assert response.getheader("Cache-Control") == "public, max-age=604800"


def test_serve_streams_big_answers_from_django(served):
    # Media goes through Django's file view here: bigger than the front collects whole.
    data = bytes(range(256)) * 4096  # 1 MiB
    media = served.data_dir / "media" / "clips"
    media.mkdir(parents=True, exist_ok=True)
    (media / "big.bin").write_bytes(data)
    response, body = fetch(served.port, "/media/clips/big.bin")
    assert response.status == 200 and body == data


def test_serve_runs_several_workers_and_stops_gracefully(tmp_path):
    with citydesk_serve(tmp_path / "data", workers=2) as server:
        urls = [f"/a/{pk}/" for pk in server.article_ids]
        for url in urls * 4:
            assert fetch(server.port, url)[0].status == 200
        process = server.process
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


# Validators and precompressed variants -------------------------------------------------


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


def test_serve_answers_only_plain_api_requests_from_the_cache(served):
    url = f"/api/v1/articles/{served.article_ids[0]}/"
    first, body = fetch(served.port, url)
    assert first.status == 200 and first.getheader("X-Cache") == "MISS"
    assert "古城保护第1篇" in body.decode()  # JSON with the Chinese as itself
    file = served.page_cache / url.strip("/") / "index.html"
    file.write_bytes(b'{"cached": true}')
    hit, cached = fetch(served.port, url)
    assert hit.getheader("X-Cache") == "HIT" and cached == b'{"cached": true}'
    assert hit.getheader("Content-Type") == "application/json; charset=utf-8"
    assert "Authorization" in ",".join(hit.msg.get_all("Vary"))
    # A query string, a token, a profile or a browser's Origin: the app answers.
    for query, headers in [
        ("?ninjs=2.2", {}),
        ("", {"Authorization": "Bearer cdk_x"}),
        ("", {"Accept": 'application/json; profile="ninjs-schema_2.2"'}),
        ("", {"Origin": "https://app.example.com"}),
        ("", {"Accept": 'application/json; Profile="NINJS-SCHEMA_2.2.JSON"'}),
    ]:
        response, answer = fetch(served.port, url + query, headers)
        assert response.getheader("X-Cache") != "HIT", (query, headers)
        assert answer != b'{"cached": true}'
