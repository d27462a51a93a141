"""Writes the page cache on a miss.

It sits above the session, CSRF and auth middleware so it sees the response as the
reader gets it (cookies, Vary), and below ConditionalGetMiddleware so a page just
written already carries the ETag a front server will give its file, and a 304 can follow.

The cache never makes a page fail: when it cannot be written (a full or read-only disk,
or anything else) the page goes out as rendered, uncached, and `health` hears of it.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from citydesk.core import shown
from citydesk.publishing import health, http, keys
from citydesk.publishing.cache import PageCache


def is_cacheable(request: HttpRequest, response: HttpResponseBase) -> bool:
    if not getattr(response, "citydesk_cache", False) or response.streaming:
        return False
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return False
    # The page's own parameter (?page=) never makes an entry; any other is ignored by the
    # page, which is then the page of the path alone (what the fronts serve for it).
    if not http.query_is_ignored(request.META.get("QUERY_STRING", "")):
        return False
    if response.cookies or "cookie" in response.get("Vary", "").lower():
        return False
    content_type = http.content_type_for(request.path)
    if content_type is None or http.media_type(content_type) != http.media_type(
        response.get("Content-Type", "")
    ):
        return False  # a front server would serve the file under another type
    # Only look the user up when a session could say who it is: that costs a query.
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return False
    return True


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Taken before the view reads anything: a purge after this moment may be for
        # data the view read, and then the page must not be stored.
        started = time.time()
        with shown.recording() as objects:
            response = self.get_response(request)
        if not is_cacheable(request, response):
            return response
        keys.tag(request, response, objects)  # for the shared caches in front, page cache or not
        if not getattr(settings, "CITYDESK_PAGE_CACHE", True):
            return response
        cache = PageCache()
        body: bytes = response.content  # type: ignore[attr-defined]
        try:
            stored = cache.write(request.path, body, rendered_since=started)
        except Exception as exc:  # the file system's errors are handled there; a bug is not
            health.failed("write", exc, traceback=True)
            return response
        if stored:
            path = cache.path_for(request.path)
            if path is not None:
                try:
                    stat = path.stat()
                except OSError:  # purged in between; the page still goes out
                    return response
                if stat.st_size == len(body):
                    response["ETag"] = http.file_etag(stat.st_mtime, stat.st_size)
                    response["Last-Modified"] = http.file_last_modified(stat.st_mtime)
            response["X-Cache"] = "MISS"
        return response
