"""Scheduled publishing: the loop that makes a 定时 article live on time, visitors or not.

Why a loop of its own and not a task queued for the scheduled time: editors move and
cancel schedules, and a task per schedule would need finding and cancelling each time;
the stored time is the one truth, and one indexed query a wake-up reads it. What the
publish sets off (index, purge) is durable tasks like any change's.

It sleeps until the earliest scheduled time, but never longer than `POLL_SECONDS`, so an
article scheduled by another process (the admin, a script) is noticed in time too. The
clock and the sleep are arguments, so a test can drive the loop with a clock it controls.
"""

import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone

from citydesk.content import actions, queries
from citydesk.content.models import Article

logger = logging.getLogger("citydesk.worker")

# The longest sleep: an article scheduled elsewhere for less than this ahead still goes
# live within POLL_SECONDS of its time, well inside the promised 2 s. Each wake-up is one
# indexed query.
POLL_SECONDS = 0.5
# The shortest sleep, so an article another worker holds (or one that keeps failing) does
# not turn the loop into a busy one; it delays an on-time publish by at most this much.
MIN_SLEEP_SECONDS = 0.05

Clock = Callable[[], datetime]
Sleep = Callable[[float], object]


def seconds_to_sleep(now: datetime, next_at: datetime | None) -> float:
    """Until the next scheduled time, within [MIN_SLEEP_SECONDS, POLL_SECONDS]."""
    if next_at is None:
        return POLL_SECONDS
    remaining = (next_at - now).total_seconds()
    return min(POLL_SECONDS, max(MIN_SLEEP_SECONDS, remaining))


def publish_due(clock: Clock) -> list[int]:
    """Publish what is due now and log each article with how late it went live."""
    ids = actions.publish_due_articles(clock())
    if ids:
        done = clock()
        due = dict(Article.objects.filter(pk__in=ids).values_list("pk", "published_at"))
        for pk in ids:
            at = due.get(pk)
            late = (done - at).total_seconds() if at is not None else 0.0
            logger.info("published scheduled article %d (due %s, %.3f s late)", pk, at, late)
    return ids


def warm_up() -> None:
    """Load now what the publish path loads on first use, so the first article is not late.

    Indexing an article for search segments it, and the segmenter reads its dictionaries
    the first time (~0.6 s).
    """
    from citydesk.core.text import index_text

    index_text("苏州市")


def run(clock: Clock, sleep: Sleep, stop_event: threading.Event) -> None:
    """Publish due articles, then sleep until the next is due; until `stop_event` is set."""
    while not stop_event.is_set():
        try:
            publish_due(clock)
            delay = seconds_to_sleep(clock(), queries.next_scheduled_at())
        except Exception:
            # A database hiccup must not end scheduled publishing; the next cycle retries.
            logger.exception("scheduled publishing failed; retrying")
            delay = POLL_SECONDS
        if not stop_event.is_set():
            sleep(delay)


def run_forever(stop_event: threading.Event, *, parent_pid: int | None = None) -> None:
    """The real loop: wall-clock time, sleeps that `stop_event` cuts short.

    `parent_pid`: stop once this process is no longer our parent (the embedded worker of
    a `citydesk serve` that was killed without a chance to stop it).
    """

    def sleep(seconds: float) -> None:
        # A long-running process must not hold a connection the server has dropped.
        close_old_connections()
        if parent_pid is not None and os.getppid() != parent_pid:
            logger.warning("citydesk serve has gone; the embedded worker stops")
            stop_event.set()
            return
        stop_event.wait(seconds)

    run(timezone.now, sleep, stop_event)
