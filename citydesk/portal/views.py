"""The reader site. Views parse the request, ask `queries`, and render."""

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.encoding import iri_to_uri
from django.utils.functional import cached_property

from citydesk.content import queries
from citydesk.content.models import Article, ArticleCredit, Channel
from citydesk.publishing.decorators import page_cache


class ListPaginator(Paginator):
    """Pages through the newest CITYDESK_LIST_MAX_PAGES pages of a list, no further.

    Counting all of a channel of 78,000 articles takes longer than rendering its page;
    counting up to the cap walks the newest entries only. Older articles stay reachable
    through search, the sitemaps and the article pages' own links.
    """

    @cached_property
    def max_items(self) -> int:
        return int(settings.CITYDESK_LIST_MAX_PAGES) * self.per_page

    @cached_property
    def count(self) -> int:
        items: Any = self.object_list  # a QuerySet or a PinnedFirst (see `paginate`)
        if isinstance(items, queries.PinnedFirst):
            return items.count(limit=self.max_items)
        return int(items[: self.max_items].count())

    @property
    def is_capped(self) -> bool:
        return self.count >= self.max_items


def paginate(
    items: QuerySet[Any] | queries.PinnedFirst, number: int | None, per_page: int | None = None
) -> Page:
    # PinnedFirst counts and slices, all a Paginator does; the stubs also want int indexes.
    paginator = ListPaginator(
        items,  # type: ignore[arg-type]
        per_page or settings.CITYDESK_PAGE_SIZE,
        allow_empty_first_page=True,
    )
    number = 1 if number is None else number
    if number < 1 or number > paginator.num_pages:
        raise Http404("页码超出范围")
    return paginator.page(number)


ListView = TypeVar("ListView", bound=Callable[..., HttpResponse])


def paginated(view: ListView) -> ListView:
    """Lists page by path (/suzhou/page/2/), never by query string, so every page of a
    list is a file the page cache can hold. The old ?page=N answers a 301 to its path."""

    @wraps(view)
    def wrapped(
        request: HttpRequest, *args: Any, page: int | None = None, **kwargs: Any
    ) -> HttpResponse:
        if "page" in request.GET or page == 1:
            query = request.GET.copy()
            raw = query.pop("page", [str(page)])[-1]
            try:
                number = int(raw)
            except ValueError:
                raise Http404("页码无效") from None
            if number < 1:
                raise Http404("页码超出范围")
            location = list_page_path(request.path, number)
            if query:
                location += "?" + query.urlencode()
            return HttpResponsePermanentRedirect(iri_to_uri(location))
        return view(request, *args, page=page, **kwargs)

    return wrapped  # type: ignore[return-value]


PAGE_SUFFIX = re.compile(r"page/\d+/$")


def list_page_path(path: str, number: int) -> str:
    """The path of page `number` of the list that `path` (any of its pages) belongs to."""
    base = PAGE_SUFFIX.sub("", path)
    return base if number <= 1 else f"{base}page/{number}/"


@page_cache
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
    }
    return render(request, "portal/home.html", context)


@page_cache
@paginated
def channel(request: HttpRequest, slug: str, page: int | None = None) -> HttpResponse:
    ch = queries.channel_by_slug(slug)
    if ch.kind == Channel.Kind.TOPICS:
        return redirect("portal:topic_list")
    items = paginate(queries.channel_listing(ch), page)
    return render(request, "portal/channel.html", {"channel": ch, "page": items})


@page_cache
def article(request: HttpRequest, pk: int, page: int | None = None) -> HttpResponse:
    try:
        item = queries.article_for_reader(pk)
    except Http404:
        if queries.is_retracted(pk):
            # 撤稿: the address stays known as withdrawn (410), for readers and for search
            # engines, which drop a 410 at once; the page cache never stores it.
            return render(request, "portal/410.html", status=410)
        raise
    if page == 1:
        # Page 1 has one address only, so search engines and caches see one page.
        return redirect(item.get_absolute_url(), permanent=True)
    number = 1 if page is None else page
    return render(request, "portal/article.html", article_context(item, number))


@page_cache
def live_updates(request: HttpRequest, pk: int) -> HttpResponse:
    """A live article's updates: the fragment its page polls (and frames without
    JavaScript). Cached until an update purges it (content.actions.live)."""
    item = queries.article_for_reader(pk)
    coverage = queries.live_coverage(item)
    if coverage is None:
        raise Http404("这篇文章不是图文直播")
    context = {"article": item, "coverage": coverage, "updates": queries.live_updates(coverage)}
    return render(request, "portal/live_updates.html", context)


def article_context(item: Article, number: int) -> dict[str, Any]:
    """What portal/article.html draws for page `number` of the article; the newsroom's
    preview draws the same, so a preview is the reader's page."""
    pages = item.pages()
    if number < 1 or number > len(pages):
        raise Http404("页码超出范围")
    credits = list(item.credits.all())
    return {
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
        "live": queries.live_coverage(item),
    }


def primary_channel(item: Article) -> Channel | None:
    """The channel a breadcrumb names: the first in nav order, 视频 only if nothing else."""
    channels = list(item.channels.all())
    ordinary = [c for c in channels if c.kind == Channel.Kind.LIST]
    return next(iter(ordinary or channels), None)


@page_cache
@paginated
def topic_list(request: HttpRequest, page: int | None = None) -> HttpResponse:
    items = paginate(queries.topics(), page, per_page=12)
    return render(request, "portal/topic_list.html", {"page": items, "section": "topics"})


@page_cache
@paginated
def topic(request: HttpRequest, slug: str, page: int | None = None) -> HttpResponse:
    item = queries.topic_by_slug(slug)
    items = paginate(queries.cards(queries.topic_articles(item)), page)
    context = {"topic": item, "page": items, "section": "topics"}
    return render(request, "portal/topic.html", context)


@page_cache
@paginated
def person(request: HttpRequest, slug: str, page: int | None = None) -> HttpResponse:
    item = queries.person_by_slug(slug)
    items = paginate(queries.cards(queries.person_articles(item)), page)
    return render(request, "portal/person.html", {"person": item, "page": items})


@page_cache
@paginated
def tag(request: HttpRequest, slug: str, page: int | None = None) -> HttpResponse:
    item = queries.tag_by_slug(slug)
    items = paginate(queries.cards(queries.tag_articles(item)), page)
    return render(request, "portal/tag.html", {"tag": item, "page": items})


@page_cache
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/about.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "portal/404.html", {}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke (the database, say) must not break this page too.
    body = loader.get_template("portal/500.html").render({"site_name": settings.SITE_NAME})
    return HttpResponse(body, status=500)
