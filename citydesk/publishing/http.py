"""HTTP rules shared by Django, `citydesk serve` and the nginx config.

One table says how long each kind of page may be kept and what type it is, so a page
carries the same headers whichever server answers it. The front servers live in
citydesk/portal (server.py, nginx_config); deploy/nginx/citydesk.conf.template repeats
the Cache-Control values and citydesk/portal/tests/test_nginx.py checks that they agree.
"""

import os
import re
from typing import Any

from django.utils.http import http_date

FRAGMENT_MAX_AGE = 30

# Browsers keep a page briefly (a reader may see it at most max-age late); shared caches
# (a CDN) keep it for a day because every change purges them through a purge backend.
CACHE_RULES: list[tuple[re.Pattern[str], dict[str, Any]]] = [
    # A live article's updates: browsers ask again each time (a 304 while nothing is
    # new), shared caches keep them until the next update purges them.
    (re.compile(r"^/live/"), {"public": True, "max_age": 0, "s_maxage": 86400}),
    # Article pages change rarely once published; edits purge them.
    (re.compile(r"^/a/"), {"public": True, "max_age": 300, "s_maxage": 86400}),
    # Fragments (今日推荐, 热点排行, 相关阅读) are read afresh at most every 30 s in a
    # process (citydesk.core.fresh): with 30 s here, a reader's counts are at most a
    # minute old.
    (re.compile(r"^/fragments/"), {"public": True, "max_age": FRAGMENT_MAX_AGE}),
    (re.compile(r"^/robots\.txt$"), {"public": True, "max_age": 3600}),
    (re.compile(r"\.xml$"), {"public": True, "max_age": 300, "s_maxage": 86400}),
]
# Home and lists: a new article appears on them often.
DEFAULT_RULE: dict[str, Any] = {
    "public": True,
    "max_age": 60,
    "s_maxage": 86400,
    "stale_while_revalidate": 60,
}

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
# The integrators' API (citydesk.api): its plain requests' answers are cached pages too.
API_PREFIX = "/api/"
TYPES_BY_NAME = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
}
TYPES_BY_SUFFIX = {
    ".html": HTML,
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


# The one query parameter a cached page type reads: the lists' old ?page=N, answered with
# a 301 to /page/N/. Every other parameter (from=singlemessage, utm_source, ?x=1) is
# ignored by every cached page, so the fronts serve the cached page whatever else the
# query string holds: a query string cannot force a render.
PAGE_PARAMETERS = frozenset({"page"})


def query_is_ignored(query: str) -> bool:
    """Whether a cached page answers this query string (bytes or text) as it answers none."""
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    return not any(part.split("=", 1)[0] in PAGE_PARAMETERS for part in query.split("&"))


def security_headers() -> list[tuple[str, str]]:
    """The headers every page carries, whichever server answers it: what Django's
    middleware gives its answers (SecurityMiddleware, clickjacking, django-csp), for the
    fronts to give the cached pages they serve themselves."""
    from csp.utils import build_policy
    from django.conf import settings

    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", settings.SECURE_REFERRER_POLICY),
        ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY),
        ("X-Frame-Options", settings.X_FRAME_OPTIONS),
        ("Content-Security-Policy", build_policy()),
    ]
    if settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        headers.append(("Strict-Transport-Security", hsts))
    return headers


def cache_control_for(path: str) -> dict[str, Any]:
    """Keyword arguments for django.utils.cache.patch_cache_control."""
    for pattern, rule in CACHE_RULES:
        if pattern.search(path):
            return rule
    return DEFAULT_RULE


def cache_control_header(path: str) -> str:
    parts = []
    for key, value in cache_control_for(path).items():
        name = key.replace("_", "-")
        parts.append(name if value is True else f"{name}={value}")
    return ", ".join(parts)


def api_request_is_plain(query: str | bytes, headers: Any) -> bool:
    """Whether an API request gets the shared answer the page cache may hold: none of
    what makes the API answer differently (a query string, a token, an Accept naming a
    profile or ninjs, in any case) nor a browser's cross-origin request (whose CORS
    headers the app writes).
    `headers` is any mapping with `get` by lower-case name."""
    if query:
        return False
    if headers.get("authorization") or headers.get("origin"):
        return False
    accept = (headers.get("accept") or "").lower()
    return "profile" not in accept and "ninjs" not in accept


def content_type_for(path: str) -> str | None:
    """The Content-Type a front server gives the cached file of this URL path, or None
    when the page cache does not serve that kind of file."""
    if path.startswith(API_PREFIX):
        return JSON if path.endswith("/") else None
    name = "index.html" if path.endswith("/") else path.rsplit("/", 1)[-1]
    if name in TYPES_BY_NAME:
        return TYPES_BY_NAME[name]
    return TYPES_BY_SUFFIX.get(os.path.splitext(name)[1])


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def file_etag(mtime: float, size: int) -> str:
    """The ETag nginx gives a static file, so a page keeps its ETag whether nginx,
    `citydesk serve` or Django (just after writing the file) answers."""
    return f'"{int(mtime):x}-{size:x}"'


def file_last_modified(mtime: float) -> str:
    return http_date(int(mtime))
