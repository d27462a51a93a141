"""Fragments (今日推荐, 热点排行) and the view beacon: the parts of a page that change by
the minute, kept out of the cached page so that a count moving never needs a purge."""

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
)
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from citydesk.content import actions, queries

PICKS = 8
HOT = 10
FRAGMENT_MAX_AGE = 60  # seconds a browser or CDN may keep a fragment
MAX_BEACON_BODY = 1024  # a beacon carries nothing we read; more is not a beacon


def _fragment(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    # Never marked for the page cache (no `citydesk_cache`): it lives 60 s, not until a purge.
    response = render(request, template, context)
    patch_cache_control(response, public=True, max_age=FRAGMENT_MAX_AGE)
    return response


@require_safe
def picks(request: HttpRequest) -> HttpResponse:
    """今日推荐, one more than shown: an article page hides itself and shows the spare."""
    items = queries.recommended(PICKS + 1)
    return _fragment(request, "publishing/picks.html", {"items": items, "picks_shown": PICKS})


@require_safe
def hot(request: HttpRequest) -> HttpResponse:
    return _fragment(request, "publishing/hot.html", {"items": queries.hot(HOT)})


@csrf_exempt  # sent by navigator.sendBeacon from a cached page that holds no token
@never_cache
def view_beacon(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponseBadRequest()
    if length > MAX_BEACON_BODY:
        return HttpResponse(status=413)
    if not actions.record_view(pk):
        return HttpResponseNotFound()
    return HttpResponse(status=204)
