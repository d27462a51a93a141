"""The reader site. Views parse the request, ask `queries`, and render."""

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader

from citydesk.content import actions, queries
from citydesk.content.models import Article, ArticleCredit, Channel


def paginate(request: HttpRequest, items: QuerySet[Any], per_page: int | None = None) -> Page:
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


def sidebar(current: Article | None = None) -> dict[str, Any]:
    return {"recommended": queries.recommended(exclude=current), "hot": queries.hot()}


def home(request: HttpRequest) -> HttpResponse:
    # Read once here: the nav, the channel blocks and the 滚动 link all need the list.
    channels = queries.nav_channels()
    headline = queries.headline()
    context = {
        "nav_channels": channels,
        "rolling_channel": next((c for c in channels if c.kind == Channel.Kind.ROLLING), None),
        "headline": headline,
        "slides": queries.slideshow(exclude=headline),
        "latest": list(queries.cards(queries.live())[:12]),
        "blocks": queries.home_blocks(channels=channels),
        "topics": list(queries.topics()[:6]),
        **sidebar(),
    }
    return render(request, "portal/home.html", context)


def channel(request: HttpRequest, slug: str) -> HttpResponse:
    ch = queries.channel_by_slug(slug)
    if ch.kind == Channel.Kind.TOPICS:
        return redirect("portal:topic_list")
    page = paginate(request, queries.cards(queries.channel_articles(ch)))
    return render(request, "portal/channel.html", {"channel": ch, "page": page, **sidebar()})


def article(request: HttpRequest, pk: int, page: int | None = None) -> HttpResponse:
    item = queries.article_for_reader(pk)
    if page == 1:
        # Page 1 has one address only, so search engines and caches see one page.
        return redirect(item.get_absolute_url(), permanent=True)
    number = 1 if page is None else page
    pages = item.pages()
    if number < 1 or number > len(pages):
        raise Http404("页码超出范围")
    actions.record_view(item.pk)
    credits = list(item.credits.all())
    context = {
        "article": item,
        "blocks": queries.resolve_images(pages[number - 1]),
        "page_number": number,
        "page_count": len(pages),
        "page_links": [(n, item.page_url(n)) for n in range(1, len(pages) + 1)],
        "previous_url": item.page_url(number - 1) if number > 1 else "",
        "next_url": item.page_url(number + 1) if number < len(pages) else "",
        "writers": [c.person for c in credits if c.role == ArticleCredit.Role.WRITER],
        "photographers": [c.person for c in credits if c.role == ArticleCredit.Role.PHOTOGRAPHER],
        "other_credits": [
            c
            for c in credits
            if c.role not in (ArticleCredit.Role.WRITER, ArticleCredit.Role.PHOTOGRAPHER)
        ],
        "credits": credits,
        "channel": primary_channel(item),
        **sidebar(current=item),
    }
    return render(request, "portal/article.html", context)


def primary_channel(item: Article) -> Channel | None:
    """The channel a breadcrumb names: the first in nav order, 视频 only if nothing else."""
    channels = list(item.channels.all())
    ordinary = [c for c in channels if c.kind == Channel.Kind.LIST]
    return next(iter(ordinary or channels), None)


def topic_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, queries.topics(), per_page=12)
    return render(
        request, "portal/topic_list.html", {"page": page, "section": "topics", **sidebar()}
    )


def topic(request: HttpRequest, slug: str) -> HttpResponse:
    item = queries.topic_by_slug(slug)
    page = paginate(request, queries.cards(queries.topic_articles(item)))
    context = {"topic": item, "page": page, "section": "topics", **sidebar()}
    return render(request, "portal/topic.html", context)


def person(request: HttpRequest, slug: str) -> HttpResponse:
    item = queries.person_by_slug(slug)
    page = paginate(request, queries.cards(queries.person_articles(item)))
    return render(request, "portal/person.html", {"person": item, "page": page, **sidebar()})


def tag(request: HttpRequest, slug: str) -> HttpResponse:
    item = queries.tag_by_slug(slug)
    page = paginate(request, queries.cards(queries.tag_articles(item)))
    return render(request, "portal/tag.html", {"tag": item, "page": page, **sidebar()})


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/about.html", sidebar())


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "portal/404.html", {}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke (the database, say) must not break this page too.
    body = loader.get_template("portal/500.html").render({"site_name": settings.SITE_NAME})
    return HttpResponse(body, status=500)
