"""The worker's task thread: runs the durable follow-ups (citydesk.core.tasks) as they
come due, and every few seconds does the housekeeping no task can do for itself:
queues the partner feeds that are due, puts back the tasks a dead process left running,
and forgets finished tasks after a day."""

import logging
import threading
import time
from datetime import timedelta

from django.db import close_old_connections, connection
from django.utils import timezone

from citydesk.core import tasks

logger = logging.getLogger("citydesk.worker")

IDLE_SECONDS = 0.2  # how long an idle worker waits before it looks for tasks again
HOUSEKEEPING_SECONDS = 5.0
KEEP_FINISHED = timedelta(days=1)  # successful tasks are kept this long (failed: until retried)


def housekeeping() -> None:
    from django_tasks_db.models import DBTaskResult

    from citydesk.feeds import actions as feeds

    tasks.recover_abandoned()
    feeds.enqueue_due()
    DBTaskResult.objects.successful().filter(
        finished_at__lt=timezone.now() - KEEP_FINISHED
    ).delete()


def run_forever(stop_event: threading.Event) -> None:
    """Until `stop_event` is set. A failure of the queue itself (the database away) is
    logged and tried again; a failing task never stops the loop (core.tasks catches it)."""
    next_housekeeping = 0.0
    while not stop_event.is_set():
        ran = 0
        try:
            if time.monotonic() >= next_housekeeping:
                housekeeping()
                next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
            ran = tasks.run_pending(limit=100)
        except Exception:
            logger.exception("task queue failed; retrying")
        if not ran:
            if not connection.in_atomic_block:  # (a test drives the loop in its transaction)
                close_old_connections()
            stop_event.wait(IDLE_SECONDS)
