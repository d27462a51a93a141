"""Which URLs show a piece of content, so a change purges exactly those.

A change is described by what decides where content appears (an article's
`ArticleState` before and after, or a channel's, topic's, person's or tag's fields before
and after); a few slug lookups turn ids into URLs. A list (a channel, topic, person or tag
page) counts as a whole: an article arriving or leaving shifts every later page, so every
cached page of it goes, found by listing the folder of its numbered pages in the cache.

Every URL is reversed from the URL conf by route name (see `PageType`), never spelled
out here: a route that moves moves its purges with it. tests/test_url_coverage.py walks
every route and fails when one that shows an article has no rule here.

What each page shows (see the portal's templates):
  article pages   the article; its people's and tags' names; its first channel's name; nav
  home            latest articles, headline, slides, a block per nav channel, six topics
  channel lists   its live articles and its child channels' (滚动: every live article)
  topic, person, tag lists   their live articles; the topic list lists the topics
  feeds           site, channel and topic feeds list their articles
  sitemaps        the index (with each month's last change), one per month of publish
                  time, news (48 h), pages (home, channels, topics: no dates)
The nav, on every HTML page, lists the top-level channels marked in_nav.
"""

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from django.db.models import Model, Q
from django.urls import NoReverseMatch
from django.utils import timezone

from citydesk.content.models import (
    Article,
    ArticleCredit,
    Channel,
    Person,
    Tag,
    Topic,
    TopicArticle,
)
from citydesk.content.signals import ArticleState
from citydesk.core import shown
from citydesk.core.urls import reverse
from citydesk.publishing.cache import PageCache

SHANGHAI = ZoneInfo("Asia/Shanghai")  # month sitemaps are cut in Beijing time
NEWS_WINDOW = timedelta(hours=48)

# The fields of each related model that some page shows, and those that article pages
# (byline, tags, breadcrumb) or the nav show. Keyed by attname, as snapshots are.
WATCHED: dict[type[Model], list[str]] = {
    Channel: ["name", "slug", "kind", "parent_id", "position", "in_nav", "description"],
    Topic: ["title", "slug", "intro", "cover", "is_published", "position", "created_at"],
    Person: ["name", "slug", "organization", "title", "bio", "photo"],
    Tag: ["name", "slug"],
}
ON_ARTICLE_PAGES: dict[type[Model], set[str]] = {
    Channel: {"name", "slug", "kind"},
    Topic: set(),
    Person: {"name", "slug"},
    Tag: {"name", "slug"},
}
ON_NAV = {"name", "slug", "kind", "parent_id", "position", "in_nav"}
# The fields the API's lists of channels, topics and people show, or order by.
ON_API_LISTS: dict[type[Model], set[str]] = {
    Channel: {"name", "slug", "kind", "parent_id", "position", "description"},
    Topic: {"title", "slug", "intro", "is_published", "position", "created_at"},
    Person: {"name", "slug", "organization", "title"},
}
# The fields of each that an article's ninjs shows (citydesk.api.ninjs).
ON_API_DOCUMENTS: dict[type[Model], set[str]] = {
    Channel: {"name", "slug"},
    Topic: {"title", "slug", "is_published"},
    Person: {"name", "slug"},
    Tag: {"name", "slug"},
}


# Page types -----------------------------------------------------------------------------

# A page number no list reaches: reversing a numbered route with it shows which folder of
# the cache holds that route's numbered pages.
PROBE_PAGE = 987_654_321


def url_for(name: str, **kwargs: Any) -> str | None:
    """The path of route `name`, decoded as the page cache keys it (request.path).

    None when the route refuses the arguments (a slug its converter does not match):
    no page has that address, so there is nothing to purge.
    """
    try:
        return unquote(reverse(name, kwargs=kwargs))
    except NoReverseMatch:
        return None


@dataclass(frozen=True)
class PageType:
    """A kind of page, named by its route, with the routes of its later pages and feeds.

    `paged` takes the same arguments as `route` plus `page`, a whole path segment (e.g.
    `<list>page/<int:page>/`), so the cached later pages are one folder listing away.
    """

    route: str
    paged: str | None = None
    feeds: tuple[str, ...] = ()

    def url(self, **kwargs: Any) -> str | None:
        return url_for(self.route, **kwargs)

    def page_url(self, number: int, **kwargs: Any) -> str | None:
        if number <= 1 or self.paged is None:
            return self.url(**kwargs)
        return url_for(self.paged, **kwargs, page=number)

    def feed_urls(self, **kwargs: Any) -> Iterator[str]:
        for name in self.feeds:
            url = url_for(name, **kwargs)
            if url is not None:
                yield url

    def cached_later_pages(self, cache: PageCache, **kwargs: Any) -> Iterator[str]:
        """The URLs of the numbered pages that are in the cache, from one folder listing
        (cheaper than counting the list's articles, and exactly what is cached)."""
        if self.paged is None:
            return
        probe = url_for(self.paged, **kwargs, page=PROBE_PAGE)
        if probe is None:
            return
        folder, found, _ = probe.rpartition(f"/{PROBE_PAGE}/")
        if not found:
            return  # the number is not a folder of its own: nothing to list
        for number in _numbered_dirs(cache, folder + "/"):
            url = self.page_url(number, **kwargs)
            if url is not None:
                yield url


HOME = PageType("portal:home", feeds=("syndication:rss", "syndication:atom"))
ARTICLE = PageType("portal:article", paged="portal:article_page")
CHANNEL = PageType(
    "portal:channel",
    paged="portal:channel_page",
    feeds=("syndication:channel_rss", "syndication:channel_atom"),
)
TOPIC = PageType(
    "portal:topic",
    paged="portal:topic_page",
    feeds=("syndication:topic_rss", "syndication:topic_atom"),
)
TOPIC_LIST = PageType("portal:topic_list", paged="portal:topic_list_page")
PERSON = PageType("portal:person", paged="portal:person_page")
TAG = PageType("portal:tag", paged="portal:tag_page")
SITEMAP_INDEX = PageType("syndication:sitemap_index")
SITEMAP_NEWS = PageType("syndication:news_sitemap")
SITEMAP_PAGES = PageType("syndication:pages_sitemap")
SITEMAP_MONTH = PageType("syndication:articles_sitemap")
SITEMAP_MONTH_PAGE = PageType("syndication:articles_sitemap_page")
# The integrators' API (citydesk.api): the shared answers of its plain requests.
API_ARTICLE = PageType("api:article_detail")
API_ARTICLES = PageType("api:article_list")  # the newest live articles, with their links
API_CHANNELS = PageType("api:channel_list")
API_TOPICS = PageType("api:topic_list")
API_PEOPLE = PageType("api:people_list")  # people with a live article's byline


def _url_set(*urls: str | None) -> set[str]:
    return {url for url in urls if url is not None}


# What a change makes stale --------------------------------------------------------------


@dataclass
class Affected:
    """The URLs a change makes stale, before the cache folder is consulted."""

    urls: set[str] = field(default_factory=set)
    # Lists whose every page is stale (their numbered pages found in the cache folder):
    # first page's URL -> its page type and route arguments.
    lists: dict[str, tuple[PageType, dict[str, Any]]] = field(default_factory=dict)
    # Article id -> page count known to the caller; every cached page of it is stale.
    articles: dict[int, int] = field(default_factory=dict)
    # Every cached HTML page is stale (a change to the nav, which every page shows).
    every_page: bool = False
    # Keys of content objects whose every showing is stale (core.shown), wherever it is:
    # for shared caches only, which tag each response with what it shows (the local page
    # cache cannot look them up; the rules above reach its pages).
    objects: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.urls or self.lists or self.articles or self.every_page or self.objects)

    def add_article(self, article_id: int, page_count: int = 1) -> None:
        self.articles[article_id] = max(page_count, self.articles.get(article_id, 1))

    def add_list(self, page_type: PageType, *, feeds: bool = True, **kwargs: Any) -> None:
        """Every page of a list of `page_type` (and, with `feeds`, its feeds)."""
        url = page_type.url(**kwargs)
        if url is None:
            return
        self.lists[url] = (page_type, kwargs)
        if feeds:
            self.urls.update(page_type.feed_urls(**kwargs))

    def update(self, other: "Affected") -> None:
        self.urls |= other.urls
        self.lists.update(other.lists)
        for article_id, count in other.articles.items():
            self.add_article(article_id, count)
        self.every_page = self.every_page or other.every_page
        self.objects |= other.objects

    def resolve(self, cache: PageCache | None = None) -> list[str]:
        """Concrete URL paths: each list's and article's pages, found in the cache folder."""
        cache = cache or PageCache()
        found = set(self.urls)
        for url, (page_type, kwargs) in self.lists.items():
            found.add(url)
            found.update(page_type.cached_later_pages(cache, **kwargs))
        for article_id, count in self.articles.items():
            found.update(
                _url_set(*(ARTICLE.page_url(n, pk=article_id) for n in range(1, count + 1)))
            )
            found.update(_url_set(API_ARTICLE.url(article_id=article_id)))
            found.update(ARTICLE.cached_later_pages(cache, pk=article_id))
        if self.every_page:
            found.update(cached_pages(cache))
        return sorted(found)


def _numbered_dirs(cache: PageCache, url: str) -> list[int]:
    page = cache.path_for(url)
    if page is None:
        return []
    try:
        with os.scandir(page.parent) as entries:
            return [int(e.name) for e in entries if e.name.isdigit() and e.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return []


def cached_pages(cache: PageCache) -> Iterator[str]:
    """The URL of every cached HTML page (every folder holding an index.html)."""
    root = str(cache.root)
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        if "index.html" in files:
            rel = os.path.relpath(folder, root)
            yield "/" if rel == "." else "/" + rel.replace(os.sep, "/") + "/"


# Articles ------------------------------------------------------------------------------


def for_article_change(before: ArticleState | None, after: ArticleState | None) -> Affected:
    """What an article's publish, edit, unpublish, retract or deletion makes stale.

    Only states in which readers saw the article count: a draft's or a scheduled
    article's edits purge nothing, and a publish purges the lists it joins, not the ones
    its draft was filed under.
    """
    states = [s for s in (before, after) if s is not None]
    live = [s for s in states if s.live]
    if not live:
        return Affected()
    affected = Affected()
    affected.add_article(states[0].article_id, max(s.page_count for s in states))
    # A live article's updates fragment says its state and is gone with the article
    # (retracted, unpublished); purging it where there is none costs nothing.
    affected.urls.add(_live_url(states[0].article_id))
    # Wherever else it is shown (a shared cache tags each response with what it shows).
    affected.objects.add(shown.key("article", states[0].article_id))
    affected.update(
        _lists_and_feeds(
            channel_ids=set().union(*(s.channel_ids for s in live)),
            topic_ids=set().union(*(s.topic_ids for s in live)),
            person_ids=set().union(*(s.person_ids for s in live)),
            tag_ids=set().union(*(s.tag_ids for s in live)),
            published=[s.published_at for s in live],
        )
    )
    return affected


def _live_url(article_id: int) -> str:
    return unquote(reverse("portal:live_updates", kwargs={"pk": article_id}))


def for_live_updates(article_id: int, *, page: bool = False) -> Affected:
    """A live article's updates changed: its updates fragment; with `page` (an update
    edited or deleted, whose old text the page's JSON-LD holds) its pages too. A new
    update never purges the page."""
    affected = Affected(urls={_live_url(article_id)})
    if page:
        affected.add_article(article_id)
    return affected


def for_new_articles(article_ids: Iterable[int]) -> Affected:
    """What a batch of brand-new articles (a bulk import) makes stale: their lists."""
    ids = list(article_ids)
    live = Article.objects.published().filter(pk__in=ids)
    live_ids = list(live.values_list("pk", flat=True))
    if not live_ids:
        return Affected()
    affected = Affected()
    for pk in live_ids:
        affected.add_article(pk)
    through_channels = Article.channels.through.objects.filter(article_id__in=live_ids)
    through_tags = Article.tags.through.objects.filter(article_id__in=live_ids)
    people = set(
        ArticleCredit.objects.filter(article_id__in=live_ids).values_list("person_id", flat=True)
    )
    people |= set(
        live.filter(responsible_editor__isnull=False).values_list(
            "responsible_editor_id", flat=True
        )
    )
    affected.update(
        _lists_and_feeds(
            channel_ids=set(through_channels.values_list("channel_id", flat=True)),
            topic_ids=set(
                TopicArticle.objects.filter(article_id__in=live_ids).values_list(
                    "topic_id", flat=True
                )
            ),
            person_ids={p for p in people if p is not None},
            tag_ids=set(through_tags.values_list("tag_id", flat=True)),
            published=list(live.order_by().values_list("published_at", flat=True).distinct()),
        )
    )
    return affected


def _add_channel(affected: Affected, slug: str | None, kind: str | None) -> None:
    # The 专题 channel's address is the topic list's, which lists topics, not articles.
    if slug and kind != Channel.Kind.TOPICS:
        affected.add_list(CHANNEL, slug=slug)


def _lists_and_feeds(
    *,
    channel_ids: set[int],
    topic_ids: set[int],
    person_ids: set[int],
    tag_ids: set[int],
    published: list[datetime | None],
) -> Affected:
    """The pages that list live articles filed under these ids, published at these times."""
    # The pages sitemap lists lists, with no dates: articles coming and going leave it be.
    affected = Affected(
        urls=_url_set(HOME.url(), *HOME.feed_urls(), SITEMAP_INDEX.url(), API_ARTICLES.url())
    )
    affected.urls.update(_month_sitemaps(published))
    if person_ids:
        affected.urls.update(_url_set(API_PEOPLE.url()))
    recent = timezone.now() - NEWS_WINDOW
    if any(when is None or when >= recent for when in published):
        affected.urls.update(_url_set(SITEMAP_NEWS.url()))

    # 滚动 lists every live article; a parent channel lists its children's.
    rows = Channel.objects.filter(Q(pk__in=channel_ids) | Q(kind=Channel.Kind.ROLLING))
    for slug, kind, parent_slug, parent_kind in rows.values_list(
        "slug", "kind", "parent__slug", "parent__kind"
    ):
        _add_channel(affected, slug, kind)
        _add_channel(affected, parent_slug, parent_kind)
    if topic_ids:
        for slug in Topic.objects.filter(pk__in=topic_ids).values_list("slug", flat=True):
            affected.add_list(TOPIC, slug=slug)
    if person_ids:
        for slug in Person.objects.filter(pk__in=person_ids).values_list("slug", flat=True):
            affected.add_list(PERSON, slug=slug)
    if tag_ids:
        for slug in Tag.objects.filter(pk__in=tag_ids).values_list("slug", flat=True):
            affected.add_list(TAG, slug=slug)
    return affected


def _feeds_listing(article_ids: list[int]) -> Affected:
    """The feeds that may list these live articles: the site's, their channels', topics'."""
    affected = Affected(urls=set(HOME.feed_urls()))
    channel_ids = Article.channels.through.objects.filter(article_id__in=article_ids)
    rows = Channel.objects.filter(
        Q(pk__in=channel_ids.values("channel_id")) | Q(kind=Channel.Kind.ROLLING)
    )
    for slug, parent_slug in rows.values_list("slug", "parent__slug"):
        for s in (slug, parent_slug):
            if s:
                affected.urls.update(CHANNEL.feed_urls(slug=s))
    topics = Topic.objects.filter(topicarticle__article_id__in=article_ids).distinct()
    for slug in topics.values_list("slug", flat=True):
        affected.urls.update(TOPIC.feed_urls(slug=slug))
    return affected


SITEMAP_PAGE = 50_000  # Django's Sitemap.limit: a month's sitemap goes on in pages


def _month_sitemaps(published: Iterable[datetime | None]) -> set[str]:
    months = {(m.year, m.month) for m in (
        timezone.localtime(when, SHANGHAI) for when in published if when
    )}  # fmt: skip
    urls = []
    for year, month in months:
        kwargs = {"year": f"{year:04d}", "month": f"{month:02d}"}
        urls.append(SITEMAP_MONTH.url(**kwargs))
        # Every page of a big month: an article coming or going moves the later ones.
        start = datetime(year, month, 1, tzinfo=SHANGHAI)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SHANGHAI)
        live = Article.objects.filter(
            status=Article.Status.PUBLISHED, published_at__gte=start, published_at__lt=end
        ).count()
        pages = -(-(live + 1) // SITEMAP_PAGE)
        urls += [SITEMAP_MONTH_PAGE.url(**kwargs, page=str(n)) for n in range(2, pages + 1)]
    return _url_set(*urls)


# Channels, topics, people and tags ------------------------------------------------------


def _watched(model: type[Model], state: dict[str, Any] | None) -> dict[str, Any] | None:
    """The watched fields of a state that holds every field (by attname, as
    citydesk.content.actions.related_state gives it)."""
    return None if state is None else {name: state[name] for name in WATCHED[model]}


def for_related_change(
    model: type[Model],
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    article_ids: Iterable[int],
    object_id: int | None = None,
) -> Affected:
    """What an edit (or creation: old None; deletion: new None) of a channel, topic, person
    or tag makes stale. `article_ids` are the live articles whose pages name it. `old` and
    `new` are its field values by attname; fields no page shows are ignored."""
    old, new = _watched(model, old), _watched(model, new)
    states = [s for s in (old, new) if s is not None]
    if not states:
        return Affected()
    fields = WATCHED[model]
    changed = (
        {f for f in fields if old[f] != new[f]} if old is not None and new is not None else None
    )
    if changed == set() and model is not Topic:
        # Saved with the same values: no page changes. (A topic's article list may have
        # been edited with it, which shows on the topic's own pages only.)
        return Affected()
    everything = set(fields) if changed is None else changed
    affected = Affected()
    if everything & ON_ARTICLE_PAGES[model]:
        if object_id is not None:  # every page that names it, the rules' or any other
            affected.objects.add(shown.key(model._meta.model_name or "", object_id))
        ids = list(article_ids)
        for pk in ids:
            affected.add_article(pk)
        if model in (Person, Tag) and ids:
            # Feed items carry their byline (author) and tags (categories).
            affected.update(_feeds_listing(ids))

    if everything & ON_API_DOCUMENTS[model]:
        # An article's ninjs names its channels, topics, people and tags, in the API's
        # list as in the article's own document.
        ids = list(article_ids)
        affected.urls.update(_url_set(*(API_ARTICLE.url(article_id=pk) for pk in ids)))
        if ids:
            affected.urls.update(_url_set(API_ARTICLES.url()))
    api_list = {Channel: API_CHANNELS, Topic: API_TOPICS, Person: API_PEOPLE}.get(model)
    if api_list is not None and everything & ON_API_LISTS[model]:
        affected.urls.update(_url_set(api_list.url()))
    if model is Channel:
        _channel_change(affected, states, everything)
    elif model is Topic:
        for state in states:
            affected.add_list(TOPIC, slug=state["slug"])
        if changed == set():
            # Saved as it was: its article list may have changed, and each article's
            # ninjs names its topics (articles that left it are not in `article_ids`).
            ids = list(article_ids)
            affected.urls.update(_url_set(*(API_ARTICLE.url(article_id=pk) for pk in ids)))
            if ids:
                affected.urls.update(_url_set(API_ARTICLES.url()))
        else:
            # The topic grid, the home page's topic strip and the pages sitemap name it.
            affected.add_list(TOPIC_LIST)
            affected.urls.update(_url_set(HOME.url(), SITEMAP_PAGES.url()))
    elif model is Person:
        for state in states:
            affected.add_list(PERSON, slug=state["slug"])
    elif model is Tag:
        for state in states:
            affected.add_list(TAG, slug=state["slug"])
    return affected


def _channel_change(affected: Affected, states: list[dict[str, Any]], changed: set[str]) -> None:
    for state in states:
        _add_channel(affected, state["slug"], state["kind"])
    if "parent_id" in changed:
        # A parent lists its children's articles: they left one parent, joined another.
        parents = [s["parent_id"] for s in states if s["parent_id"]]
        for slug, kind in Channel.objects.filter(pk__in=parents).values_list("slug", "kind"):
            _add_channel(affected, slug, kind)
    if changed & {"slug", "kind"}:
        affected.urls.update(_url_set(SITEMAP_PAGES.url()))
    in_nav = any(s["in_nav"] and s["parent_id"] is None for s in states)
    if in_nav and changed & ON_NAV:
        affected.every_page = True
