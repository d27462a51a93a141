"""The worker's task threads: each runs the durable follow-ups (citydesk.core.tasks) of
its queue as they come due; the main one also does, every few seconds, the housekeeping
no task can do for itself: queues the partner feeds that are due and puts back the tasks
a dead process left running; and, hourly, forgets finished tasks (successful after a
day, failed after a month)."""

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
PRUNE_SECONDS = 3600.0
KEEP_SUCCESSFUL = timedelta(days=1)
KEEP_FAILED = timedelta(days=30)  # long enough to be seen and retried


def housekeeping() -> None:
    from citydesk.feeds import actions as feeds
    from citydesk.worker.models import Heartbeat

    now = timezone.now()
    Heartbeat.objects.update_or_create(worker=tasks.worker_id(), defaults={"seen_at": now})
    tasks.recover_abandoned()
    feeds.enqueue_due()


def prune() -> None:
    from django_tasks_db.models import DBTaskResult

    from citydesk.worker.models import Heartbeat

    now = timezone.now()
    DBTaskResult.objects.successful().filter(finished_at__lt=now - KEEP_SUCCESSFUL).delete()
    Heartbeat.objects.filter(seen_at__lt=now - KEEP_SUCCESSFUL).delete()  # workers long gone
    DBTaskResult.objects.failed().filter(finished_at__lt=now - KEEP_FAILED).delete()


def run_forever(
    stop_event: threading.Event, *, queue: str | None = None, housekeeper: bool = True
) -> None:
    """Run `queue`'s tasks (every queue's: None) until `stop_event` is set; the
    `housekeeper` also keeps the queue. A failure of the queue itself (the database away)
    is logged and tried again; a failing task never stops the loop (core.tasks catches it)."""
    next_housekeeping = next_prune = 0.0
    while not stop_event.is_set():
        ran = 0
        try:
            if housekeeper and time.monotonic() >= next_housekeeping:
                housekeeping()
                next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
            if housekeeper and time.monotonic() >= next_prune:
                prune()
                next_prune = time.monotonic() + PRUNE_SECONDS
            ran = tasks.run_pending(limit=100, queue=queue)
        except Exception:
            logger.exception("task queue failed; retrying")
        if not ran:
            if not connection.in_atomic_block:  # (a test drives the loop in its transaction)
                close_old_connections()
            stop_event.wait(IDLE_SECONDS)
