"""Counters for /metrics (Prometheus), in every process of a node.

`citydesk serve` (its Granian workers, and the worker it runs) and `citydesk worker`
count into files under DATA_DIR/metrics: prometheus_client's multiprocess mode, chosen
by PROMETHEUS_MULTIPROC_DIR, which `citydesk.cli.count_into_files` sets for those two
commands before anything imports prometheus_client. /metrics sums every process's files. Any other
process (a one-off command, the tests) counts in its own memory.
"""

import logging

from prometheus_client import Counter

REQUESTS = Counter(
    "citydesk_requests",
    "Requests answered, by page type and by how: hit (the front, from the page cache), "
    "miss (rendered and written to the cache), render (rendered, not cacheable)",
    ["type", "cache"],
)
PURGES = Counter("citydesk_purged_urls", "URLs purged, by result (ok, failed)", ["result"])
PURGED_KEYS = Counter(
    "citydesk_purged_keys", "Surrogate keys purged from shared caches, by result", ["result"]
)
TASKS = Counter(
    "citydesk_tasks", "Follow-up tasks run, by result (ok, retry, failed, gone)", ["result"]
)
BEACONS = Counter("citydesk_beacons", "View beacons answered, by HTTP status", ["status"])


def count(counter: Counter, *labels: str, amount: float = 1) -> None:
    """Add to a counter; never raises. Counting must not fail a page or a task: in the
    multiprocess mode a counter's first use makes a file, which a full or read-only disk
    refuses (logged once a process, then counted no more)."""
    global _broken
    if _broken:
        return
    try:
        counter.labels(*labels).inc(amount)
    except Exception:
        _broken = True
        logging.getLogger("citydesk").exception("counting for /metrics failed; counting stops")


_broken = False


def broken() -> bool:
    """Whether counting failed in this process (and stopped)."""
    return _broken


# First match wins; what is not here is "other".
_TYPES = (
    ("/a/", "article"),
    ("/search/", "search"),
    ("/fragments/", "fragment"),
    ("/beacon/", "beacon"),
    ("/newsroom/", "newsroom"),
    ("/admin/", "admin"),
    ("/static/", "static"),
    ("/media/", "media"),
    ("/hot/", "hot"),
    ("/zhuanti/", "topic"),
    ("/people/", "person"),
    ("/tag/", "tag"),
    ("/sitemap", "sitemap"),
)


def page_type(path: str) -> str:
    """The kind of page a path is, for counting (a few names, never the path itself)."""
    if path == "/":
        return "home"
    for prefix, name in _TYPES:
        if path.startswith(prefix):
            return name
    if path.endswith((".xml",)) and ("rss" in path or "atom" in path):
        return "feed"
    if path.count("/") <= 4 and path.endswith("/"):
        return "list"  # a channel and its pages
    return "other"
