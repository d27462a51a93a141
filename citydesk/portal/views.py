"""The reader site. Views parse the request, ask `queries`, and render."""

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader

from citydesk.content import actions, queries
from citydesk.content.models import Channel


def paginate(request: HttpRequest, items: Any, per_page: int | None = None) -> Page:
    paginator = Paginator(
        items, per_page or settings.CITYDESK_PAGE_SIZE, allow_empty_first_page=True
    )
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        raise Http404("页码无效") from None
    if number < 1 or number > paginator.num_pages:
        raise Http404("页码超出范围")
    return paginator.page(number)


def sidebar() -> dict[str, Any]:
    return {"recommended": queries.recommended(), "hot": queries.hot()}


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "headline": queries.headline(),
        "slides": queries.slideshow(),
        "latest": list(queries.live()[:12]),
        "blocks": queries.home_blocks(),
        "topics": list(queries.topics()[:4]),
        **sidebar(),
    }
    return render(request, "portal/home.html", context)


def channel(request: HttpRequest, slug: str) -> HttpResponse:
    ch = queries.channel_by_slug(slug)
    if ch.kind == Channel.Kind.TOPICS:
        return redirect("portal:topic_list")
    page = paginate(request, queries.channel_articles(ch))
    return render(request, "portal/channel.html", {"channel": ch, "page": page, **sidebar()})


def article(request: HttpRequest, pk: int, page: int = 1) -> HttpResponse:
    item = queries.article_for_reader(pk)
    pages = item.pages()
    if page < 1 or page > len(pages):
        raise Http404("页码超出范围")
    if page == 1 and request.path != item.get_absolute_url():
        return redirect(item.get_absolute_url(), permanent=True)
    actions.record_view(item.pk)
    credits = list(item.credits.all())
    context = {
        "article": item,
        "blocks": pages[page - 1],
        "page_number": page,
        "page_count": len(pages),
        "page_links": [(n, item.page_url(n)) for n in range(1, len(pages) + 1)],
        "writers": [c.person for c in credits if c.role in ("writer", "text_editor")],
        "photographers": [c.person for c in credits if c.role == "photographer"],
        "other_credits": [
            c for c in credits if c.role not in ("writer", "photographer", "text_editor")
        ],
        "credits": credits,
        "channel": next(iter(item.channels.all()), None),
        **sidebar(),
    }
    return render(request, "portal/article.html", context)


def topic_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, queries.topics(), per_page=12)
    return render(request, "portal/topic_list.html", {"page": page, **sidebar()})


def topic(request: HttpRequest, slug: str) -> HttpResponse:
    item = queries.topic_by_slug(slug)
    page = paginate(request, queries.topic_articles(item))
    return render(request, "portal/topic.html", {"topic": item, "page": page, **sidebar()})


def person(request: HttpRequest, slug: str) -> HttpResponse:
    item = queries.person_by_slug(slug)
    page = paginate(request, queries.person_articles(item))
    return render(request, "portal/person.html", {"person": item, "page": page, **sidebar()})


def tag(request: HttpRequest, slug: str) -> HttpResponse:
    item = queries.tag_by_slug(slug)
    page = paginate(request, queries.tag_articles(item))
    return render(request, "portal/tag.html", {"tag": item, "page": page, **sidebar()})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "portal/404.html", {}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke (the database, say) must not break this page too.
    body = loader.get_template("portal/500.html").render({"site_name": settings.SITE_NAME})
    return HttpResponse(body, status=500)
