"""The security headers on every page type, as a reader's browser gets them: from
`citydesk serve` (a render, then the cached file) and from nginx (the same), with
CITYDESK_HTTPS=1 behind a TLS proxy."""

from pathlib import Path
from urllib.parse import quote

import pytest

from citydesk.portal.tests.served import citydesk_serve, fetch
from citydesk.portal.tests.sitedata import build_site

HTTPS = {"X-Forwarded-Proto": "https"}


def policy(header: str | None) -> dict[str, set[str]]:
    """A Content-Security-Policy header as {directive: sources} (its order is free)."""
    assert header, "no Content-Security-Policy"
    parts = [p.split() for p in header.split(";") if p.strip()]
    return {p[0]: set(p[1:]) for p in parts}


def assert_secure(response, path: str, *, html: bool = True) -> None:
    assert response.status < 500, path
    assert response.getheader("X-Content-Type-Options") == "nosniff", path
    assert response.getheader("Referrer-Policy") == "same-origin", path
    if not html:
        return
    csp = policy(response.getheader("Content-Security-Policy"))
    assert csp["script-src"] == {"'self'"} or (
        "'self'" in csp["script-src"]
        and all(s == "'self'" or s.startswith("'sha256-") for s in csp["script-src"])
    ), (path, csp["script-src"])
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["default-src"] == {"'self'"} and csp["object-src"] == {"'none'"}, path
    assert csp["frame-ancestors"] == {"'self'"}, path
    assert response.getheader("X-Frame-Options") == "SAMEORIGIN", path


def page_types(article: str) -> list[tuple[str, bool]]:
    """(path, is HTML) of each kind of page a reader or the newsroom gets."""
    return [
        ("/", True),
        (article, True),
        ("/suzhou/", True),
        ("/tag/" + quote("古城保护") + "/", True),
        ("/people/" + quote("李明") + "/", True),
        ("/hot/", True),
        ("/search/?q=" + quote("古城"), True),
        ("/fragments/hot/", True),
        ("/rss.xml", False),
        ("/sitemap.xml", False),
        ("/robots.txt", False),
        ("/newsroom/login/", True),
        ("/admin/login/", True),
        ("/a/999999/", True),  # the 404 page
    ]


@pytest.fixture(scope="module")
def served_https(tmp_path_factory):
    env = {"CITYDESK_HTTPS": "1", "CITYDESK_SITE_URL": "https://news.example.cn"}
    with citydesk_serve(tmp_path_factory.mktemp("https"), env=env) as server:
        yield server


def test_every_page_type_from_citydesk_serve(served_https):
    article = f"/a/{served_https.article_ids[0]}/"
    for path, html in page_types(article):
        for attempt in ("render", "cached"):
            response, _ = fetch(served_https.port, path, HTTPS)
            assert_secure(response, path, html=html)
            hsts = response.getheader("Strict-Transport-Security") or ""
            assert hsts.startswith("max-age=31536000"), (path, attempt)
    hit, _ = fetch(served_https.port, article, HTTPS)
    assert hit.getheader("X-Cache") == "HIT"  # the cached file carried them too


def test_behind_tls_cookies_are_secure_and_the_site_origin_is_trusted(served_https):
    response, _ = fetch(served_https.port, "/newsroom/login/", HTTPS)
    cookies = response.msg.get_all("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies), cookies
    # A login form posted from the site's own origin passes the CSRF origin check.
    token = next(c for c in cookies if c.startswith("csrftoken=")).split(";")[0].split("=")[1]
    body = f"csrfmiddlewaretoken={token}&username=x&password=y".encode()
    headers = {
        **HTTPS,
        "Origin": "https://news.example.cn",
        "Cookie": f"csrftoken={token}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Host": "news.example.cn",
    }
    posted, text = fetch(served_https.port, "/newsroom/login/", headers, "POST", body)
    assert posted.status == 200 and "请输入一个正确的" in text.decode()
    headers["Origin"] = "https://evil.example"
    refused, _ = fetch(served_https.port, "/newsroom/login/", headers, "POST", body)
    assert refused.status == 403


@pytest.fixture
def hsts(settings):
    settings.SECURE_HSTS_SECONDS = 31536000  # as CITYDESK_HTTPS=1 sets it


@pytest.mark.django_db(transaction=True)
def test_every_page_type_from_nginx(hsts, nginx, settings):
    site = build_site()
    (Path(settings.STATIC_ROOT) / "site.css").write_text("body{}")
    for path, html in page_types(site.feature.get_absolute_url()):
        for _ in range(2):  # a render through nginx, then the cached file
            response, _ = fetch(nginx, path)
            assert_secure(response, path, html=html)
        if response.getheader("X-Cache") == "HIT":
            hsts_header = response.getheader("Strict-Transport-Security") or ""
            assert hsts_header.startswith("max-age=31536000"), path
    static, _ = fetch(nginx, "/static/site.css")
    assert static.status == 200
    assert_secure(static, "/static/site.css", html=False)
