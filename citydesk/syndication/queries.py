"""The reads feeds and sitemaps make, built on the reader site's queries."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import CharField, Count, Func, Max, Prefetch, QuerySet

from citydesk.content import queries
from citydesk.content.models import Article, ArticleCredit, Channel, Topic
from citydesk.syndication.meta import SHANGHAI


def for_feed(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Newest first, with what an item names (byline, tags) in two more queries in all."""
    return articles.order_by("-published_at", "-id").prefetch_related(
        Prefetch("credits", queryset=ArticleCredit.objects.select_related("person")), "tags"
    )


def topic_feed_articles(topic: Topic) -> QuerySet[Article]:
    return queries.live().filter(topicarticle__topic=topic)


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    count: int
    # When the month's newest article went live. Its edits show in the month's own
    # sitemap; reading updated_at here would make SQLite read every article row (the
    # body included) instead of the (status, published_at) index: ~4x slower at 87,000.
    lastmod: datetime


class BeijingMonth(Func):
    """ "YYYY-MM" of a datetime in Beijing time, computed inside the database.

    Django's TruncMonth(tzinfo=...) calls back into Python for every row on SQLite: a
    second for 87,000 articles. Beijing time has been UTC+8 all year round since 1991, so
    SQLite can add eight hours in C instead; PostgreSQL converts with the zone itself.
    """

    output_field = CharField()
    template = "to_char(%(expressions)s AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "substr(datetime(%(expressions)s, '+8 hours'), 1, 7)"
        return self.as_sql(compiler, connection, template=template, **extra)


def live_months() -> list[Month]:
    """Every month (Beijing time) with live articles, oldest first: one aggregate query."""
    rows = (
        Article.objects.published()
        .annotate(month=BeijingMonth("published_at"))
        .values("month")
        .annotate(count=Count("id"), lastmod=Max("published_at"))
        .order_by("month")
    )
    months = []
    for row in rows:
        year, month = row["month"].split("-")
        months.append(Month(int(year), int(month), row["count"], row["lastmod"]))
    return months


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def live_in_month(year: int, month: int) -> QuerySet[Article]:
    """A month's live articles, oldest first so that sitemap pages stay put; only the
    columns a sitemap entry needs."""
    start, end = month_bounds(year, month)
    return (
        queries.live()
        .filter(published_at__gte=start, published_at__lt=end)
        .order_by("published_at", "id")
        .only("id", "published_at", "updated_at")
    )


def live_since(since: datetime) -> QuerySet[Article]:
    return (
        queries.live()
        .filter(published_at__gte=since)
        .only("id", "title", "published_at", "updated_at")
    )


def channels() -> QuerySet[Channel]:
    return Channel.objects.all()
