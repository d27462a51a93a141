"""On a miss Django renders the page and writes it to the page cache, and only then.

The page cache's own rules (paths, atomic writes, purge-safety) are in test_cache.py;
these tests drive it through real requests to the portal. `citydesk serve`'s front, which
answers from the files written here, is tested in citydesk/portal/tests/test_serving.py.
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from citydesk.portal.tests.sitedata import build_site
from citydesk.publishing import http
from citydesk.publishing.cache import PageCache
from citydesk.publishing.middleware import is_cacheable

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return build_site()


@pytest.fixture
def cache():
    return PageCache()


def cached_files(cache: PageCache) -> list[str]:
    """Every page file in the cache (variants and the purge mark left out)."""
    if not cache.root.exists():
        return []
    return sorted(
        "/" + str(p.relative_to(cache.root))
        for p in cache.root.rglob("*")
        if p.is_file() and p.suffix not in (".gz", ".br") and p.name != ".purged"
    )


def reader_urls(site) -> list[str]:
    return [
        "/",
        "/suzhou/",
        "/gundong/",
        "/gundong/page/2/",
        site.feature.get_absolute_url(),
        site.paged.page_url(2),
        "/zhuanti/",
        site.topic.get_absolute_url(),
        site.writer.get_absolute_url(),
        site.feature.tags.get(name="城市更新").get_absolute_url(),
        "/about/",
    ]


def test_every_reader_page_is_written_on_a_miss(client, site, cache):
    for url in reader_urls(site):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Cache"] == "MISS", url
        # The file holds exactly what the reader got, and its ETag is the one a front
        # server will give the file, so the next request can be a 304 from either.
        path = cache.path_for(response.wsgi_request.path)
        assert path is not None and path.read_bytes() == response.content, url
        stat = path.stat()
        assert response["ETag"] == http.file_etag(stat.st_mtime, stat.st_size), url
        assert response["Last-Modified"] == http.file_last_modified(stat.st_mtime), url
        assert path.with_name(path.name + ".gz").is_file(), url
        assert path.with_name(path.name + ".br").is_file(), url


def test_chinese_urls_are_cached_under_their_decoded_path(client, site, cache):
    url = site.writer.get_absolute_url()
    assert "%E6%9D%8E%E6%98%8E" in url  # 李明, percent-encoded
    assert client.get(url).status_code == 200
    assert cached_files(cache) == ["/people/李明/index.html"]


def test_an_ignored_query_string_makes_the_entry_of_the_path(client, site, cache):
    # The cached pages ignore from=, utm_source= and the like: what they render is the
    # page of the path alone, which the fronts then serve whatever the query string.
    for url in ["/?from=wx", site.feature.get_absolute_url() + "?utm_source=x", "/suzhou/?a=b"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Cache"] == "MISS", url
    assert cached_files(cache) == sorted(
        ["/index.html", site.feature.get_absolute_url() + "index.html", "/suzhou/index.html"]
    )


def test_old_page_parameters_redirect_and_write_nothing(client, site, cache):
    response = client.get("/gundong/?page=2")
    assert response.status_code == 301 and response["Location"] == "/gundong/page/2/"
    assert cached_files(cache) == []


def test_not_found_is_the_portals_page_quickly_and_never_written(
    client, site, cache, django_assert_max_num_queries
):
    urls = ["/a/999999/", "/nosuchchannel/", "/people/无此人/", "/a/1/99/", "/gundong/page/99/"]
    for url in urls:
        # What the view looked up (at most the article and its prefetches), then the
        # nav of the 404 page: no list, no fragment, nothing that grows with content.
        with django_assert_max_num_queries(5):
            response = client.get(url)
        assert response.status_code == 404, url
        assert settings.SITE_NAME in response.content.decode(), url  # the portal's page
    assert cached_files(cache) == []


def test_drafts_and_retracted_articles_are_never_written(client, site, cache):
    for article in (site.draft, site.retracted, site.scheduled):
        assert client.get(article.get_absolute_url()).status_code == 404
    assert cached_files(cache) == []


def test_another_spelling_of_a_path_redirects_instead_of_making_an_entry(client, site, cache):
    # A file under /a/0<id>/ would never be purged with /a/<id>/.
    pk = site.feature.pk
    response = client.get(f"/a/0{pk}/?x=1")
    assert response.status_code == 301
    assert response["Location"] == f"/a/{pk}/?x=1"
    assert client.get("/gundong/page/02/")["Location"] == "/gundong/page/2/"
    assert cached_files(cache) == []


@pytest.mark.parametrize(
    "url",
    [
        "/a/..%2f..%2f..%2fetc/passwd",
        "/a/../../etc/passwd/",
        "/people/..%2F..%2Fescape/",
        "/tag/%2e%2e/",
        "/people/" + "很长" * 150 + "/",
        "/" + "x/" * 600,
    ],
)
def test_odd_urls_never_write_outside_the_cache(client, site, cache, tmp_path, url):
    response = client.get(url)
    assert response.status_code in (301, 404), url
    written = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and "media" not in p.relative_to(tmp_path).parts
    ]
    assert all(p.is_relative_to(cache.root) for p in written), written
    assert cached_files(cache) == []


def test_post_and_logged_in_requests_are_not_written(client, site, cache):
    assert client.post("/about/").status_code in (200, 403, 405)
    assert cached_files(cache) == []
    client.force_login(User.objects.create_user("editor", password="pw-123456"))
    assert client.get("/about/").status_code == 200
    assert cached_files(cache) == []
    client.logout()
    assert client.get("/about/").status_code == 200
    assert cached_files(cache) == ["/about/index.html"]


def marked(response: HttpResponse) -> HttpResponse:
    """As the page_cache decorator leaves a response."""
    response.citydesk_cache = True  # type: ignore[attr-defined]
    return response


def test_responses_that_set_or_vary_on_cookies_are_not_cacheable(rf: RequestFactory):
    request = rf.get("/about/")
    plain = marked(HttpResponse("<p>x</p>"))
    assert is_cacheable(request, plain)
    with_cookie = marked(HttpResponse("<p>x</p>"))
    with_cookie.set_cookie("csrftoken", "x")
    assert not is_cacheable(request, with_cookie)
    varies = marked(HttpResponse("<p>x</p>"))
    varies["Vary"] = "Accept-Encoding, Cookie"
    assert not is_cacheable(request, varies)
    assert not is_cacheable(request, HttpResponse("<p>x</p>"))  # not marked
    # A front server would serve /about/ as text/html: another type is not stored.
    assert not is_cacheable(request, marked(HttpResponse("{}", content_type="application/json")))
    assert is_cacheable(rf.get("/about/?x=1"), plain)  # ignored by the page
    assert not is_cacheable(rf.get("/about/?page=2"), plain)  # the lists' own parameter
    assert not is_cacheable(rf.post("/about/"), plain)
    assert not is_cacheable(rf.head("/about/"), marked(HttpResponse(status=204)))


def test_the_setting_turns_writing_off(client, site, cache, settings):
    settings.CITYDESK_PAGE_CACHE = False
    response = client.get(site.feature.get_absolute_url())
    assert response.status_code == 200 and "X-Cache" not in response
    assert cached_files(cache) == []


def test_a_purge_during_the_render_keeps_the_page_out(client, site, cache, monkeypatch):
    # The purge lands after the request began: the render may have read the old data.
    from citydesk.portal import views

    render = views.render

    def render_then_purge(*args, **kwargs):
        response = render(*args, **kwargs)
        cache.purge(["/about/"])
        return response

    monkeypatch.setattr(views, "render", render_then_purge)
    assert client.get("/about/").status_code == 200
    assert cached_files(cache) == []


def test_every_cached_view_has_a_named_url():
    """The canonical-path check reverses the URL name; an unnamed cached view would never
    be written at all."""

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern

    cached = [
        p for p in walk(get_resolver().url_patterns) if hasattr(p.callback, "citydesk_page_cache")
    ]
    assert len(cached) >= 9
    assert all(p.name for p in cached), [str(p.pattern) for p in cached if not p.name]
