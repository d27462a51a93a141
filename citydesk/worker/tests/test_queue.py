"""The durable task queue (citydesk.core.tasks): retries, failures shown and retried,
quiet ends, bad payloads, dead claimants, and two workers never running one task twice."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from citydesk.core import tasks
from citydesk.core.tasks import Gone, Policy, follow_up
from citydesk.core.testing import at_once

pytestmark = pytest.mark.django_db

calls: list[tuple[str, int]] = []
fail_times: dict[int, int] = {}


@follow_up(Policy(max_attempts=3, first_delay=2.0))
def flaky(n: int) -> int:
    calls.append(("flaky", n))
    if fail_times.get(n, 0) > 0:
        fail_times[n] -= 1
        raise OSError(f"disk full ({n})")
    return n * 10


@follow_up()
def vanished(n: int) -> None:
    calls.append(("vanished", n))
    raise Gone(f"article {n} was deleted")


@follow_up(queue="feeds")
def slow(n: int) -> None:
    calls.append(("slow", n))


@pytest.fixture(autouse=True)
def _fresh():
    calls.clear()
    fail_times.clear()


def row(result) -> DBTaskResult:
    return DBTaskResult.objects.get(id=result.id)


def later(seconds: float):
    """Pretend `seconds` have passed: the waiting tasks are due."""
    DBTaskResult.objects.filter(status="READY").update(
        run_after=timezone.now() - timedelta(seconds=1)
    )


def test_a_failing_task_is_retried_with_backoff_then_succeeds():
    fail_times[1] = 2
    result = flaky.enqueue(n=1)
    assert tasks.run_pending() == 1
    first = row(result)
    assert first.status == "READY" and "disk full (1)" in first.traceback
    wait = (first.run_after - timezone.now()).total_seconds()
    assert 1.0 < wait <= 2.0  # the first delay
    assert tasks.run_pending() == 0  # not due yet
    later(2)
    tasks.run_pending()
    second = row(result)
    assert (second.run_after - timezone.now()).total_seconds() > 3.0  # doubled
    later(4)
    tasks.run_pending()
    done = row(result)
    assert done.status == "SUCCESSFUL" and done.return_value == 10
    assert calls == [("flaky", 1)] * 3


def test_a_task_that_keeps_failing_is_shown_with_its_error_and_can_be_retried():
    fail_times[2] = 99
    result = flaky.enqueue(n=2)
    for _ in range(3):
        later(0)
        tasks.run_pending()
    failed = row(result)
    assert failed.status == "FAILED" and "OSError" in failed.exception_class_path
    assert [r.id for r in tasks.failing()] == [str(failed.id)]
    fail_times[2] = 0
    assert tasks.retry(str(result.id))
    tasks.run_pending()
    assert row(result).status == "SUCCESSFUL"
    assert tasks.failing() == []


def test_the_admin_lists_failing_tasks_and_retries_them(admin_client):
    fail_times[3] = 99
    result = flaky.enqueue(n=3)
    for _ in range(3):
        later(0)
        tasks.run_pending()
    page = admin_client.get("/admin/django_tasks_database/dbtaskresult/?failing=yes")
    assert page.status_code == 200
    body = page.content.decode()
    assert "flaky" in body and "disk full (3)" in body
    fail_times[3] = 0
    response = admin_client.post(
        "/admin/django_tasks_database/dbtaskresult/",
        {"action": "retry_now", "_selected_action": [str(result.id)]},
    )
    assert response.status_code == 302
    assert row(result).status == "READY"


def test_a_task_whose_object_is_gone_ends_quietly():
    result = vanished.enqueue(n=7)
    tasks.run_pending()
    assert row(result).status == "SUCCESSFUL"
    assert calls == [("vanished", 7)]  # once: no retry
    assert tasks.failing() == []


def test_a_malformed_payload_fails_with_its_reason_and_the_worker_goes_on():
    bad = flaky.enqueue(n=4)
    DBTaskResult.objects.filter(id=bad.id).update(args_kwargs={"args": [], "kwargs": {"x": 1}})
    lost = flaky.enqueue(n=5)
    DBTaskResult.objects.filter(id=lost.id).update(task_path="citydesk.nowhere.task")
    good = flaky.enqueue(n=6)
    assert tasks.run_pending() == 3
    assert row(bad).status == "FAILED" and "missing a required argument" in row(bad).traceback
    assert row(lost).status == "FAILED" and "nowhere" in row(lost).traceback
    assert row(good).status == "SUCCESSFUL"
    assert calls == [("flaky", 6)]


def test_each_queue_has_its_own_runner():
    slow.enqueue(n=1)
    flaky.enqueue(n=2)
    assert tasks.run_pending(queue="default") == 1
    assert calls == [("flaky", 2)]  # the other queue's task waits for its own thread
    assert tasks.run_pending(queue="feeds") == 1
    assert calls == [("flaky", 2), ("slow", 1)]


def test_a_change_rolled_back_leaves_no_task():
    with pytest.raises(RuntimeError), transaction.atomic():
        flaky.enqueue(n=8)
        raise RuntimeError
    assert not DBTaskResult.objects.exists()


def test_tasks_left_running_by_a_dead_process_are_queued_again():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine, orphan, elsewhere = (flaky.enqueue(n=n) for n in (9, 10, 11))
    now = timezone.now()
    DBTaskResult.objects.filter(id=mine.id).update(
        status="RUNNING", worker_ids=[tasks.worker_id()], started_at=now
    )
    host = tasks.worker_id().split(":")[0]
    DBTaskResult.objects.filter(id=orphan.id).update(
        status="RUNNING", worker_ids=[f"{host}:{dead.pid}:1"], started_at=now
    )
    DBTaskResult.objects.filter(id=elsewhere.id).update(
        status="RUNNING", worker_ids=["other-node:1:1"], started_at=now - timedelta(hours=1)
    )
    assert tasks.recover_abandoned() == 2
    assert row(mine).status == "RUNNING"  # this process is alive
    assert row(orphan).status == "READY"
    assert row(elsewhere).status == "READY"  # its lease ran out
    assert tasks.worker_id().split(":")[1] == str(os.getpid())


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="in-memory SQLite cannot take two writing threads; test_crash.py runs processes",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_task():
    for n in range(40):
        flaky.enqueue(n=n)
    ran = at_once(tasks.run_pending)
    assert sum(ran) == 40
    assert sorted(n for _, n in calls) == list(range(40))  # each exactly once
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 40
