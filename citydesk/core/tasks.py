"""Durable follow-ups: what happens after a content change, as tasks in the database.

A change enqueues its follow-ups (index it, purge its pages) through an `Announcement`
inside the change's own transaction (django-tasks' database backend writes one row per
task), so a change that commits has its follow-ups stored with it, and one that rolls back
has none. Right after the commit the process that made the change runs them itself, so a
publish is live at once; whatever it could not run (it was killed, a purge failed) is
still in the table for `citydesk worker`.

django-tasks runs a task once and records the outcome; what it leaves to us, and what
this module adds:
- retries with backoff: a failed attempt puts the row back to READY with a later
  `run_after` (`Policy` says how often and how long apart), keeping its error to show;
- runs left RUNNING by a process that died (`kill -9`) go back to READY: a worker id
  names its host, pid and the pid's start time, so a dead claimant is recognised at once
  on its own host (another host's after `LEASE`);
- claims are compare-and-set updates (`status = READY` in the WHERE), so two workers, or
  a worker and the process that enqueued the task, never both run it;
- a task whose object is gone raises `Gone` and ends quietly; a payload the function
  cannot take fails at once with the reason, and the worker goes on.
"""

import inspect
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from citydesk.core import metrics

logger = logging.getLogger("citydesk.tasks")

LEASE = timedelta(minutes=10)  # a claim by another host is abandoned after this long
# After this many attempts a task still retrying shows among the failing ones.
SHOW_AFTER_ATTEMPTS = 3


class Gone(Exception):
    """The task's object no longer exists or no longer needs the work: end quietly."""


class Failed(Exception):
    """The task cannot succeed until someone changes something (a refused credential):
    shown as failed at once, with this message, not retried."""


@dataclass(frozen=True)
class Policy:
    """How a task is retried: `max_attempts` None retries until it succeeds."""

    max_attempts: int | None = 5
    first_delay: float = 2.0  # seconds before the second attempt, doubling after
    max_delay: float = 300.0

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.max_delay, self.first_delay * 2 ** (attempts - 1)))


DEFAULT_POLICY = Policy()
_policies: dict[str, Policy] = {}
_labels: dict[str, str] = {}
_worker_only: set[str] = set()


def follow_up(
    policy: Policy = DEFAULT_POLICY,
    *,
    label: str = "",
    after_commit: bool = True,
    queue: str = "default",
) -> Callable[[Callable[..., Any]], Any]:
    """`@follow_up()` makes a module-level function a durable task with a retry policy;
    `label` names it for operators (in Chinese). `after_commit=False` leaves it to the
    worker even where the process that made the change runs follow-ups itself: for slow
    work (image encoding) that must not hold up an editor's request. A `queue` of its
    own gets a worker thread of its own (slow fetches never hold up purges)."""
    from django_tasks import task

    def wrap(function: Callable[..., Any]) -> Any:
        made = task(queue_name=queue)(function)
        _policies[made.module_path] = policy
        _labels[made.module_path] = label or function.__name__
        if not after_commit:
            _worker_only.add(made.module_path)
        return made

    return wrap


def policy_for(task_path: str) -> Policy:
    return _policies.get(task_path, DEFAULT_POLICY)


def label(task_path: str) -> str:
    """What operators call the task: its label, or its function's name."""
    return _labels.get(task_path) or task_path.rsplit(".", 1)[-1]


class Announcement:
    """One kind of change; apps connect the tasks that follow it (in AppConfig.ready),
    so the app that changes content never imports the apps that react to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tasks: list[Any] = []
        self.conditions: dict[Any, Callable[..., bool]] = {}

    def connect(self, task: Any, *, when: Callable[..., bool] | None = None) -> None:
        """Follow the announcement with `task`; `when(**payload)`, if given, says which
        announcements it follows (a row for every draft's save would only be drained)."""
        if task not in self.tasks:
            self.tasks.append(task)
        if when is not None:
            self.conditions[task] = when

    def enqueue(self, **payload: Any) -> None:
        """Store a task per follower in the current transaction, to run after its commit
        here (CITYDESK_TASKS_AFTER_COMMIT) or in the worker."""
        for task in self.tasks:
            when = self.conditions.get(task)
            if when is not None and not when(**payload):
                continue
            result = task.enqueue(**payload)
            if settings.CITYDESK_TASKS_AFTER_COMMIT and task.module_path not in _worker_only:
                transaction.on_commit(partial(run_now, str(result.id)))


# Claiming and running -----------------------------------------------------------------


def _start_ticks(pid: int) -> str:
    """When `pid` started (clock ticks since boot), so a reused pid is not taken for it."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            # Field 22; the command name (field 2) may hold spaces, so count from its end.
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


_worker_id = ""


def worker_id() -> str:
    """This process's name in a task's `worker_ids`: host, pid, start time."""
    global _worker_id
    pid = os.getpid()
    if not _worker_id or _worker_id.split(":")[1] != str(pid):  # forked since
        _worker_id = f"{socket.gethostname()[:30]}:{pid}:{_start_ticks(pid)}"
    return _worker_id


def _alive(claimant: str) -> bool | None:
    """Whether the process named by a worker id runs; None when it is on another host."""
    host, _, rest = claimant.partition(":")
    pid_text, _, ticks = rest.partition(":")
    if host != socket.gethostname()[:30] or not pid_text.isdigit():
        return None
    return bool(ticks) and _start_ticks(int(pid_text)) == ticks


def _model() -> Any:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult


def claim(result_id: str | None = None, *, queue: str | None = None) -> Any:
    """Take a READY task (that one, or the next due, of `queue` or any) for this process;
    None if there is none or another process took it first.

    The update names the status it expects (compare-and-set), so two claimants never both
    get a row; on PostgreSQL the row lock also lets the next worker skip to another row
    instead of losing the race. An idle worker only reads: on SQLite a transaction takes
    the write lock, which a poll a few times a second should not.
    """
    from django_tasks import TaskResultStatus

    model = _model()
    ready = model.objects.filter(id=result_id) if result_id else model.objects.ready()
    ready = ready.filter(status=TaskResultStatus.READY)
    if queue is not None:
        ready = ready.filter(queue_name=queue)
    if result_id is None and not ready.exists():
        return None
    with transaction.atomic():
        row = ready.select_for_update(skip_locked=True).first()
        if row is None:
            return None
        now = timezone.now()
        ids = [*row.worker_ids, worker_id()]
        taken = model.objects.filter(id=row.id, status=TaskResultStatus.READY).update(
            status=TaskResultStatus.RUNNING, started_at=now, worker_ids=ids
        )
    if not taken:
        return None
    row.status, row.started_at, row.worker_ids = TaskResultStatus.RUNNING, now, ids
    return row


def _retry_later(row: Any, exc: BaseException, attempts: int, policy: Policy) -> None:
    from traceback import format_exception

    from django_tasks import TaskResultStatus

    row.status = TaskResultStatus.READY
    row.run_after = timezone.now() + policy.delay(attempts)
    row.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
    row.traceback = "".join(format_exception(exc))
    row.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])


def run_claimed(row: Any) -> bool:
    """Run a claimed task; True when it is done (succeeded, gone, or failed for good)."""
    attempts = len(row.worker_ids)
    try:
        task = row.task
        args, kwargs = row.args_kwargs["args"], row.args_kwargs["kwargs"]
        inspect.signature(task.func).bind(*args, **kwargs)
    except Exception as exc:
        # Not a task, or a payload the function cannot take: no retry will fix it.
        logger.error("task %s is malformed (%s): %s", row.id, row.task_path, exc)
        row.set_failed(exc)
        metrics.count(metrics.TASKS, "failed")
        return True
    policy = policy_for(row.task_path)
    result = "ok"
    try:
        value = task.call(*args, **kwargs)
    except Gone as exc:
        logger.info("task %s (%s) ended: %s", row.id, row.task_path, exc)
        result, value = "gone", None
    except Failed as exc:
        logger.error("task %s (%s) failed, not retried: %s", row.id, row.task_path, exc)
        row.set_failed(exc)
        metrics.count(metrics.TASKS, "failed")
        return True
    except Exception as exc:
        if policy.max_attempts is None or attempts < policy.max_attempts:
            logger.warning(
                "task %s (%s) failed, attempt %d; retrying: %s",
                row.id,
                row.task_path,
                attempts,
                exc,
            )
            _retry_later(row, exc, attempts, policy)
            metrics.count(metrics.TASKS, "retry")
            return False
        logger.error(
            "task %s (%s) failed for good after %d attempts", row.id, row.task_path, attempts
        )
        row.set_failed(exc)
        metrics.count(metrics.TASKS, "failed")
        return True
    try:
        row.set_successful(value)
    except Exception as exc:  # a return value JSON cannot hold: the work is done anyway
        row.set_successful(repr(exc))
    metrics.count(metrics.TASKS, result)
    return True


def run_now(result_id: str) -> None:
    """Run one task here and now if no one else has it (after the commit that stored it).
    Never raises: the worker has the row if this fails."""
    try:
        row = claim(result_id)
        if row is not None:
            run_claimed(row)
    except Exception:
        logger.exception("task %s could not run after commit; the worker will", result_id)


def run_pending(limit: int | None = None, *, queue: str | None = None) -> int:
    """Run due tasks (of `queue`, or any) one by one until none is left (or `limit`);
    how many ran."""
    done = 0
    while limit is None or done < limit:
        row = claim(queue=queue)
        if row is None:
            break
        run_claimed(row)
        done += 1
    return done


def recover_abandoned(now: datetime | None = None) -> int:
    """Put back to READY the tasks left RUNNING by a process that is gone."""
    from django_tasks import TaskResultStatus

    model = _model()
    now = now or timezone.now()
    recovered = 0
    for row in model.objects.running().only("id", "worker_ids", "started_at"):
        claimant = row.worker_ids[-1] if row.worker_ids else ""
        alive = _alive(claimant)
        if alive is None:
            alive = row.started_at is not None and now - row.started_at < LEASE
        if not alive:
            recovered += model.objects.filter(id=row.id, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY, run_after=now
            )
    if recovered:
        logger.warning("%d tasks left running by a process that is gone: queued again", recovered)
    return recovered


def retry(result_id: str) -> bool:
    """Queue a failed (or retrying) task again now, its attempts counted afresh."""
    from django_tasks import TaskResultStatus

    return bool(
        _model()
        .objects.filter(id=result_id, status__in=[TaskResultStatus.FAILED, TaskResultStatus.READY])
        .update(status=TaskResultStatus.READY, run_after=timezone.now(), worker_ids=[])
    )


@dataclass(frozen=True)
class Failing:
    """A task that failed for good or keeps failing, as operators are shown it."""

    id: str
    name: str
    status: str  # FAILED, or READY while it waits for its next attempt
    attempts: int
    error: str  # the last line of its traceback
    since: datetime | None


def failing(limit: int = 50) -> list[Failing]:
    """Tasks that failed for good, and those still retrying after SHOW_AFTER_ATTEMPTS
    attempts: what operators are shown (failed ones first, newest first)."""
    from django_tasks import TaskResultStatus

    model = _model()
    # Not the payloads: a change to a big channel names every article that shows it.
    rows = model.objects.defer("args_kwargs", "return_value")
    failed = list(rows.failed().order_by("-finished_at")[:limit])
    retrying = [
        row
        for row in rows.filter(status=TaskResultStatus.READY)
        .exclude(traceback="")
        .order_by("-enqueued_at")[: limit * 4]
        if len(row.worker_ids) >= SHOW_AFTER_ATTEMPTS
    ]
    return [
        Failing(
            id=str(row.id),
            name=label(row.task_path),
            status=str(row.status),
            attempts=len(row.worker_ids),
            error=(row.traceback.strip().splitlines() or [""])[-1][:300],
            since=row.finished_at or row.started_at,
        )
        for row in (failed + retrying)[:limit]
    ]
