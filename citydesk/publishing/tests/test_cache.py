import gzip
import io
import time

import brotli
import pytest
from django.core.management import call_command
from django.test import override_settings

from citydesk.publishing.cache import PageCache


@pytest.fixture
def cache(tmp_path):
    return PageCache(tmp_path / "pagecache")


def test_url_paths_map_to_files_inside_the_cache(cache):
    assert cache.path_for("/") == cache.root / "index.html"
    assert cache.path_for("/a/26/") == cache.root / "a" / "26" / "index.html"
    assert cache.path_for("/people/朱琦/") == cache.root / "people" / "朱琦" / "index.html"
    assert cache.path_for("/rss.xml") == cache.root / "rss.xml"


@pytest.mark.parametrize(
    "url",
    [
        "/../etc/passwd",
        "/a/../../x/",
        "/a/./b/",
        "/.purged",
        "/a//b/",
        "/a\\b/",
        "/a/\x00/",
        "relative/",
        "/" + "长" * 100 + "/",
        "/" + "a/" * 600,
    ],
)
def test_odd_paths_are_never_cached(cache, url):
    assert cache.path_for(url) is None
    assert cache.write(url, b"x", rendered_since=time.time()) is False
    assert not any(p.is_file() for p in cache.root.parent.rglob("*") if p.name != ".purged")


def test_write_stores_plain_gzip_and_brotli(cache):
    body = "<p>苏州</p>".encode() * 50
    assert cache.write("/a/1/", body, rendered_since=time.time())
    path = cache.path_for("/a/1/")
    assert path.read_bytes() == body
    assert gzip.decompress(path.with_name("index.html.gz").read_bytes()) == body
    assert brotli.decompress(path.with_name("index.html.br").read_bytes()) == body
    assert not list(path.parent.glob(".tmp-*"))


def test_purge_removes_the_page_and_its_variants_only(cache):
    now = time.time()
    cache.write("/a/1/", b"one", rendered_since=now)
    cache.write("/a/2/", b"two", rendered_since=now)
    assert cache.purge(["/a/1/", "/a/3/", "/../x"]) == ["/a/1/"]
    assert cache.read("/a/1/") is None
    assert not list(cache.path_for("/a/1/").parent.glob("index.html*"))
    assert cache.read("/a/2/") == b"two"


def test_a_render_that_started_before_a_purge_is_not_stored(cache):
    started = time.time()
    time.sleep(0.01)
    cache.purge(["/a/1/"])
    assert cache.write("/a/1/", b"stale", rendered_since=started) is False
    assert cache.read("/a/1/") is None
    assert cache.write("/a/1/", b"fresh", rendered_since=time.time())


def test_clear_empties_the_cache_and_refuses_renders_from_before(tmp_path):
    cache = PageCache(tmp_path / "pages")
    before = time.time() - 1
    assert cache.write("/a/1/", b"<p>old</p>", rendered_since=before)
    assert cache.write("/suzhou/page/2/", b"<p>old</p>", rendered_since=before)
    assert cache.clear() == 6  # two pages, each with its .gz and .br
    assert cache.read("/a/1/") is None and cache.read("/suzhou/page/2/") is None
    assert not cache.write("/a/1/", b"<p>old</p>", rendered_since=before)  # rendered before
    assert cache.write("/a/1/", b"<p>new</p>", rendered_since=time.time() + 0.001)
    out = io.StringIO()
    with override_settings(PAGE_CACHE_DIR=tmp_path / "pages"):
        call_command("clear_page_cache", stdout=out)
    assert "3 files" in out.getvalue() and cache.read("/a/1/") is None
