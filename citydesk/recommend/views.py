"""今日推荐 and 相关阅读 as fragments: boxes that change by the minute, kept out of the
cached pages so that a new pick or a new related article never needs a purge."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from citydesk.content.models import Article
from citydesk.publishing.decorators import fragment
from citydesk.recommend import queries

PICKS = 8
RELATED = 6


@require_safe
@fragment
def picks(request: HttpRequest) -> HttpResponse:
    """今日推荐, one more than shown: an article page hides itself and shows the spare."""
    items = queries.picks(PICKS + 1)
    return render(request, "recommend/picks.html", {"items": items, "picks_shown": PICKS})


@require_safe
@fragment
def related(request: HttpRequest, pk: int) -> HttpResponse:
    """相关阅读 under an article: new related articles appear without a purge of it."""
    article = get_object_or_404(Article.objects.published(), pk=pk)
    context = {"article": article, "items": queries.related(article, RELATED)}
    return render(request, "recommend/related.html", context)
