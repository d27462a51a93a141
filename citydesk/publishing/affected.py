"""Which URLs show a piece of content, so a change purges exactly those.

A change is described by what decides where content appears (an article's
`ArticleState` before and after, or a channel's, topic's, person's or tag's fields before
and after); a few slug lookups turn ids into URLs. A list (a channel, topic, person or tag
page) counts as a whole: an article arriving or leaving shifts every later page, so every
cached page of it goes, found by listing `<list>page/` in the cache folder.

What each page shows (see the portal's templates):
  article pages   the article; its people's and tags' names; its first channel's name; nav
  home            latest articles, headline, slides, a block per nav channel, six topics
  channel lists   its live articles and its child channels' (滚动: every live article)
  topic, person, tag lists   their live articles; /zhuanti/ lists the topics
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
from zoneinfo import ZoneInfo

from django.db.models import Model, Q
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
from citydesk.publishing.cache import PageCache

SHANGHAI = ZoneInfo("Asia/Shanghai")  # month sitemaps are cut in Beijing time
NEWS_WINDOW = timedelta(hours=48)
FEEDS = ("rss.xml", "atom.xml")
HOME = "/"
SITE_FEEDS = ["/rss.xml", "/atom.xml"]
SITEMAP_INDEX = "/sitemap.xml"
SITEMAP_NEWS = "/sitemaps/news.xml"
SITEMAP_PAGES = "/sitemaps/pages.xml"
TOPIC_LIST = "/zhuanti/"

# The fields of each related model that some page shows, and those that article pages
# (byline, tags, breadcrumb) or the nav show.
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


@dataclass
class Affected:
    """The URLs a change makes stale, before the cache folder is consulted."""

    urls: set[str] = field(default_factory=set)
    # List URLs (ending in "/") whose every page is stale: <list> and <list>page/N/.
    lists: set[str] = field(default_factory=set)
    # Article id -> page count known to the caller; every cached page of it is stale.
    articles: dict[int, int] = field(default_factory=dict)
    # Every cached HTML page is stale (a change to the nav, which every page shows).
    every_page: bool = False

    def __bool__(self) -> bool:
        return bool(self.urls or self.lists or self.articles or self.every_page)

    def add_article(self, article_id: int, page_count: int = 1) -> None:
        self.articles[article_id] = max(page_count, self.articles.get(article_id, 1))

    def add_feeds(self, list_url: str) -> None:
        self.urls.update(list_url + name for name in FEEDS)

    def update(self, other: "Affected") -> None:
        self.urls |= other.urls
        self.lists |= other.lists
        for article_id, count in other.articles.items():
            self.add_article(article_id, count)
        self.every_page = self.every_page or other.every_page

    def resolve(self, cache: PageCache | None = None) -> list[str]:
        """Concrete URL paths: each list's and article's pages, found in the cache folder.

        Listing a list's `page/` folder is one directory read, cheaper than counting its
        articles in the database, and it finds exactly the pages that are cached.
        """
        cache = cache or PageCache()
        found = set(self.urls)
        for url in self.lists:
            found.add(url)
            found.update(f"{url}page/{n}/" for n in _numbered_dirs(cache, url + "page/"))
        for article_id, count in self.articles.items():
            base = f"/a/{article_id}/"
            found.add(base)
            found.update(f"{base}{n}/" for n in range(2, count + 1))
            found.update(f"{base}{n}/" for n in _numbered_dirs(cache, base))
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
    shown = [s for s in states if s.live]
    if not shown:
        return Affected()
    affected = Affected()
    affected.add_article(states[0].article_id, max(s.page_count for s in states))
    affected.update(
        _lists_and_feeds(
            channel_ids=set().union(*(s.channel_ids for s in shown)),
            topic_ids=set().union(*(s.topic_ids for s in shown)),
            person_ids=set().union(*(s.person_ids for s in shown)),
            tag_ids=set().union(*(s.tag_ids for s in shown)),
            published=[s.published_at for s in shown],
        )
    )
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
    affected = Affected(urls={HOME, *SITE_FEEDS, SITEMAP_INDEX})
    affected.urls.update(_month_sitemaps(published))
    recent = timezone.now() - NEWS_WINDOW
    if any(when is None or when >= recent for when in published):
        affected.urls.add(SITEMAP_NEWS)

    # 滚动 lists every live article; a parent channel lists its children's.
    rows = Channel.objects.filter(Q(pk__in=channel_ids) | Q(kind=Channel.Kind.ROLLING))
    for slug, kind, parent_slug, parent_kind in rows.values_list(
        "slug", "kind", "parent__slug", "parent__kind"
    ):
        for s, k in ((slug, kind), (parent_slug, parent_kind)):
            if s and k != Channel.Kind.TOPICS:  # the 专题 channel is the topic list
                affected.lists.add(f"/{s}/")
                affected.add_feeds(f"/{s}/")
    if topic_ids:
        for slug in Topic.objects.filter(pk__in=topic_ids).values_list("slug", flat=True):
            affected.lists.add(f"/zhuanti/{slug}/")
            affected.add_feeds(f"/zhuanti/{slug}/")
    if person_ids:
        for slug in Person.objects.filter(pk__in=person_ids).values_list("slug", flat=True):
            affected.lists.add(f"/people/{slug}/")
    if tag_ids:
        for slug in Tag.objects.filter(pk__in=tag_ids).values_list("slug", flat=True):
            affected.lists.add(f"/tag/{slug}/")
    return affected


def _feeds_listing(article_ids: list[int]) -> Affected:
    """The feeds that may list these live articles: the site's, their channels', topics'."""
    affected = Affected(urls=set(SITE_FEEDS))
    channel_ids = Article.channels.through.objects.filter(article_id__in=article_ids)
    rows = Channel.objects.filter(
        Q(pk__in=channel_ids.values("channel_id")) | Q(kind=Channel.Kind.ROLLING)
    )
    for slug, parent_slug in rows.values_list("slug", "parent__slug"):
        affected.add_feeds(f"/{slug}/")
        if parent_slug:
            affected.add_feeds(f"/{parent_slug}/")
    topics = Topic.objects.filter(topicarticle__article_id__in=article_ids).distinct()
    for slug in topics.values_list("slug", flat=True):
        affected.add_feeds(f"/zhuanti/{slug}/")
    return affected


def _month_sitemaps(published: Iterable[datetime | None]) -> set[str]:
    months = {timezone.localtime(when, SHANGHAI).strftime("%Y-%m") for when in published if when}
    return {f"/sitemaps/articles-{month}.xml" for month in months}


# Channels, topics, people and tags ------------------------------------------------------


def snapshot(model: type[Model], pk: Any) -> dict[str, Any] | None:
    """The watched fields of a stored channel, topic, person or tag (None if none)."""
    fields = WATCHED[model]
    return model._default_manager.filter(pk=pk).values(*fields).first()


def for_related_change(
    model: type[Model],
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    article_ids: Iterable[int],
) -> Affected:
    """What an edit (or creation: old None; deletion: new None) of a channel, topic, person
    or tag makes stale. `article_ids` are the live articles whose pages name it."""
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
        ids = list(article_ids)
        for pk in ids:
            affected.add_article(pk)
        if model in (Person, Tag) and ids:
            # Feed items carry their byline (author) and tags (categories).
            affected.update(_feeds_listing(ids))

    if model is Channel:
        _channel_change(affected, states, everything)
    elif model is Topic:
        for state in states:
            affected.lists.add(f"/zhuanti/{state['slug']}/")
            affected.add_feeds(f"/zhuanti/{state['slug']}/")
        if changed != set():
            # The topic grid, the home page's topic strip and the pages sitemap name it.
            affected.lists.add(TOPIC_LIST)
            affected.urls.update({HOME, SITEMAP_PAGES})
    elif model is Person:
        affected.lists.update(f"/people/{state['slug']}/" for state in states)
    elif model is Tag:
        affected.lists.update(f"/tag/{state['slug']}/" for state in states)
    return affected


def _channel_change(affected: Affected, states: list[dict[str, Any]], changed: set[str]) -> None:
    for state in states:
        if state["kind"] == Channel.Kind.TOPICS:
            continue  # its URL is the topic list's, which does not show the channel
        affected.lists.add(f"/{state['slug']}/")
        affected.add_feeds(f"/{state['slug']}/")
    if "parent_id" in changed:
        # A parent lists its children's articles: they left one parent, joined another.
        parents = [s["parent_id"] for s in states if s["parent_id"]]
        for slug in Channel.objects.filter(pk__in=parents).values_list("slug", flat=True):
            affected.lists.add(f"/{slug}/")
            affected.add_feeds(f"/{slug}/")
    if changed & {"slug", "kind"}:
        affected.urls.add(SITEMAP_PAGES)
    in_nav = any(s["in_nav"] and s["parent_id"] is None for s in states)
    if in_nav and changed & ON_NAV:
        affected.every_page = True
