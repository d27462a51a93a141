"""The view beacon (when Django answers it: behind nginx, or in tests; `citydesk serve`
answers it in its front), the /hot/ pages and the 热点排行 fragment."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from citydesk.core import metrics
from citydesk.core.net import request_ip
from citydesk.publishing.decorators import fragment
from citydesk.rankings import beacon, queries

HOT_LIMIT = 30
HOT_FRAGMENT = 10  # the 热点排行 box beside every page
PURPOSE_HEADERS = ("HTTP_PURPOSE", "HTTP_SEC_PURPOSE", "HTTP_X_MOZ", "HTTP_X_PURPOSE")
HOT_MAX_AGE = 30  # with queries.FRESH_SECONDS: counts at most a minute old


def signals_of(request: HttpRequest) -> beacon.Signals:
    meta = request.META
    purpose = ",".join(
        meta.get(h, "")
        for h in ("HTTP_PURPOSE", "HTTP_SEC_PURPOSE", "HTTP_X_MOZ", "HTTP_X_PURPOSE")
    )
    return beacon.Signals(
        method=request.method or "",
        ip=request_ip(request),
        user_agent=meta.get("HTTP_USER_AGENT", ""),
        accept_language=meta.get("HTTP_ACCEPT_LANGUAGE", ""),
        purpose=purpose,
        content_length=meta.get("CONTENT_LENGTH") or None,
    )


@csrf_exempt  # sent by navigator.sendBeacon from a cached page that holds no token
@never_cache
def view_beacon(request: HttpRequest, pk: str) -> HttpResponse:
    status = beacon.receiver().receive(
        beacon.article_id_from_path(request.path), signals_of(request)
    )
    metrics.count(metrics.BEACONS, str(status))
    response = HttpResponse(status=status)
    if status == 405:
        response["Allow"] = "POST"
    return response


@require_safe
def hot(request: HttpRequest, window: str = "day") -> HttpResponse:
    if window not in queries.WINDOW_NAMES:
        raise Http404("没有这个排行")
    context = {
        "window": window,
        "windows": queries.WINDOW_NAMES.items(),
        "items": queries.hot(window, limit=HOT_LIMIT),
        "section": "hot",
    }
    response = render(request, "rankings/hot.html", context)
    patch_cache_control(response, public=True, max_age=HOT_MAX_AGE)
    return response


@require_safe
@fragment
def hot_fragment(request: HttpRequest) -> HttpResponse:
    """热点排行 beside every page: the last 24 hours' most viewed."""
    items = queries.hot("day", limit=HOT_FRAGMENT)
    return render(request, "rankings/hot_fragment.html", {"items": items})
