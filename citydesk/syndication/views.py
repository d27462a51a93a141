"""robots.txt and the sitemaps; every answer here is a page the page cache may keep."""

import math
from dataclasses import dataclass
from datetime import datetime

from django.contrib.sitemaps.views import sitemap
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.http import http_date

from citydesk.core.urls import reverse
from citydesk.publishing.decorators import page_cache
from citydesk.syndication import meta, queries
from citydesk.syndication.sitemaps import ArticleMonthSitemap, NewsSitemap, PagesSitemap

XML = "application/xml; charset=utf-8"


@dataclass
class IndexEntry:
    location: str
    last_mod: datetime | None = None


@page_cache
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap_url = meta.absolute_url(reverse("syndication:sitemap_index"))
    body = render_to_string("syndication/robots.txt", {"sitemap_url": sitemap_url})
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


def month_sitemap_url() -> str:
    """The address of a month's sitemap, to fill with .format(year, month): one reverse()
    for the ~170 months of the index, not one each."""
    path = reverse("syndication:articles_sitemap", args=["0000", "00"])
    return meta.absolute_url(path).replace("-0000-00.", "-{:04d}-{:02d}.")


@page_cache
def sitemap_index(request: HttpRequest) -> HttpResponse:
    """The pages and news sitemaps, then one sitemap per month that has live articles.

    Django's own index view asks every section for its size and newest date, a query or
    two per month; the months come here from one aggregate query instead.
    """
    entries = [
        IndexEntry(meta.absolute_url(reverse("syndication:pages_sitemap"))),
        IndexEntry(meta.absolute_url(reverse("syndication:news_sitemap"))),
    ]
    months = queries.live_months()
    month_url = month_sitemap_url()
    for month in months:
        url = month_url.format(month.year, month.month)
        pages = math.ceil(month.count / ArticleMonthSitemap.limit)
        entries += [
            IndexEntry(url if n == 1 else url.replace(".xml", f"-{n}.xml"), month.lastmod)
            for n in range(1, pages + 1)
        ]
    response = TemplateResponse(
        request, "syndication/sitemap_index.xml", {"sitemaps": entries}, content_type=XML
    )
    if months:
        response["Last-Modified"] = http_date(max(m.lastmod for m in months).timestamp())
    return response


@page_cache
def articles_sitemap(
    request: HttpRequest, year: str, month: str, page: str | None = None
) -> HttpResponse:
    number = int(month)
    if not 1 <= number <= 12:
        raise Http404("没有这个月份")
    site = ArticleMonthSitemap(int(year), number)
    # An empty month is not in the index, and it must not exist as a page either.
    if not site.items().exists():
        raise Http404("这个月没有稿件")
    # Django's view reads the page from ?p=; the address alone says which (see urls.py),
    # and ?p= on the first page's address is not honoured (the fronts ignore it).
    query = request.GET.copy()
    query["p"] = page or "1"
    request.GET = query  # type: ignore[assignment]
    return sitemap(
        request,
        {"articles": site},
        section="articles",
        template_name="syndication/sitemap.xml",
        content_type=XML,
    )


@page_cache
def pages_sitemap(request: HttpRequest) -> HttpResponse:
    return sitemap(
        request,
        {"pages": PagesSitemap()},
        section="pages",
        template_name="syndication/sitemap.xml",
        content_type=XML,
    )


@page_cache
def news_sitemap(request: HttpRequest) -> HttpResponse:
    return sitemap(
        request,
        {"news": NewsSitemap()},
        section="news",
        template_name="syndication/news_sitemap.xml",
        content_type=XML,
    )
