"""The front of `citydesk serve`: page-cache hits without Django, misses to Django.

Granian (a Rust HTTP server: keep-alive, pipelining, HTTP/2, worker processes, graceful
shutdown) calls `PageCacheFront` through RSGI, its native interface. A hit costs a
dict lookup and one stat() and is answered from bytes already in memory; everything
else goes to Django's WSGI application on a thread pool.

Never stale: every hit stats the file first. A purge deletes the file, so the very next
request finds it gone and goes to Django; a rewrite changes its mtime, size or inode,
so the next request reloads it.

Never an error from the cache: a file that vanishes or cannot be read is a miss, and
Django answers (an unreadable one is also reported to `health`).
"""

import asyncio
import functools
import io
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.http import parse_http_date_safe

from citydesk.core import metrics
from citydesk.core.net import client_ip
from citydesk.publishing import health, http
from citydesk.publishing.cache import PageCache
from citydesk.rankings import beacon

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Headers = list[tuple[str, str]]

# Encodings in the order we prefer them, with the suffix of the file that holds each.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
# Bigger files are sent by Granian from disk rather than kept in memory.
MAX_IN_MEMORY = 1024 * 1024
# Django's answer is collected whole up to this size, then streamed.
STREAM_AFTER = 256 * 1024
# Django refuses bigger uploads anyway (DATA_UPLOAD_MAX_MEMORY_SIZE); this bounds what
# the front reads into memory before Django can say so.
MAX_BODY = 64 * 1024 * 1024
# What a cached page carries beside its own headers: the security headers Django's
# middleware gives every page (read from the settings once the server starts).
HIT_HEADERS: Headers = [("Vary", "Accept-Encoding"), ("X-Cache", "HIT")]
# An API answer also varies with what a plain request lacks (http.api_request_is_plain).
API_VARY = ("Vary", "Accept, Authorization, Origin")

BEACON_HEADERS: Headers = [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
BEACON_PURPOSE_HEADERS = ("purpose", "sec-purpose", "x-moz", "x-purpose")


@dataclass(slots=True)
class Representation:
    """One encoding of a cached page, with its headers ready to send."""

    path: str
    body: bytes | None  # None: too big to keep, sent from `path`
    etag: str
    mtime: int
    headers: Headers
    not_modified_headers: Headers


@dataclass(slots=True)
class CachedPage:
    file: str
    stamp: tuple[int, int, int]  # (st_mtime_ns, st_size, st_ino) of the plain file
    size: int  # bytes held in memory
    representations: dict[str, Representation]  # by encoding; "" is identity
    # Variants that were not there yet: the cache renames them in after the plain file,
    # so a page read in between is read again once they appear.
    missing: tuple[str, ...] = ()


def _stamp(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@functools.lru_cache(maxsize=512)
def choose_encoding(accept_encoding: str) -> tuple[str, ...]:
    """The encodings this Accept-Encoding allows, best first; "" (identity) last."""
    allowed: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        allowed[name.strip().lower()] = quality
    wildcard = allowed.get("*", 0.0)
    return (*(name for name, _ in ENCODINGS if allowed.get(name, wildcard) > 0), "")


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2), as If-None-Match asks for."""
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


class PageCacheFront:
    """An RSGI application: answers page-cache hits, hands the rest to `wsgi_app`."""

    def __init__(
        self,
        wsgi_app: WSGIApp,
        *,
        root: Path | str | None = None,
        threads: int = 4,
        memory_limit: int = 128 * 1024 * 1024,
        bypass_prefixes: tuple[str, ...] = ("/admin/", "/static/", "/media/"),
    ) -> None:
        self.app = wsgi_app
        self.cache = PageCache(root)
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="django")
        self.memory_limit = memory_limit
        self.memory = 0
        self.pages: dict[str, CachedPage] = {}
        self.bypass_prefixes = bypass_prefixes
        self.common_headers: Headers = [*http.security_headers(), *HIT_HEADERS]
        self.hits: dict[str, Any] = {}  # page type -> its counter, looked up once

    # RSGI ------------------------------------------------------------------------------

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Granian has stopped taking requests; let the renders in flight finish, and
        # write the views still waiting in the batch.
        self.pool.shutdown(wait=True)
        beacon.receiver().stop()

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        # The hot path: every attribute of `scope` read here costs a call into Rust.
        method = scope.method
        if method == "GET" or method == "HEAD":
            # A query string the cached pages ignore (from=, utm_source=) gets the cached
            # page too: else any ?x=1 would force a render (see http.PAGE_PARAMETERS).
            query = scope.query_string
            path = scope.path
            if path.startswith(http.API_PREFIX):
                # The API answers by query string, token, profile and Origin: only a
                # plain request gets the shared answer.
                plain = http.api_request_is_plain(query, scope.headers)
            else:
                plain = not query or http.query_is_ignored(query)
            if plain:
                page = self.lookup(path)
                if page is not None:
                    self.answer(page, scope.headers, proto)
                    self.count_hit(path)
                    return
        elif method == "POST" and scope.path.startswith("/beacon/view/"):
            await self.beacon(scope, proto)
            return
        if scope.proto != "http":
            proto.close(403)  # `citydesk serve` turns websockets off; refuse any that come
            return
        await self.to_django(scope, proto)

    # Hits ------------------------------------------------------------------------------

    def lookup(self, url_path: str) -> CachedPage | None:
        page = self.pages.get(url_path)
        if page is None:
            if url_path.startswith(self.bypass_prefixes):
                return None
            return self._load(url_path)
        try:
            st = os.stat(page.file)
        except OSError:  # purged
            self._forget(url_path)
            return None
        mtime_ns, size, inode = page.stamp
        if st.st_mtime_ns != mtime_ns or st.st_size != size or st.st_ino != inode:  # rewritten
            self._forget(url_path)
            return self._load(url_path)
        if page.missing and any(os.path.exists(path) for path in page.missing):
            self._forget(url_path)
            return self._load(url_path)
        return page

    def count_hit(self, url_path: str) -> None:
        # The hot path: each page type's counter looked up once (metrics.count, which
        # never raises, does the first one).
        kind = metrics.page_type(url_path)
        counter = self.hits.get(kind)
        if counter is None:
            metrics.count(metrics.REQUESTS, kind, "hit")
            if not metrics.broken():
                self.hits[kind] = metrics.REQUESTS.labels(kind, "hit")
            return
        try:
            counter.inc()
        except Exception:  # the disk filled since: counted no more, served all the same
            self.hits.clear()

    def answer(self, page: CachedPage, headers: Any, proto: Any) -> None:
        representations = page.representations
        rep = representations[""]
        if len(representations) > 1:
            for encoding in choose_encoding(headers.get("accept-encoding", "")):
                if encoding in representations:
                    rep = representations[encoding]
                    break
        if_none_match = headers.get("if-none-match")
        if if_none_match is not None:
            if etag_matches(if_none_match, rep.etag):
                proto.response_empty(304, rep.not_modified_headers)
                return
        else:
            if_modified_since = headers.get("if-modified-since")
            if if_modified_since is not None:
                since = parse_http_date_safe(if_modified_since)
                if since is not None and rep.mtime <= since:
                    proto.response_empty(304, rep.not_modified_headers)
                    return
        if rep.body is None:
            proto.response_file(200, rep.headers, rep.path)
        else:
            proto.response_bytes(200, rep.headers, rep.body)

    def _load(self, url_path: str) -> CachedPage | None:
        content_type = http.content_type_for(url_path)
        file = self.cache.path_for(url_path) if content_type else None
        if file is None or content_type is None:
            return None
        try:
            page = self._read(url_path, str(file), content_type)
        except (FileNotFoundError, NotADirectoryError):  # not cached, or purged while we read
            return None
        except OSError as exc:  # unreadable: Django answers, and operators hear of it
            health.failed("read", exc)
            return None
        if page is None:
            return None
        if self.memory + page.size > self.memory_limit:
            self._evict(page.size)
        self.pages[url_path] = page
        self.memory += page.size
        return page

    def _read(self, url_path: str, file: str, content_type: str) -> CachedPage | None:
        before = os.stat(file)
        cache_control = http.cache_control_header(url_path)
        representations = {}
        missing = []
        held = 0
        for encoding, suffix in (*ENCODINGS, ("", "")):
            path = file + suffix
            try:
                st = os.stat(path)
                body = None
                if st.st_size <= MAX_IN_MEMORY:
                    with open(path, "rb") as fh:
                        body = fh.read()
            except OSError as exc:
                if not encoding:
                    raise  # no page without its plain file
                # A variant may be absent or unreadable: the others are still served.
                if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
                    missing.append(path)
                else:
                    health.failed("read", exc)
                continue
            if body is not None:
                held += len(body)
            etag = http.file_etag(st.st_mtime, st.st_size)
            last_modified = http.file_last_modified(st.st_mtime)
            validators = [
                ("ETag", etag),
                ("Last-Modified", last_modified),
                ("Cache-Control", cache_control),
            ]
            entity = [("Content-Type", content_type)]
            if url_path.startswith(http.API_PREFIX):
                entity.append(API_VARY)
            if encoding:
                entity.append(("Content-Encoding", encoding))
            representations[encoding] = Representation(
                path=path,
                body=body,
                etag=etag,
                mtime=int(st.st_mtime),
                headers=entity + validators + self.common_headers,
                not_modified_headers=validators + self.common_headers,
            )
        # Rewritten while we read: the variants may belong to another version.
        if _stamp(os.stat(file)) != _stamp(before):
            return None
        return CachedPage(
            file=file,
            stamp=_stamp(before),
            size=held,
            representations=representations,
            missing=tuple(missing),
        )

    def _forget(self, url_path: str) -> None:
        page = self.pages.pop(url_path, None)
        if page is not None:
            self.memory -= page.size

    def _evict(self, room: int) -> None:
        # Oldest loaded first: cheap, and a page still in demand is loaded again.
        target = max(0, self.memory_limit * 3 // 4 - room)
        for url_path in list(self.pages):
            if self.memory <= target:
                break
            self._forget(url_path)

    # The view beacon ---------------------------------------------------------------------

    async def beacon(self, scope: Any, proto: Any) -> None:
        """Counted here, not in Django: a beacon a page view, thousands a second."""
        headers = scope.headers
        signals = beacon.Signals(
            method=scope.method,
            ip=client_ip(
                scope.client.rpartition(":")[0].strip("[]"), headers.get("x-forwarded-for")
            ),
            user_agent=headers.get("user-agent", ""),
            accept_language=headers.get("accept-language", ""),
            purpose=",".join(headers.get(h, "") for h in BEACON_PURPOSE_HEADERS),
            content_length=headers.get("content-length"),
        )
        article_id = beacon.article_id_from_path(scope.path)
        receiver = beacon.receiver()
        try:
            status = receiver.screen(article_id, signals)
            if status is None and article_id is not None:
                known, channels = receiver.cached_article(article_id)
                loop = asyncio.get_running_loop()
                if not known:
                    load = receiver.load_article
                    channels = await loop.run_in_executor(self.pool, load, article_id)
                if receiver.batch_seconds > 0:
                    status = receiver.accept(article_id, signals, channels)
                else:  # each view written at once: database work, off the event loop
                    accept = functools.partial(receiver.accept, article_id, signals, channels)
                    status = await loop.run_in_executor(self.pool, accept)
        except Exception:
            log.exception("view beacon for %s failed", scope.path)
            status = 503
        if status != 413:
            await proto()  # the (small) body, read so that the connection can go on
        proto.response_empty(status or 204, BEACON_HEADERS)
        metrics.count(metrics.BEACONS, str(status or 204))

    # Misses ----------------------------------------------------------------------------

    async def to_django(self, scope: Any, proto: Any) -> None:
        length = scope.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            proto.response_bytes(413, [("Content-Type", "text/plain")], b"Request too large")
            return
        body = await proto()
        environ = wsgi_environ(scope, body)
        loop = asyncio.get_running_loop()
        status, headers, chunks, rest = await loop.run_in_executor(
            self.pool, self._call_django, environ
        )
        if rest is None:
            proto.response_bytes(status, headers, b"".join(chunks))
            return
        transport = proto.response_stream(status, headers)
        try:
            for chunk in chunks:
                await transport.send_bytes(chunk)
            while True:
                more = await loop.run_in_executor(self.pool, rest.next_or_none)
                if more is None:
                    break
                if more:
                    await transport.send_bytes(more)
        except Exception:  # the client went away
            pass
        finally:
            await loop.run_in_executor(self.pool, rest.close)

    def _call_django(
        self, environ: dict[str, Any]
    ) -> tuple[int, Headers, list[bytes], "_Remainder | None"]:
        started: list[Any] = []

        def start_response(status: str, headers: Headers, exc_info: Any = None) -> None:
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [int(status.split(" ", 1)[0]), list(headers)]

        result = self.app(environ, start_response)
        iterator = iter(result)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in iterator:
                chunks.append(chunk)
                size += len(chunk)
                if size >= STREAM_AFTER:
                    return started[0], started[1], chunks, _Remainder(iterator, result)
        except BaseException:
            _close(result)
            raise
        # Closing fires request_finished, which returns the database connection.
        _close(result)
        return started[0], started[1], chunks, None


class _Remainder:
    """The rest of a streamed Django response, read on the pool's threads."""

    def __init__(self, iterator: Iterator[bytes], result: Iterable[bytes]) -> None:
        self.iterator = iterator
        self.result = result

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self.iterator)

    def next_or_none(self) -> bytes | None:
        return next(self.iterator, None)

    def close(self) -> None:
        _close(self.result)


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def wsgi_environ(scope: Any, body: bytes) -> dict[str, Any]:
    server_host, _, server_port = scope.server.rpartition(":")
    client_host, _, client_port = scope.client.rpartition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        # WSGI carries the decoded path's UTF-8 bytes as latin-1 (PEP 3333).
        "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": server_host.strip("[]") or "localhost",
        "SERVER_PORT": server_port or "80",
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": client_host.strip("[]"),
        "REMOTE_PORT": client_port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }
    for name, value in scope.headers.items():
        # A header name with "_" could pose as another after the rename below.
        if "_" in name:
            continue
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def create_app() -> PageCacheFront:
    """Granian's factory: each worker process builds its own front and Django."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citydesk.settings")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    return PageCacheFront(
        application,
        threads=int(os.environ.get("CITYDESK_THREADS", "4")),
        memory_limit=int(os.environ.get("CITYDESK_SERVE_MEMORY_MB", "128")) * 1024 * 1024,
        bypass_prefixes=("/admin/", settings.STATIC_URL, settings.MEDIA_URL),
    )
