"""The view beacon: from a page's POST to a counted view, the same in `citydesk serve`'s
front (no Django on the way) and in Django's view (behind nginx, in tests).

    screen   the request alone: method, body size, bots, prefetches, rate limit
    article  is it live, and in which channels (cached a minute: no query a beacon)
    accept   the visitor's salted hash and the article become a `View` in the batch

Batches go to the ranking backend every BATCH_SECONDS from a thread of their own, so a
burst of views costs a few transactions a second, not one each. BATCH_SECONDS = 0 (the
test settings) records each view at once in the caller's thread.

One network counts a few views at most: an address (IPv4 /32, IPv6 /64) may stand for a
household or an office, so its readers are told apart by user agent and language, but
into CITYDESK_VIEWS_PER_NETWORK slots only. Each slot counts once per article per
DEDUP_SECONDS, so a script rotating its headers from one address adds at most that many
views to an article each half hour. The rate limit is per network too, whatever the
headers say.

Privacy: no address or user agent is kept. The de-duplication key is a keyed BLAKE2b
hash (the key derived from SECRET_KEY) of the network, the slot and the article, 64
bits; it lives in the backend for DEDUP_SECONDS.
"""

import atexit
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings

from citydesk.core.net import network_of
from citydesk.rankings.backends import get_backend
from citydesk.rankings.backends.base import View

log = logging.getLogger(__name__)

PATH = re.compile(r"^/beacon/view/([0-9]{1,18})/$")
MAX_BODY = 1024  # a beacon carries nothing we read; more is not a beacon
# Crawlers, link previewers and monitors that run JavaScript or post beacons themselves.
BOTS = re.compile(
    r"bot|spider|crawl|slurp|baidu|yandex|bingpreview|facebookexternalhit|headless"
    r"|lighthouse|pingdom|uptime|curl|wget|python-requests|httpclient|scrapy|go-http",
    re.I,
)
RATE_BURST = 60.0  # beacons a client may send at once ...
RATE_PER_SECOND = 1.0  # ... and then steadily (a reader opens far fewer pages than this)
MAX_CLIENTS = 200_000  # rate-limit entries kept at most (idle ones go first)
ARTICLE_SECONDS = 60.0  # how long "is it live, where is it filed" is believed
MAX_ARTICLES = 50_000
MAX_PENDING = 200_000  # views waiting for the backend; past this, beacons get a 503
BATCH_MAX = 5000


@dataclass(frozen=True)
class Signals:
    """What a beacon request tells about who sent it."""

    method: str
    ip: str
    user_agent: str = ""
    accept_language: str = ""
    purpose: str = ""  # Purpose / Sec-Purpose / X-Moz / X-Purpose, joined
    content_length: str | None = None

    @cached_property
    def network(self) -> str:
        """The network the address stands for: screened and counted by it."""
        return network_of(self.ip)


def article_id_from_path(path: str) -> int | None:
    match = PATH.match(path)
    return int(match.group(1)) if match else None


class RateLimiter:
    """A token bucket per client, in this process (each worker limits on its own)."""

    def __init__(self, burst: float = RATE_BURST, per_second: float = RATE_PER_SECOND) -> None:
        self.burst = burst
        self.per_second = per_second
        self.buckets: OrderedDict[bytes, tuple[float, float]] = OrderedDict()
        self.lock = threading.Lock()

    def allow(self, client: bytes, now: float) -> bool:
        with self.lock:
            tokens, last = self.buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.per_second)
            allowed = tokens >= 1.0
            self.buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            while len(self.buckets) > MAX_CLIENTS:
                self.buckets.popitem(last=False)  # the longest idle
            return allowed


Channels = tuple[int, ...]


class Receiver:
    """One a process (`receiver()`): screens beacons and batches their views."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        secret = hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=32).digest()
        self.secret = secret
        self.limiter = RateLimiter()
        self.articles: OrderedDict[int, tuple[float, Channels | None]] = OrderedDict()
        self.pending: list[View] = []
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.stopping = False

    # Screening ------------------------------------------------------------------------

    def screen(self, article_id: int | None, signals: Signals) -> int | None:
        """An answer for a beacon that cannot count (None: go on to `article`)."""
        if signals.method != "POST":
            return 405
        if article_id is None:
            return 404
        length = signals.content_length
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return 413
        if "prefetch" in signals.purpose.lower() or "preview" in signals.purpose.lower():
            return 204  # not a view; nothing to tell the browser either
        if not signals.user_agent or BOTS.search(signals.user_agent):
            return 204
        if not self.limiter.allow(self._hash(signals.network), self.clock()):
            return 429
        return None

    def _hash(self, *parts: str) -> bytes:
        h = hashlib.blake2b(key=self.secret, digest_size=8)
        h.update("\x00".join(parts).encode("utf-8", "surrogatepass"))
        return h.digest()

    # The article ----------------------------------------------------------------------

    def cached_article(self, article_id: int) -> tuple[bool, Channels | None]:
        """(known, channels): the article's channels if it is known to be live, None if
        known not to be; not known means ask `load_article`, which reads the database."""
        entry = self.articles.get(article_id)
        if entry is None or entry[0] < self.clock():
            return False, None
        return True, entry[1]

    def load_article(self, article_id: int) -> Channels | None:
        from citydesk.content.models import Article, Channel

        channels: Channels | None = None
        if Article.objects.published().filter(pk=article_id).exists():
            filed = Article.channels.through.objects.filter(article_id=article_id)
            ids = set(filed.values_list("channel_id", flat=True))
            parents = Channel.objects.filter(pk__in=ids, parent__isnull=False)
            ids |= set(parents.values_list("parent_id", flat=True))
            channels = tuple(sorted(ids))
        with self.lock:
            self.articles[article_id] = (self.clock() + ARTICLE_SECONDS, channels)
            while len(self.articles) > MAX_ARTICLES:
                self.articles.popitem(last=False)
        return channels

    # Counting -------------------------------------------------------------------------

    def accept(self, article_id: int, signals: Signals, channels: Channels | None) -> int:
        if channels is None:
            return 404
        reader = self._hash(signals.user_agent, signals.accept_language)
        slot = int.from_bytes(reader, "big") % self.slots
        parts = (signals.network, str(slot), str(article_id))
        key = int.from_bytes(self._hash(*parts), "big", signed=True)
        view = View(key=key, article_id=article_id, at=self.clock(), channel_ids=channels)
        if self.batch_seconds <= 0:
            get_backend().record([view], view.at)
            return 204
        with self.lock:
            if len(self.pending) >= MAX_PENDING:
                return 503
            self.pending.append(view)
            if self.thread is None:
                self._start()
        if len(self.pending) >= BATCH_MAX:
            self.wake.set()
        return 204

    def receive(self, article_id: int | None, signals: Signals) -> int:
        """The whole path, reading the database when it must (Django's view)."""
        status = self.screen(article_id, signals)
        if status is not None:
            return status
        assert article_id is not None  # screen() answers 404 otherwise
        known, channels = self.cached_article(article_id)
        if not known:
            channels = self.load_article(article_id)
        return self.accept(article_id, signals, channels)

    @property
    def slots(self) -> int:
        """How many readers one network may count as (see the module's docstring)."""
        return max(1, int(getattr(settings, "CITYDESK_VIEWS_PER_NETWORK", 4)))

    @property
    def batch_seconds(self) -> float:
        return float(getattr(settings, "CITYDESK_RANKINGS_BATCH_SECONDS", 0.25))

    def _start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="rankings-flush", daemon=True)
        self.thread.start()
        atexit.register(self.stop)

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self.stopping:
                self.wake.wait(self.batch_seconds)
                self.wake.clear()
                self.flush()
        finally:
            connection.close()  # this thread's own

    def flush(self) -> int:
        """Send a batch of what is waiting to the backend; how many views it took (0 on
        failure: they wait for the next try)."""
        with self.lock:
            batch, self.pending = self.pending[:BATCH_MAX], self.pending[BATCH_MAX:]
        if not batch:
            return 0
        try:
            get_backend().record(batch, self.clock())
        except Exception:
            log.exception("recording %d views failed; they are kept for the next try", len(batch))
            with self.lock:
                self.pending[:0] = batch
            return 0
        finally:
            if threading.current_thread() is self.thread:
                from django.db import connection

                connection.close_if_unusable_or_obsolete()  # this thread's own
        if self.pending:
            self.wake.set()
        return len(batch)

    def stop(self) -> None:
        """Flush everything and stop the thread (at exit, or when the server stops)."""
        self.stopping = True
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
            self.thread = None
        while self.pending and self.flush():
            pass


_receiver: Receiver | None = None
_receiver_lock = threading.Lock()


def receiver() -> Receiver:
    global _receiver
    if _receiver is None:
        with _receiver_lock:
            if _receiver is None:
                _receiver = Receiver()
    return _receiver


def reset() -> None:
    """Forget the process's receiver (tests that change settings)."""
    global _receiver
    if _receiver is not None:
        _receiver.stop()
    _receiver = None
