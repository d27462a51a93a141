"""Page-cache failures: never a failed page, never unnoticed, never a flood.

The page cache only saves work: when its disk is full or read-only, pages are served
uncached. Each failure comes here. Per process and kind of failure (write, read, purge)
the first one is logged and recorded in the database (`models.CacheFailure`, which
`queries.cache_health()` reads for the newsroom); those within the next INTERVAL are only
counted, and the next line and record carry that count. A full disk under heavy traffic
so costs one log line and one database write a minute per process.
"""

import asyncio
import logging
import threading
import time
from dataclasses import dataclass

from django.db import connections, transaction
from django.utils import timezone

logger = logging.getLogger("citydesk.publishing.cache")

INTERVAL = 60.0  # seconds between two log lines (and records) of one kind, per process
WHAT = {
    "write": "写入页面缓存失败",
    "read": "读取页面缓存失败",
    "purge": "清除页面缓存失败",
}

clock = time.monotonic  # tests move it


@dataclass
class _Kind:
    reported_at: float  # clock() of the last log line and record
    unreported: int = 0  # failures since then


_lock = threading.Lock()
_kinds: dict[str, _Kind] = {}


def failed(kind: str, exc: BaseException, *, log: bool = True, traceback: bool = False) -> None:
    """Count a failure of `kind` (a key of WHAT); never raises.

    `log=False` when the caller raises the error on and whoever catches it logs it;
    `traceback=True` for errors that are not the file system's (a bug).
    """
    now = clock()
    with _lock:
        state = _kinds.get(kind)
        if state is not None and now - state.reported_at < INTERVAL:
            state.unreported += 1
            return
        count = 1 + (state.unreported if state else 0)
        _kinds[kind] = _Kind(reported_at=now)
    error = f"{WHAT[kind]}：{exc}"
    if log:
        more = f" ({count - 1} more since the previous message)" if count > 1 else ""
        logger.warning(
            "page cache %s failed, pages go out uncached: %s%s",
            kind,
            exc,
            more,
            exc_info=exc if traceback else None,
        )
    _record(kind, error, count)


def reset() -> None:
    """Forget what this process has reported (for tests)."""
    with _lock:
        _kinds.clear()


def _record(kind: str, error: str, count: int) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _save(kind, error, count)
        return
    # On an event loop's thread (the front of `citydesk serve`) the ORM refuses to run,
    # and must not block the loop anyway: a short-lived thread writes the row.
    threading.Thread(
        target=_save_and_close, args=(kind, error, count), name="cache-health", daemon=True
    ).start()


def _save(kind: str, error: str, count: int) -> None:
    from citydesk.publishing.models import CacheFailure

    try:
        # A savepoint: a failed record never spoils the transaction of the request.
        with transaction.atomic():
            CacheFailure.record(kind, error, count, timezone.now())
    except Exception:
        # The database may share the full disk; the log line above still says it.
        logger.warning("could not record a page cache failure", exc_info=True)


def _save_and_close(kind: str, error: str, count: int) -> None:
    try:
        _save(kind, error, count)
    finally:
        connections.close_all()  # this thread's connections only
