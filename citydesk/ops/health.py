"""What /healthz reports: whether this node can serve, and what keeps its pages fresh.

    database    reachable (a `SELECT 1`), and how long that took
    page_cache  writable (a probe file written and removed), and recent write failures
    worker      the newest heartbeat of any worker (every few seconds from each)
    tasks       follow-ups waiting to run, the oldest one's age, and failed ones

Only a database that cannot be reached makes the node unable to serve (503, for load
balancers). The rest degrade freshness, not service: the page cache failing means pages
go out uncached, a stopped worker means changes wait; they are "degraded", with a 200.
"""

import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

# Heartbeats come between batches of up to 100 tasks: a batch of slow ones (renditions)
# may take a minute or so.
WORKER_STALE = timedelta(minutes=3)
QUEUE_STALE = timedelta(minutes=5)  # a follow-up waiting this long is not being run


@dataclass
class Health:
    status: str = "ok"  # ok, degraded, down
    problems: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)

    def degrade(self, problem: str) -> None:
        self.problems.append(problem)
        if self.status == "ok":
            self.status = "degraded"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _database(health: Health) -> bool:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver's error: the node cannot serve
        health.status = "down"
        health.problems.append(f"数据库无法连接：{type(exc).__name__}")
        health.checks["database"] = {"ok": False}
        return False
    health.checks["database"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return True


def _page_cache(health: Health) -> None:
    from citydesk.publishing.queries import cache_health

    root = Path(settings.PAGE_CACHE_DIR)
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".health-", dir=root)
        os.close(handle)
        os.unlink(probe)
        writable = True
    except OSError:
        writable = False
    recent = cache_health()
    health.checks["page_cache"] = {
        "writable": writable,
        "recent_failures": 0 if recent.ok else recent.failures,
    }
    if not writable:
        health.degrade("页面缓存不可写：页面不经缓存直接生成")
    elif not recent.ok:
        # Not the error itself: /healthz answers anyone (the newsroom's 系统状态 shows it).
        health.degrade("页面缓存最近写入失败，见编辑部工作台的系统状态")


def _worker(health: Health) -> None:
    from citydesk.worker.models import Heartbeat

    newest = Heartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    age = (timezone.now() - newest).total_seconds() if newest else None
    health.checks["worker"] = {
        "alive": age is not None and age < WORKER_STALE.total_seconds(),
        "last_heartbeat_seconds": None if age is None else round(age, 1),
    }
    if not health.checks["worker"]["alive"]:
        health.degrade("没有运行中的后台任务进程（citydesk worker）：索引和缓存清除在等待")


def _tasks(health: Health) -> None:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    # Due since it was queued, or (a retry) since its retry time came.
    due = DBTaskResult.objects.ready()
    first = due.filter(run_after=get_date_max()).order_by("enqueued_at")
    retried = due.exclude(run_after=get_date_max()).order_by("run_after")
    since = [
        t
        for t in (
            first.values_list("enqueued_at", flat=True).first(),
            retried.values_list("run_after", flat=True).first(),
        )
        if t is not None
    ]
    failed = DBTaskResult.objects.failed().count()
    oldest_age = (now - min(since)).total_seconds() if since else 0.0
    health.checks["tasks"] = {
        "waiting": waiting.count(),
        "oldest_due_seconds": round(oldest_age, 1),
        "failed": failed,
    }
    if oldest_age > QUEUE_STALE.total_seconds():
        health.degrade(f"后台任务积压：最早的已等待 {oldest_age / 60:.0f} 分钟")
    if failed:
        health.degrade(f"{failed} 个后台任务失败，见编辑部工作台的系统状态")


def check() -> Health:
    health = Health()
    if _database(health):
        _page_cache(health)
        _worker(health)
        _tasks(health)
    return health
