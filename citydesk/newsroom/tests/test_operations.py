"""系统状态 on the dashboard: follow-ups that keep failing, with a retry, and the page
cache's health, shown to those who sign off (chief editors, administrators) only."""

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from citydesk.core import tasks
from citydesk.publishing import health

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_purge(draft):
    """A purge that failed for good (its backend kept refusing)."""
    draft()
    row = DBTaskResult.objects.filter(task_path__endswith="purge_article_change").first()
    assert row is not None
    row.status = "FAILED"
    row.worker_ids = ["node:1:1"] * 3
    row.traceback = "Traceback ...\nPurgeFailed: 12 URLs not purged by <HttpPurgeBackend>"
    row.save()
    return row


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_chief_editors_see_failing_tasks_and_retry_them(people, failed_purge):
    chief = client_for(people["chief"])
    page = chief.get("/newsroom/").content.decode()
    assert 'id="operations"' in page
    assert "清除稿件相关页面的缓存（已停止）" in page
    assert "12 URLs not purged by &lt;HttpPurgeBackend&gt;" in page
    assert "页面缓存：正常" in page
    response = chief.post(f"/newsroom/tasks/{failed_purge.id}/retry/")
    assert response.status_code == 302
    failed_purge.refresh_from_db()
    assert failed_purge.status == "READY" and failed_purge.worker_ids == []
    assert tasks.failing() == []


def test_a_cache_failure_is_shown(people):
    health.reset()
    health.failed("write", OSError(28, "No space left on device"), log=False)
    page = client_for(people["admin"]).get("/newsroom/").content.decode()
    assert (
        "页面缓存出现故障" in page
        and "写入页面缓存失败" in page
        and "No space left on device" in page
    )


def test_reporters_and_editors_neither_see_nor_retry_them(people, failed_purge):
    for who in ("reporter", "editor"):
        client = client_for(people[who])
        assert 'id="operations"' not in client.get("/newsroom/").content.decode()
        response = client.post(f"/newsroom/tasks/{failed_purge.id}/retry/")
        assert response.status_code == 403
    failed_purge.refresh_from_db()
    assert failed_purge.status == "FAILED"
