"""Middleware every app's pages pass through."""

import base64
import hashlib
import json
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseBase

from citydesk.core import metrics

_IMPORT_MAP = re.compile(rb'<script type="importmap"[^>]*>(.*?)</script>', re.S)


def _static_only(text: bytes) -> bool:
    """Whether an import map points at this site's static files only: one that came from
    anywhere else (text injected into a page) is not let through."""
    try:
        data = json.loads(text)
    except ValueError:
        return False
    maps = [data.get("imports", {}), *data.get("scopes", {}).values()]
    urls = [url for mapping in maps for url in mapping.values()]
    return all(isinstance(u, str) and u.startswith(settings.STATIC_URL) for u in urls)


class InlineImportMapMiddleware:
    """Lets the page's import map through the Content-Security-Policy by its hash.

    The editor's widget (django-prose-editor, through django-js-asset) writes its modules'
    import map inline, and a policy without 'unsafe-inline' refuses any inline script:
    the editor would not load. A hash admits exactly that map and nothing else; the map
    is generated from static paths, so it is the same text on every render; a map that
    names anything but this site's static files is not admitted. django-csp adds what a
    response's `_csp_update` names to the header it writes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.streaming or "html" not in response.get("Content-Type", ""):
            return response
        body: bytes = response.content  # type: ignore[attr-defined]
        if b'<script type="importmap"' not in body:
            return response
        hashes = [
            "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
            for m in _IMPORT_MAP.finditer(body)
            if _static_only(m.group(1))
        ]
        update = getattr(response, "_csp_update", None) or {}
        update["script-src"] = [*update.get("script-src", []), *hashes]
        response._csp_update = update  # type: ignore[attr-defined]
        return response


class RejectNulMiddleware:
    """A 400 for a request whose path holds a NUL character.

    No page has a use for one, and PostgreSQL refuses NUL in any text it is given, so a
    lookup by slug (`/tag/%00/`) would fail with a 500 there, while SQLite answers a 404:
    refused here, the answer is the same on every database. (Query strings are each
    view's: search drops control characters from what a reader pasted.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if "\x00" in request.path:
            return HttpResponseBadRequest(
                "请求地址含有无效字符", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


class MetricsMiddleware:
    """Counts every request Django answers, by page type, for /metrics: "miss" when the
    page was written to the page cache, "render" otherwise (the front counts its hits)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        cache = "miss" if response.get("X-Cache") == "MISS" else "render"
        metrics.count(metrics.REQUESTS, metrics.page_type(request.path), cache)
        return response
