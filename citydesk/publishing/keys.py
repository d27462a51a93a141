"""Surrogate keys: what a shared cache (Varnish with xkey, a CDN) purges by.

Each cacheable response is tagged with the content objects it shows (core.shown: every
article, channel, topic, person and tag it links, so `article:26` on the article's own
pages and API document and on each list page, feed and front that lists it), and with the
pages it belongs to, named by path:

- its own path;
- for a later page of a list or of an article (`/yaowen/page/3/`, `/a/26/2/`), the path
  of its first page, which stands for all of them;
- `html` on every HTML page (the nav, on each of them, changes with the channels);
- `all` on every one (`citydesk clear_page_cache` empties the shared caches with it).

A change's purge (`for_affected`) names the same keys, from the rules in `affected`: an
article's first page (every page of it goes) and its API document, each list's first page
(every cached page of the list goes, where the local page cache has to list its folder to
find them), each other URL, and `html` when every page is stale; and the keys of the
article changed (`article:26`: wherever it is shown, beyond the rules' lists) and of a
renamed channel, person or tag (a topic's pages are reached by their paths). So one key
purge reaches a list's page 40 on every cache node without anyone knowing it was cached.

A response that shows more than MAX_OBJECT_KEYS objects (the news sitemap's thousand)
carries its path keys only, to keep the header within what caches accept; the rules reach it.

Keys are percent-encoded paths, `model:id` or a word: no space or comma, the separators of
xkey, Fastly's Surrogate-Key and Cloudflare's Cache-Tag.
"""

from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from citydesk.publishing import affected, http

EVERY_HTML_PAGE = "html"
EVERYTHING = "all"
# ~5 kB of keys at most: Varnish's default limit on one response header is 8 kB.
MAX_OBJECT_KEYS = 300
# Routes of later pages -> the page type whose first page names them all.
_PAGED = {
    page_type.paged: page_type
    for page_type in vars(affected).values()
    if isinstance(page_type, affected.PageType) and page_type.paged
}


def key(path: str) -> str:
    return quote(path, safe="/")


def for_response(
    request: HttpRequest, objects: set[str] | frozenset[str] = frozenset()
) -> list[str]:
    """The keys of the response to `request` (a cacheable one) that showed `objects`."""
    found = {key(request.path), EVERYTHING}
    if len(objects) <= MAX_OBJECT_KEYS:
        found |= objects
    match = request.resolver_match
    if match is not None and match.view_name in _PAGED:
        kwargs = {k: v for k, v in match.kwargs.items() if k != "page"}
        first = _PAGED[match.view_name].url(**kwargs)
        if first is not None:
            found.add(key(first))
    content_type = http.content_type_for(request.path)
    if content_type is not None and http.media_type(content_type) == "text/html":
        found.add(EVERY_HTML_PAGE)
    return sorted(found)


def for_affected(change: affected.Affected) -> list[str]:
    """The keys that reach every response a change makes stale."""
    paths = set(change.urls) | set(change.lists)
    for article_id in change.articles:
        paths.add(affected.ARTICLE.url(pk=article_id) or "")
        paths.add(affected.API_ARTICLE.url(article_id=article_id) or "")
    found = {key(path) for path in paths if path} | change.objects
    if change.every_page:
        found.add(EVERY_HTML_PAGE)
    return sorted(found)


def for_urls(paths: list[str]) -> list[str]:
    return sorted({key(path) for path in paths})


def tag(
    request: HttpRequest,
    response: HttpResponseBase,
    objects: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Put the response's keys in the header the shared cache reads
    (settings.CITYDESK_SURROGATE_KEY_HEADER; none when it is empty)."""
    header = getattr(settings, "CITYDESK_SURROGATE_KEY_HEADER", "")
    if header:
        response[header] = joined(for_response(request, objects), header)


def joined(keys: list[str], header: str) -> str:
    # Cloudflare's Cache-Tag is a comma-separated list; xkey and Surrogate-Key take spaces.
    return ",".join(keys) if header.lower() == "cache-tag" else " ".join(keys)
