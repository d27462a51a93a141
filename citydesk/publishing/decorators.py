"""How long a view's responses may be kept: `page_cache` for pages, `fragment` for the
boxes that change by the minute.

`page_cache` only marks; `citydesk.publishing.middleware.PageCacheMiddleware` decides
and writes, because only after every middleware has run is it known whether the
response sets a cookie or varies by one.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponseBase, HttpResponsePermanentRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_cache_control, patch_vary_headers

from citydesk.publishing import http

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def canonical_url(request: HttpRequest) -> str | None:
    """The one (percent-encoded) path of the resolved page: /a/026/ -> /a/26/. None
    when the URL pattern has no name to reverse."""
    match = request.resolver_match
    if match is None:
        return None
    try:
        return reverse(match.view_name, args=match.args, kwargs=match.kwargs)
    except NoReverseMatch:
        return None


def page_cache(view: View) -> View:
    """Let the page cache store this view's successful responses.

    A page has one address only: a purge deletes the file of that address, so a copy
    stored under another spelling (/a/026/ for /a/26/) would never be purged. Such
    spellings answer a 301 to the canonical path instead. The response also gets the
    Cache-Control that nginx and `citydesk serve` send for the same URL.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        canonical = canonical_url(request)
        if canonical is not None and unquote(canonical) != request.path:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{canonical}?{query}" if query else canonical)
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            # Unnamed URL patterns cannot prove their path canonical: not stored.
            response.citydesk_cache = canonical is not None  # type: ignore[attr-defined]
            if not response.has_header("Cache-Control"):
                patch_cache_control(response, **http.cache_control_for(request.path))
            patch_vary_headers(response, ["Accept-Encoding"])
        return response

    wrapped.citydesk_page_cache = True  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def fragment(view: View) -> View:
    """A fragment (今日推荐, 热点排行, 相关阅读): the Cache-Control of the rules table.

    Never marked for the page cache: a fragment lives FRAGMENT_MAX_AGE, not until a
    purge, so counts that move by the minute never make a cached page stale.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        patch_cache_control(response, **http.cache_control_for(request.path))
        return response

    return wrapped  # type: ignore[return-value]
