"""Fragments (今日推荐, 热点排行): the parts of a page that change by the minute, kept out
of the cached page so that a count moving never needs a purge. The view beacon that
feeds 热点排行 is citydesk.rankings'."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from citydesk.content.models import Article
from citydesk.publishing import http
from citydesk.rankings import queries as rankings
from citydesk.recommend import queries as recommend

PICKS = 8
RELATED = 6
HOT = 10


def _fragment(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    # Never marked for the page cache (no `citydesk_cache`): it lives 60 s, not until a purge.
    response = render(request, template, context)
    patch_cache_control(response, **http.cache_control_for(request.path))
    return response


@require_safe
def picks(request: HttpRequest) -> HttpResponse:
    """今日推荐, one more than shown: an article page hides itself and shows the spare."""
    items = recommend.picks(PICKS + 1)
    return _fragment(request, "publishing/picks.html", {"items": items, "picks_shown": PICKS})


@require_safe
def hot(request: HttpRequest) -> HttpResponse:
    """热点排行: the last 24 hours' most viewed (citydesk.rankings)."""
    return _fragment(request, "publishing/hot.html", {"items": rankings.hot("day", limit=HOT)})


@require_safe
def related(request: HttpRequest, pk: int) -> HttpResponse:
    """相关阅读 under an article: new related articles appear without a purge of it."""
    article = get_object_or_404(Article.objects.published(), pk=pk)
    context = {"article": article, "items": recommend.related(article, RELATED)}
    return _fragment(request, "publishing/related.html", context)
