"""Readers' renders from a PostgreSQL streaming replica; everything else from the primary.

Set CITYDESK_DATABASE_REPLICA_URL and the database alias `replica` exists. Only a
reader's safe request opts in (`ReplicaMiddleware`): the newsroom, the admin, the API's
writes, every task and every command read the primary, the router's default.

A render reads the replica only once the replica has replayed everything the primary had
written when the request began (the primary's `pg_current_wal_lsn()` against the
replica's `pg_last_wal_replay_lsn()`), so:

- a render that follows a purge never shows older data than the change that caused the
  purge (the purge runs after that change committed);
- whoever just wrote sees the write on their next page (read-your-writes), whatever
  node or cache answers.

A replica that lags by more than `CITYDESK_REPLICA_WAIT` seconds, or cannot be reached,
is skipped and the render reads the primary; one that lagged is left alone for
`LAGGING_FOR` seconds and one that failed for `DOWN_FOR`, so a stopped or lagging replica
costs one check, not one a request. A render the replica fails in the middle of fails (a
500, as a request in flight when a server dies); the next ones read the primary.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponseBase

from citydesk.core import startup

REPLICA = "replica"
DOWN_FOR = 5.0
# Paths whose safe requests still read the primary: the newsroom and the admin act on
# what they show.
PRIMARY_PATHS = ("/newsroom/", "/admin/")
SAFE_METHODS = ("GET", "HEAD")

logger = logging.getLogger(__name__)
UNDECIDED = "?"  # a reader's request that has read nothing yet
LAGGING_FOR = 1.0
_reading: ContextVar[str] = ContextVar("citydesk_reading", default=DEFAULT_DB_ALIAS)
# Until when readers skip the replica (it failed, or lagged): a float, so assigning it
# from several threads needs no lock; a race costs one extra check.
_skip_until = 0.0


class ReplicaRouter:
    """Reads from the alias the current request chose (the primary unless it chose the
    replica); writes and migrations to the primary only."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return reading()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


def configured() -> bool:
    """Whether there is a replica to read: PostgreSQL, as the primary is."""
    postgres = "django.db.backends.postgresql"
    databases = settings.DATABASES
    return (
        databases.get(REPLICA, {}).get("ENGINE") == postgres
        and databases[DEFAULT_DB_ALIAS].get("ENGINE") == postgres
    )


def reading() -> str:
    """The alias this request reads: the replica's or the primary's. A reader's request
    decides at its first read (so a static file, a redirect or /healthz asks nothing)."""
    alias = _reading.get()
    if alias == UNDECIDED:
        alias = REPLICA if caught_up() else DEFAULT_DB_ALIAS
        _reading.set(alias)
    return alias


@contextmanager
def reading_replica(alias: str = REPLICA) -> Iterator[None]:
    """Reads in the block go to the replica (or, with UNDECIDED, to it if it has caught
    up by the first read)."""
    token = _reading.set(alias)
    try:
        yield
    finally:
        _reading.reset(token)


def caught_up(wait: float | None = None) -> bool:
    """Whether the replica has replayed all the primary had written a moment ago, waiting
    up to `wait` seconds for it; False when there is none, it cannot be reached or it
    lags (and then it is not asked again for a while)."""
    global _skip_until
    if not configured() or time.monotonic() < _skip_until:
        return False
    wait = settings.CITYDESK_REPLICA_WAIT if wait is None else wait
    deadline = time.monotonic() + wait
    # The write position: every commit that returned is in it (with synchronous_commit
    # on, PostgreSQL's default, which the primary must keep: an asynchronous commit
    # returns before its WAL is written). Not the insert position, which stands past the
    # next page's header at a page boundary and so may never be replayed on a quiet day.
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (written,) = cursor.fetchone()
    try:
        with connections[REPLICA].cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written])
                (replayed,) = cursor.fetchone()
                if replayed:
                    return True
                if replayed is None:  # not a standby (promoted, or misconfigured)
                    raise DatabaseError("the replica is not replaying the primary's WAL")
                if time.monotonic() >= deadline:
                    _skip_until = time.monotonic() + LAGGING_FOR
                    logger.warning("the replica lags; readers use the primary for a while")
                    return False
                time.sleep(0.005)
    except DatabaseError as exc:
        down(exc)
        return False


def down(exc: Exception) -> None:
    """Leave the replica alone for DOWN_FOR seconds: readers use the primary."""
    global _skip_until
    _skip_until = time.monotonic() + DOWN_FOR
    connections[REPLICA].close()
    logger.warning("the replica cannot be read (%s); readers use the primary", exc)


@startup.register
def check_replica(**kwargs: Any) -> list[checks.CheckMessage]:
    """A replica URL that names the primary (or any writable server) is refused: every
    reader would be sent there as if it were a copy. One that is down is not: readers
    read the primary until it is back."""
    if not configured():
        return []
    setting = "CITYDESK_DATABASE_REPLICA_URL"
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            (standby,) = cursor.fetchone()
    except DatabaseError as exc:
        message = (
            f"{setting}: the replica cannot be reached ({startup.reason(exc)});"
            " readers use the primary until it can"
        )
        return [checks.Warning(message, id="citydesk.core.W010")]
    finally:
        connections[REPLICA].close()  # not to be inherited by forked workers
    if not standby:
        message = (
            f"{setting} names a server that is not a standby (pg_is_in_recovery() is"
            " false): the primary itself, or another writable copy"
        )
        return [checks.Error(message, id="citydesk.core.E010")]
    return []


def forget_failures() -> None:
    """Try the replica again at once (tests; an operator after fixing it)."""
    global _skip_until
    _skip_until = 0.0


class ReplicaMiddleware:
    """A reader's safe request reads the replica if it has caught up (see above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if (
            request.method in SAFE_METHODS
            and not request.path.startswith(PRIMARY_PATHS)
            and configured()
        ):
            with reading_replica(UNDECIDED):
                return self.get_response(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # The replica failed mid-render (stopped, or a recovery conflict cancelled the
        # query): this render fails like any request in flight when a server dies; the
        # next ones read the primary.
        if isinstance(exception, DatabaseError) and _reading.get() == REPLICA:
            down(exception)
