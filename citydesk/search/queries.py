"""Reads for readers and scripts: a page of search results, suggestions as you type."""

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import SafeString

from citydesk.content import queries as content
from citydesk.content.models import Article, Channel, Tag
from citydesk.core.text import Query, fold, highlight_spans, parse_query
from citydesk.search import dictionary
from citydesk.search.actions import body_text
from citydesk.search.backends import get_backend
from citydesk.search.backends.base import Filters, Results, SearchBackend
from citydesk.search.highlight import mark, snippet
from citydesk.search.models import DictionaryWord

SHANGHAI = ZoneInfo("Asia/Shanghai")  # a date a reader picks is a Beijing date
SORTS = ("relevance", "time")
MAX_RESULTS = 1000  # deeper pages cost the database more and no reader goes there


@dataclass
class Item:
    article: Article
    score: float
    title_html: SafeString
    snippet_html: SafeString


@dataclass
class Options:
    """What a reader may choose besides the words; bad values are dropped, not fatal."""

    channel: Channel | None = None
    start: date | None = None
    end: date | None = None
    source: str = ""
    sort: str = "relevance"

    def filters(self, now: datetime) -> Filters:
        channel_ids: tuple[int, ...] = ()
        if self.channel is not None and self.channel.kind in (
            Channel.Kind.LIST,
            Channel.Kind.VIDEO,
        ):
            children = Channel.objects.filter(Q(pk=self.channel.pk) | Q(parent=self.channel))
            channel_ids = tuple(children.values_list("pk", flat=True))
        return Filters(
            now=now,
            channel_ids=channel_ids,
            start=_day_start(self.start) if self.start else None,
            end=_day_start(self.end + timedelta(days=1)) if self.end else None,
            source=self.source,
        )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, dtime.min, tzinfo=SHANGHAI)


@dataclass
class SearchPage:
    q: str
    query: Query
    options: Options = field(default_factory=Options)
    total: int = 0
    items: list[Item] = field(default_factory=list)
    number: int = 1
    per_page: int = 10
    notice: str = ""
    took_ms: float = 0.0

    @property
    def num_pages(self) -> int:
        return max(1, -(-min(self.total, MAX_RESULTS) // self.per_page))

    @property
    def first_rank(self) -> int:
        return (self.number - 1) * self.per_page + 1

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    def page_numbers(self) -> list[int]:
        first = max(1, self.number - 2)
        return list(range(first, min(self.num_pages, first + 4) + 1))


def _hits(
    backend: SearchBackend, query: Query, filters: Filters, options: Options, number: int, per: int
) -> Results:
    return backend.search(query, filters, sort=options.sort, limit=per, offset=(number - 1) * per)


def search(
    q: str,
    options: Options | None = None,
    *,
    page: int = 1,
    per_page: int = 10,
    snippets: bool = True,
    backend: SearchBackend | None = None,
) -> SearchPage:
    """One page of results for what a reader typed; never raises for any `q`."""
    started = time.perf_counter()
    options = options or Options()
    dictionary.refresh()
    query = parse_query(q)
    result = SearchPage(q=q, query=query, options=options, per_page=per_page)
    result.notice = query.notice
    if query.is_empty:
        return result
    backend = backend or get_backend()
    filters = options.filters(timezone.now())
    number = max(1, min(page, MAX_RESULTS // per_page))
    found = _hits(backend, query, filters, options, number, per_page)
    if not found.hits and found.total and number > 1:
        # Past the last page (an old link): show the last page instead.
        number = max(1, min(-(-found.total // per_page), MAX_RESULTS // per_page))
        found = _hits(backend, query, filters, options, number, per_page)
    result.total, result.number = found.total, number
    articles = content.live().filter(pk__in=[h.article_id for h in found.hits])
    if not snippets:
        articles = articles.defer("body")
    by_id = {a.pk: a for a in articles}
    words = query.words()
    for hit in found.hits:
        article = by_id.get(hit.article_id)
        if article is None:  # unpublished a moment ago; the index will follow
            continue
        snippet_html = SafeString("")
        if snippets:
            # The body around the words; the summary when they are not in the body.
            text = " ".join(body_text(article.body).split())
            spans = highlight_spans(text, words)
            if not spans and article.summary:
                text = " ".join(article.summary.split())
                spans = highlight_spans(text, words)
            snippet_html = snippet(text, spans)
        result.items.append(
            Item(
                article=article,
                score=hit.score,
                title_html=mark(article.title, words),
                snippet_html=snippet_html,
            )
        )
    if not result.total:
        result.notice = result.notice or f"没有找到与“{q.strip()[:50]}”相关的文章"
    result.took_ms = (time.perf_counter() - started) * 1000
    return result


def live_ids_matching(
    q: str, *, limit: int = 2000, backend: SearchBackend | None = None
) -> list[int]:
    """Ids of the live articles matching `q`, newest first, at most `limit`: the
    newsroom's list search (which finds the articles not live by their titles)."""
    dictionary.refresh()
    query = parse_query(q)
    if query.is_empty:
        return []
    backend = backend or get_backend()
    options = Options(sort="time")
    found = backend.search(
        query, options.filters(timezone.now()), sort="time", limit=limit, count=False
    )
    return [hit.article_id for hit in found.hits]


def suggest(q: str, *, limit: int = 8, backend: SearchBackend | None = None) -> dict[str, Any]:
    """Titles and words for what a reader is typing (the last word may be unfinished)."""
    dictionary.refresh()
    query = parse_query(q, prefix=True)
    titles: list[dict[str, str]] = []
    terms: list[str] = []
    if not query.is_empty:
        backend = backend or get_backend()
        found = backend.search(
            query, Filters(now=timezone.now()), limit=limit, count=False, title_only=True
        )
        live = content.live().filter(pk__in=[h.article_id for h in found.hits]).only("title")
        by_id = {a.pk: a for a in live}
        titles = [
            {"title": by_id[h.article_id].title, "url": by_id[h.article_id].get_absolute_url()}
            for h in found.hits
            if h.article_id in by_id
        ]
        prefix = fold(q.strip())[:30]
        if prefix:
            # A range on the unique index, not LIKE: SQLite's LIKE cannot use it.
            end = prefix + "\U0010ffff"
            names = Tag.objects.filter(name__gte=prefix, name__lt=end).order_by("name")
            words = DictionaryWord.objects.filter(word__gte=prefix, word__lt=end)
            terms = list(
                dict.fromkeys(
                    [
                        *words.values_list("word", flat=True)[:5],
                        *names.values_list("name", flat=True)[:5],
                    ]
                )
            )
    return {"q": q, "titles": titles, "terms": terms[:limit]}


def search_for_script(
    q: str, *, limit: int = 10, backend: SearchBackend | None = None
) -> dict[str, Any]:
    """What `citydesk search --json` prints for one query."""
    page = search(
        q, page=1, per_page=max(1, min(limit, MAX_RESULTS)), snippets=False, backend=backend
    )
    data: dict[str, Any] = {
        "total": page.total,
        "results": [
            {
                "id": item.article.pk,
                "title": item.article.title,
                "url": item.article.get_absolute_url(),
                "published_at": item.article.published_at.astimezone(SHANGHAI).isoformat()
                if item.article.published_at
                else None,
                "score": item.score,
            }
            for item in page.items
        ],
    }
    if page.notice and not page.total:
        data["message"] = page.notice
    return data
