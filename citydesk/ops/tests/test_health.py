"""/healthz: 200 while the node can serve (ok, or degraded with the reasons), 503 when
its database is away."""

import pytest
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from citydesk.core.tasks import worker_id
from citydesk.ops import health
from citydesk.worker import queue
from citydesk.worker.models import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def beating():
    Heartbeat.objects.create(worker="node1:1:1", seen_at=timezone.now())


def test_a_healthy_node(client, beating):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    report = response.json()
    assert report["status"] == "ok" and report["problems"] == []
    checks = report["checks"]
    assert checks["database"]["ok"] and checks["page_cache"]["writable"]
    assert checks["worker"]["alive"] and checks["tasks"]["failed"] == 0


def test_the_worker_housekeeping_is_the_heartbeat(client):
    assert client.get("/healthz").json()["checks"]["worker"]["alive"] is False
    queue.housekeeping()
    assert Heartbeat.objects.get().worker == worker_id()
    report = client.get("/healthz").json()
    assert report["checks"]["worker"]["alive"] and report["status"] == "ok"


def test_a_stopped_worker_degrades_but_still_serves(client):
    Heartbeat.objects.create(worker="gone:1:1", seen_at=timezone.now() - health.WORKER_STALE * 2)
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "degraded" and "citydesk worker" in report["problems"][0]


def test_an_unwritable_page_cache_degrades(client, settings, tmp_path, beating):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.PAGE_CACHE_DIR = blocker / "pagecache"
    report = client.get("/healthz").json()
    assert report["status"] == "degraded"
    assert report["checks"]["page_cache"]["writable"] is False
    assert "页面缓存不可写" in report["problems"][0]


def test_failed_and_stuck_tasks_degrade(client, beating):
    now = timezone.now()
    common = {"task_path": "x.y", "queue_name": "default", "backend_name": "default"}
    DBTaskResult.objects.create(
        status=TaskResultStatus.FAILED, args_kwargs={}, finished_at=now, **common
    )
    stuck = DBTaskResult.objects.create(status=TaskResultStatus.READY, args_kwargs={}, **common)
    DBTaskResult.objects.filter(pk=stuck.pk).update(enqueued_at=now - health.QUEUE_STALE * 2)
    report = client.get("/healthz").json()
    assert report["status"] == "degraded"
    assert report["checks"]["tasks"] == {
        "waiting": 1,
        "oldest_due_seconds": pytest.approx(health.QUEUE_STALE.total_seconds() * 2, abs=5),
        "failed": 1,
    }
    assert any("积压" in p for p in report["problems"])
    assert any("失败" in p for p in report["problems"])


class Unreachable:
    def cursor(self):
        raise OperationalError("could not connect to server")


def test_a_node_without_its_database_answers_503(client, monkeypatch):
    monkeypatch.setattr(health, "connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "down" and report["checks"]["database"] == {"ok": False}
    assert "数据库无法连接" in report["problems"][0]
    assert client.head("/healthz").status_code == 503
    assert client.post("/healthz").status_code == 405
