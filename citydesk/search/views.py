"""Reader search: the results page and the suggestions a search box asks for as you type.

Neither is ever written to the page cache: both take a query string.
"""

import re
from datetime import date

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render

from citydesk.content.models import Channel
from citydesk.search import queries

PER_PAGE = 10


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _param(params: QueryDict, name: str, limit: int = 100) -> str:
    """A query-string value without control characters (PostgreSQL refuses NUL)."""
    return _CONTROL.sub("", params.get(name, "")).strip()[:limit]


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _int(value: str, default: int) -> int:
    try:
        return int(value[:6]) if value.strip().isascii() else default
    except ValueError:
        return default


def options_from(params: QueryDict) -> tuple[queries.Options, list[str]]:
    """Filters and sort from the query string, and a note for each value that was dropped."""
    notes = []
    options = queries.Options(source=_param(params, "source"))
    slug = _param(params, "channel", 50)
    if slug:
        options.channel = Channel.objects.filter(slug=slug).first()
        if options.channel is None:
            notes.append("没有这个栏目，已按全部栏目搜索")
    for name in ("start", "end"):
        raw = _param(params, name, 20)
        value = _date(raw)
        if raw.strip() and value is None:
            notes.append("日期应写成 2020-12-29 这样，已忽略")
        setattr(options, name, value)
    if options.start and options.end and options.start > options.end:
        options.start, options.end = options.end, options.start
    options.sort = _param(params, "sort", 20) or "relevance"
    if options.sort not in queries.SORTS:
        options.sort = "relevance"
    return options, notes


def results(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    options, notes = options_from(request.GET)
    page = queries.search(q, options, page=_int(request.GET.get("page", "1"), 1), per_page=PER_PAGE)
    base = request.GET.copy()
    base.pop("page", None)
    context = {
        "page": page,
        "q": q,
        "notes": notes,
        "channels": Channel.objects.filter(
            kind__in=[Channel.Kind.LIST, Channel.Kind.VIDEO], parent__isnull=True
        ),
        "base_query": base.urlencode(),
        "section": "search",
    }
    return render(request, "search/results.html", context)


def suggest(request: HttpRequest) -> JsonResponse:
    data = queries.suggest(request.GET.get("q", ""))
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=60"
    return response
