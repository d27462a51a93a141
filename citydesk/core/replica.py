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
is skipped and the render reads the primary; one that failed is left alone for
`DOWN_FOR` seconds, so a stopped replica costs one refused connection, not one a request.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponseBase

REPLICA = "replica"
DOWN_FOR = 5.0
# Paths whose safe requests still read the primary: the newsroom and the admin act on
# what they show.
PRIMARY_PATHS = ("/newsroom/", "/admin/")
SAFE_METHODS = ("GET", "HEAD")

logger = logging.getLogger(__name__)
_reading: ContextVar[str] = ContextVar("citydesk_reading", default=DEFAULT_DB_ALIAS)
_down_until = 0.0


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
    database = settings.DATABASES.get(REPLICA)
    return database is not None and database.get("ENGINE") == "django.db.backends.postgresql"


def reading() -> str:
    """The alias this request reads: the replica's or the primary's."""
    return _reading.get()


@contextmanager
def reading_replica() -> Iterator[None]:
    token = _reading.set(REPLICA)
    try:
        yield
    finally:
        _reading.reset(token)


def caught_up(wait: float | None = None) -> bool:
    """Whether the replica has replayed all the primary had written a moment ago, waiting
    up to `wait` seconds for it; False when there is none or it cannot be reached."""
    global _down_until
    if not configured() or time.monotonic() < _down_until:
        return False
    wait = settings.CITYDESK_REPLICA_WAIT if wait is None else wait
    deadline = time.monotonic() + wait
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (written,) = cursor.fetchone()
    try:
        with connections[REPLICA].cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written])
                if cursor.fetchone()[0]:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.005)
    except DatabaseError as exc:
        _down_until = time.monotonic() + DOWN_FOR
        connections[REPLICA].close()
        logger.warning("the replica cannot be read (%s); readers use the primary", exc)
        return False


def forget_failures() -> None:
    """Try the replica again at once (tests; an operator after fixing it)."""
    global _down_until
    _down_until = 0.0


class ReplicaMiddleware:
    """A reader's safe request reads the replica when it has caught up (see above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if (
            request.method in SAFE_METHODS
            and not request.path.startswith(PRIMARY_PATHS)
            and configured()
            and caught_up()
        ):
            with reading_replica():
                return self.get_response(request)
        return self.get_response(request)
