"""Every route that can show an article has a purge rule (citydesk.publishing.affected).

The whole URL conf is walked, so a route added later is walked too. A route the page cache
may store (its view is marked with `page_cache`) needs sample arguments in `SAMPLES`; one
it never stores needs a reason in `NOT_CACHED`. A route with neither fails the test until
someone decides which it is.

Each sample page is requested through the page cache, as a reader would. When it shows the
subject article (its title or its address), the purge of a publish, an edit and a retract
of that article must name it; when it shows the subject's channel, topic, person or tag
(its name, or its address), the purge of a rename (or a new slug) must name it.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.actions import live as live_actions
from citydesk.content.models import Article, Channel, Person, Tag, Topic
from citydesk.publishing import affected
from citydesk.publishing.cache import PageCache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_a_sitemap(monkeypatch):
    """A month's sitemap goes on in pages of one article, so that its later pages are
    sampled and their purge checked too."""
    from citydesk.syndication.sitemaps import ArticleMonthSitemap

    monkeypatch.setattr(ArticleMonthSitemap, "limit", 1)
    monkeypatch.setattr(affected, "SITEMAP_PAGE", 1)


# Routes the page cache never stores, and why. "ns:*" stands for a whole namespace.
NOT_CACHED: dict[str, str] = {
    "admin:*": "staff only, behind a login",
    "newsroom:*": "staff only, behind a login",
    "api:search": "answers its query string: never marked for the page cache",
    "api:hot": "counts move by the minute",
    "api:picks": "今日推荐 moves by the minute, as its fragment does",
    "api:post_draft": "a POST",
    "api:post_ninjs_draft": "a POST",
    "api:openapi-json": "the schema changes with a deploy, which no purge follows",
    "api:openapi-view": "the docs page, for developers",
    "api:api-root": "django-ninja's root: no page",
    "search:results": "answers its query string: never marked for the page cache",
    "search:suggest": "answers its query string: never marked for the page cache",
    "rankings:beacon": "a POST that counts a view; answers no page",
    "ops:healthz": "the node's health for load balancers, never cached",
    "ops:metrics": "counters for Prometheus, never cached",
    "rankings:hot": "热点排行: counts move by the minute, kept 30 s by browsers only",
    "rankings:hot_window": "热点排行: counts move by the minute, kept 30 s by browsers only",
    "rankings:hot_fragment": "a fragment, kept 30 s by browsers only",
    "recommend:picks": "a fragment, kept 30 s by browsers only",
    "recommend:related": "a fragment, kept 30 s by browsers only",
    "^media/(?P<path>.*)$": "uploaded files, served by Django in development only",
    "comments:fragment": "a fragment, kept 30 s by browsers only",
    "comments:post": "a POST",
    "comments:report": "a POST",
    "comments:moderation": "staff only, behind a login",
    "wechat:jssdk": "a signature of one URL with a fresh nonce, never cached",
}

# Routes that exist only under some settings (no stale-entry check for them).
OPTIONAL = {"^media/(?P<path>.*)$"}

# Cacheable routes whose pages change with an article without naming it, and how: each
# of their pages must be purged by every change of a live article.
CHANGE_WITHOUT_NAMING: dict[str, str] = {
    "syndication:sitemap_index": "each month's sitemap with its last change",
}


@dataclass
class Route:
    namespace: str
    key: str  # "namespace:name", or "namespace:pattern" when the route has no name
    name: str | None  # what reverse() takes
    callback: Callable[..., Any]

    @property
    def cacheable(self) -> bool:
        return bool(getattr(self.callback, "citydesk_page_cache", False))

    def allowed(self) -> str | None:
        return NOT_CACHED.get(self.key) or NOT_CACHED.get(f"{self.namespace}:*")


def walk(
    patterns: list[URLPattern | URLResolver], namespaces: tuple[str, ...] = (), prefix: str = ""
) -> Iterator[Route]:
    """Every route of the URL conf, however deeply included."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif pattern.name:
            name = ":".join([*namespaces, pattern.name])
            yield Route(":".join(namespaces), name, name, pattern.callback)
        else:
            key = ":".join([*namespaces, prefix + str(pattern.pattern)])
            yield Route(":".join(namespaces), key, None, pattern.callback)


def routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


# The subject and the site around it -------------------------------------------------------


@dataclass
class World:
    subject: Article
    newest: bool  # the subject leads its lists, or sits on their page 2
    parent: Channel  # a nav channel: every HTML page names it
    channel: Channel  # the subject's channel, a child of `parent`, outside the nav
    topic: Topic
    writer: Person
    editor: Person
    tag: Tag


def para(text: str) -> dict[str, str]:
    return {"type": "paragraph", "text": text}


def build_world(subject_is_newest: bool) -> World:
    parent = Channel.objects.create(name="覆盖频道", slug="cov-parent", in_nav=True)
    channel = Channel.objects.create(name="覆盖子栏", slug="cov-child", parent=parent, in_nav=False)
    now = timezone.now()

    def story(title: str, minutes_ago: int, pages: int = 1) -> Article:
        body: list[dict[str, str]] = [para("正文。")]
        for n in range(2, pages + 1):
            body += [{"type": "pagebreak"}, para(f"第{n}页。")]
        return actions.create_article(
            ArticleData(
                title=title,
                body=body,
                channels=[channel.slug],
                credits=[("writer", "覆盖记者"), ("photographer", "覆盖摄影")],
                responsible_editor="覆盖责编",
                tags=["覆盖标签"],
                published_at=now - timedelta(minutes=minutes_ago),
            ),
            status=Article.Status.PUBLISHED,
        )

    # With two to a page, the subject leads every list, or sits on page 2 of each.
    companions = [story(f"陪衬稿件第{n}篇", minutes_ago=60 + n) for n in (1, 2)]
    subject = story("覆盖测试主稿", minutes_ago=30 if subject_is_newest else 90, pages=2)
    # 图文直播 too, so that its updates fragment is sampled.
    live_actions.set_live_coverage(subject, starts_at=now - timedelta(hours=1))
    live_actions.post_live_update(subject, text="覆盖直播更新。")
    in_order = [subject, *companions] if subject_is_newest else [*companions, subject]
    topic = actions.create_topic("覆盖专题", in_order, slug="cov-topic")
    for n in range(12):  # the topic list shows twelve to a page: a page 2
        actions.create_topic(f"其他专题{n}", [], slug=f"other-{n}")
    # The topic leads the topic list (and home's six), or sits on the list's page 2.
    later = (
        Topic.objects.exclude(pk=topic.pk)
        if subject_is_newest
        else Topic.objects.filter(pk=topic.pk)
    )
    later.update(position=1)
    return World(
        subject=subject,
        newest=subject_is_newest,
        parent=parent,
        channel=channel,
        topic=topic,
        writer=Person.objects.get(name="覆盖记者"),
        editor=Person.objects.get(name="覆盖责编"),
        tag=Tag.objects.get(name="覆盖标签"),
    )


def _slugs(model: type[Model], **more: Any) -> Callable[[World], list[dict[str, Any]]]:
    def each(world: World) -> list[dict[str, Any]]:
        slugs = model._default_manager.values_list("slug", flat=True)
        return [{"slug": slug, **more} for slug in slugs]

    return each


def _month(world: World) -> list[dict[str, Any]]:
    month = timezone.localtime(world.subject.published_at, affected.SHANGHAI)
    return [{"year": f"{month:%Y}", "month": f"{month:%m}"}]


def _one(**kwargs: Any) -> Callable[[World], list[dict[str, Any]]]:
    return lambda world: [kwargs]


# Arguments for every cacheable route: the subject's pages, and every channel's, topic's,
# person's and tag's (most show nothing of the subject, which is as it should be).
SAMPLES: dict[str, Callable[[World], list[dict[str, Any]]]] = {
    "syndication:robots": _one(),
    "syndication:sitemap_index": _one(),
    "syndication:pages_sitemap": _one(),
    "syndication:news_sitemap": _one(),
    "syndication:articles_sitemap": _month,
    # Pages of a month over the sitemap's limit: the limit is 1 here (`one_a_sitemap`).
    "syndication:articles_sitemap_page": lambda world: [
        {**_month(world)[0], "page": str(n)} for n in (2, 3)
    ],
    "syndication:rss": _one(),
    "syndication:atom": _one(),
    "syndication:topic_rss": _slugs(Topic),
    "syndication:topic_atom": _slugs(Topic),
    "syndication:channel_rss": _slugs(Channel),
    "syndication:channel_atom": _slugs(Channel),
    "portal:home": _one(),
    "portal:about": _one(),
    "portal:article": lambda world: [{"pk": world.subject.pk}],
    "portal:article_page": lambda world: [{"pk": world.subject.pk, "page": 2}],
    "portal:live_updates": lambda world: [{"pk": world.subject.pk}],
    "portal:topic_list": _one(),
    "portal:topic_list_page": _one(page=2),
    "portal:topic": _slugs(Topic),
    "portal:topic_page": _slugs(Topic, page=2),
    "portal:person": _slugs(Person),
    "portal:person_page": _slugs(Person, page=2),
    "portal:tag": _slugs(Tag),
    "portal:tag_page": _slugs(Tag, page=2),
    "portal:channel": _slugs(Channel),
    "portal:channel_page": _slugs(Channel, page=2),
    "api:article_detail": lambda world: [{"article_id": world.subject.pk}],
    "api:article_list": _one(),
    "api:channel_list": _one(),
    "api:topic_list": _one(),
    "api:people_list": _one(),
}


# Changes and what their purges name ------------------------------------------------------


Related = Channel | Topic | Person | Tag


def fields_of(obj: Model) -> dict[str, Any]:
    """Every concrete field by attname, as a change's announcement carries them."""
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def articles_showing(obj: Related) -> list[int]:
    """The live articles whose pages name `obj`, as its change's announcement lists them."""
    live = Article.objects.published()
    if isinstance(obj, Channel):
        shown = live.filter(channels=obj)
    elif isinstance(obj, Topic):
        shown = live.filter(topicarticle__topic=obj)
    elif isinstance(obj, Person):
        shown = live.filter(credits__person=obj) | live.filter(responsible_editor=obj)
    else:
        shown = live.filter(tags=obj.pk)
    return list(shown.values_list("pk", flat=True).distinct())


def article_changes(subject: Article) -> dict[str, list[str]]:
    state = actions.article_state(subject.pk)
    assert state is not None and state.live
    hidden = replace(state, live=False)
    return {
        "publish": affected.for_article_change(hidden, state).resolve(),
        "edit": affected.for_article_change(state, state).resolve(),
        "retract": affected.for_article_change(state, hidden).resolve(),
    }


def related_change(obj: Related, **changes: Any) -> list[str]:
    old = fields_of(obj)
    change = affected.for_related_change(type(obj), old, {**old, **changes}, articles_showing(obj))
    return change.resolve()


def name_field(obj: Related) -> str:
    return "title" if isinstance(obj, Topic) else "name"


def shows_address(body: str, obj: Related) -> bool:
    url = obj.get_absolute_url()
    return url in body or unquote(url) in body


def path(name: str, **kwargs: Any) -> str:
    """A route's path as the page cache keys it (decoded)."""
    return unquote(reverse(name, kwargs=kwargs))


@dataclass
class Page:
    route: str
    body: str


def render_all(client: Client, world: World) -> dict[str, Page]:
    """Every sample page, requested through the page cache, by decoded path."""
    cache = PageCache()
    pages: dict[str, Page] = {}
    for route in routes():
        if route.key not in SAMPLES:
            continue
        assert route.name is not None, f"{route.key}: a cached route needs a name to reverse"
        answered = 0
        for kwargs in SAMPLES[route.key](world):
            url = path(route.name, **kwargs)
            response = client.get(url)
            if response.status_code in (301, 302, 404):
                continue  # no such page (a page 2 of a short list, the 专题 channel)
            assert response.status_code == 200, url
            assert cache.read(url) == response.content, f"{url} was not cached"
            pages[url] = Page(route.key, response.content.decode())
            answered += 1
        assert answered, f"no sample of {route.key} answered a page: fix its samples"
    return pages


# The tests --------------------------------------------------------------------------------


def test_every_route_is_sampled_here_or_never_cached():
    found = routes()
    undecided = []
    for route in found:
        reason = route.allowed()
        if reason is not None:
            assert not route.cacheable, f"{route.key} is cached now, yet NOT_CACHED says {reason!r}"
        elif route.key not in SAMPLES:
            undecided.append(route.key)
    assert not undecided, (
        f"{undecided}: add samples for these routes in SAMPLES here (and purge rules in "
        "citydesk.publishing.affected if they show articles), or a reason in NOT_CACHED"
    )
    keys = {route.key for route in found}
    namespaces = {route.namespace for route in found}
    for entry in NOT_CACHED.keys() - OPTIONAL:
        namespace, _, name = entry.rpartition(":")
        assert (namespace in namespaces) if name == "*" else (entry in keys), entry
    assert SAMPLES.keys() <= keys, SAMPLES.keys() - keys
    assert CHANGE_WITHOUT_NAMING.keys() <= SAMPLES.keys()


@pytest.fixture(params=[True, False], ids=["subject-newest", "subject-on-page-2"])
def world(request: pytest.FixtureRequest, settings: Any) -> World:
    settings.CITYDESK_PAGE_SIZE = 2
    return build_world(subject_is_newest=request.param)


def test_every_page_showing_something_is_purged_when_it_changes(client: Client, world: World):
    pages = render_all(client, world)
    missed: list[str] = []

    def check(change: str, shown_on: set[str], purged: list[str]) -> None:
        missed.extend(f"{change}: {url}" for url in sorted(shown_on - set(purged)))

    subject = world.subject
    showing = {
        url
        for url, page in pages.items()
        if subject.title in page.body or subject.get_absolute_url() in page.body
    }
    # The samples reach the subject where it is: its pages, and page 1 or 2 of its lists.
    assert {subject.get_absolute_url(), subject.page_url(2)} <= showing
    for route, obj in [
        ("portal:channel", world.channel),
        ("portal:channel", world.parent),
        ("portal:topic", world.topic),
        ("portal:tag", world.tag),
    ]:
        first, second = path(route, slug=obj.slug), path(f"{route}_page", slug=obj.slug, page=2)  # type: ignore[attr-defined]
        assert (first in showing, second in showing) == (world.newest, not world.newest), first
    topic_on = {url for url, page in pages.items() if world.topic.title in page.body}
    if world.newest:
        assert {path("portal:home"), path("portal:topic_list")} <= topic_on
    else:
        assert path("portal:topic_list_page", page=2) in topic_on
    showing |= {url for url, page in pages.items() if page.route in CHANGE_WITHOUT_NAMING}
    for change, purged in article_changes(subject).items():
        check(f"article {change}", showing, purged)

    for obj in (world.parent, world.channel, world.topic, world.writer, world.editor, world.tag):
        field = name_field(obj)
        name = getattr(obj, field)
        naming = {url for url, page in pages.items() if name in page.body}
        assert naming, f"no sample page names {name}"
        check(f"{name} renamed", naming, related_change(obj, **{field: name + "新"}))
        linking = {url for url, page in pages.items() if shows_address(page.body, obj)}
        check(f"{name} given a new slug", linking, related_change(obj, slug=f"{obj.slug}-new"))

    assert not missed, "pages that show a change but are not purged:\n" + "\n".join(missed)
