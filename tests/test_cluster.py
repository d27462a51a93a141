"""The multi-node profile, started by deploy/cluster/cluster.py on this machine: a
PostgreSQL primary and streaming replica, Redis, two app nodes with their workers, and
Varnish in front (docs/deploy.md). Slow (the cluster takes ~40 s to start), so one
cluster serves the module."""

import http.client
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citydesk.core.testing import REPO_ROOT, require_service
from citydesk.publishing import varnish

SCRIPT = REPO_ROOT / "deploy" / "cluster" / "cluster.py"

# One cluster, on one xdist worker (pyproject's --dist loadgroup).
pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


def load_script() -> Any:
    spec = importlib.util.spec_from_file_location("cluster", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_run(count: int = 6) -> int:
    """The first of `count` consecutive free ports."""
    import socket

    for first in range(21000, 30000, 10):
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no run of free ports")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    script = load_script()
    require_service(
        shutil.which("redis-server") is not None
        and varnish.varnishd_binary() is not None
        and varnish.xkey_available()
        and any(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        "the cluster needs postgresql, redis-server and varnish (with varnish-modules)",
    )
    # Not pytest's temporary folder, which is private to us: PostgreSQL runs as
    # `postgres` when we are root. The script removes it when it stops the cluster.
    base = Path(tempfile.mkdtemp(prefix="citydesk-cluster-")) / "cluster"
    os.chmod(base.parent, 0o755)
    ports = script.Ports(free_run())
    command = [sys.executable, str(SCRIPT), "start", "--dir", str(base)]
    try:
        started = subprocess.run(
            [*command, "--ports-from", str(ports.first)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert started.returncode == 0, (started.stdout + started.stderr)[-3000:]
        yield script, base, ports
    finally:  # whatever happened, nothing of it is left running
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--dir", str(base)], timeout=120)


def get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def on_node(script: Any, base: Path, ports: Any, code: str) -> str:
    """Python run by `citydesk shell` with an app node's settings: an editor's action."""
    result = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "citydesk"), "shell", "--no-imports", "-c", code],
        env=script.node_env(base, ports),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


PUBLISH = """
import json, time
from django.utils import timezone
from citydesk.content import actions
from citydesk.content.models import Article
# One in another channel first, so the publish is timed in a warm process (imports,
# connections), as a node's newsroom is.
actions.create_article(actions.ArticleData(title="预热稿件", body=[{{"type": "paragraph",
    "text": "预热。"}}], channels=["guonei"], published_at=timezone.now()),
    status=Article.Status.PUBLISHED)
start = time.time()
article = actions.create_article(actions.ArticleData(
    title={title!r}, body=[{{"type": "paragraph", "text": "集群里发布的稿件。"}}],
    channels=["suzhou"], published_at=timezone.now()), status=Article.Status.PUBLISHED)
print(json.dumps({{"id": article.pk, "start": start, "at": time.time()}}))
"""


def test_a_publish_is_live_through_varnish_and_on_every_node_within_a_second(cluster):
    script, base, ports = cluster
    for _ in range(2):
        status, headers, _ = get(ports.varnish, "/suzhou/")
    assert status == 200 and headers["X-Cache"] == "HIT"
    title = f"集群发布测试{time.time_ns()}"
    # Readers of the channel's page, through Varnish and on each node, from before the
    # publish: when each first sees the new article.
    seen: dict[int, float] = {}
    stop = threading.Event()

    def reader(port: int) -> None:
        while not stop.is_set() and port not in seen:
            status, _, body = get(port, "/suzhou/")
            if status == 200 and title in body:
                seen[port] = time.time()
            time.sleep(0.01)

    threads = [threading.Thread(target=reader, args=(p,)) for p in (ports.varnish, *ports.nodes)]
    for thread in threads:
        thread.start()
    try:
        done = json.loads(on_node(script, base, ports, PUBLISH.format(title=title)))
        deadline = time.time() + 10
        while len(seen) < len(threads) and time.time() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(seen) == {ports.varnish, *ports.nodes}
    # The editor's process purged Varnish by key before the publish returned, so every
    # reader sees it within one request after that (readers on the nodes often before).
    worst = max(seen.values()) - done["start"]
    print(
        f"live everywhere {worst * 1000:.0f} ms after the publish began,"
        f" {(max(seen.values()) - done['at']) * 1000:.0f} ms after it returned"
    )
    assert worst < 1.0, f"live everywhere {worst:.2f} s after the publish began"
    for port in (ports.varnish, *ports.nodes):
        status, _, body = get(port, f"/a/{done['id']}/")
        assert status == 200 and title in body


def replica_reads(script: Any, ports: Any) -> int:
    """Scans of the articles table on the replica so far (its own statistics)."""
    sql = (
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
        " WHERE relname = 'content_article'"
    )
    result = subprocess.run(
        [script.pg_bin("psql"), "-h", "127.0.0.1", "-p", str(ports.replica), "-U", "citydesk",
         "-tAc", sql, "citydesk"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(result.stdout.strip() or 0)


def test_renders_read_the_replica_and_the_primary_when_it_stops(cluster):
    script, base, ports = cluster
    before = replica_reads(script, ports)
    for n in range(5):
        status, _, _ = get(ports.nodes[n % 2], "/suzhou/")
        assert status == 200
    deadline = time.time() + 5  # the standby's statistics are flushed about once a second
    while replica_reads(script, ports) < before + 5:
        assert time.time() < deadline, "the nodes' renders did not read the replica"
        time.sleep(0.2)
    subprocess.run(
        script.as_postgres([script.pg_bin("pg_ctl"), "-D", str(base / "pg-replica"), "-m", "fast",
                            "-w", "stop"]),
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        for n in range(6):
            status, _, body = get(ports.nodes[n % 2], "/suzhou/")
            assert status == 200 and "</html>" in body
    finally:
        subprocess.run(
            script.as_postgres([script.pg_bin("pg_ctl"), "-D", str(base / "pg-replica"),
                                "-o", f"-p {ports.replica}", "-l", str(base / "pg-replica.log"),
                                "-w", "start"]),
            check=True, capture_output=True,
        )  # fmt: skip


CLAIM = """
import json
from citydesk.publishing.tasks import purge_new_articles
from citydesk.worker.models import Heartbeat
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
workers = [h.worker for h in Heartbeat.objects.all()]
victim = next(w for w in workers if int(w.split(":")[1]) in {pids})
result = purge_new_articles.enqueue([1])
# As the node's worker claims a task (core.tasks.claim): RUNNING, in its name.
DBTaskResult.objects.filter(id=result.id).update(
    status=TaskResultStatus.RUNNING, worker_ids=[victim])
print(json.dumps({{"id": str(result.id), "victim": victim}}))
"""

TASK_STATE = """
import json
from django_tasks_db.models import DBTaskResult
row = DBTaskResult.objects.get(id={id!r})
print(json.dumps({{"status": row.status, "workers": row.worker_ids}}))
"""


def group_pids(pgid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    found.add(int(entry.name))
            except ProcessLookupError:
                continue
    return found


SCHEDULE = """
import json, time
from datetime import timedelta
from django.utils import timezone
from citydesk.content import actions
from citydesk.content.models import Article
base = time.time()
start = timezone.now() + timedelta(seconds=4)
made = [actions.create_article(actions.ArticleData(
    title=f"定时发布{{n}}-{{base}}", body=[{{"type": "paragraph", "text": "定时。"}}],
    channels=["suzhou"], published_at=start + timedelta(seconds=0.2 * n)),
    status=Article.Status.PUBLISHED) for n in range({count})]
assert all(a.status == Article.Status.SCHEDULED for a in made)
print(json.dumps({{"at": start.timestamp(), "articles": {{a.pk: a.title for a in made}}}}))
"""


def test_killing_a_node_under_load_fails_only_requests_in_flight(cluster):
    """kill -9 of node 1 (its server and worker) while readers read through Varnish and
    both nodes' schedulers publish articles due every 0.2 s across the kill."""
    script, base, ports = cluster
    node1 = int((base / "node1.pid").read_text())
    # A task node 1's worker holds when the node dies.
    claimed = json.loads(on_node(script, base, ports, CLAIM.format(pids=group_pids(node1))))
    for _ in range(2):
        status, headers, _ = get(ports.varnish, "/suzhou/")
    assert headers["X-Cache"] == "HIT"
    scheduled = json.loads(on_node(script, base, ports, SCHEDULE.format(count=15)))
    results: list[tuple[float, int]] = []
    stop = threading.Event()

    def reader() -> None:
        # Search is never cached: every request reaches a node through Varnish.
        while not stop.is_set():
            try:
                status, _, _ = get(ports.varnish, "/search/?q=%E8%8B%8F%E5%B7%9E")
            except OSError:
                status = 0
            results.append((time.monotonic(), status))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    # Mid-way through the publishes (each node publishes what it finds due first).
    time.sleep(max(2.0, scheduled["at"] + 1.5 - time.time()))
    killed_at = time.monotonic()
    os.killpg(node1, signal.SIGKILL)
    time.sleep(4)
    stop.set()
    for thread in threads:
        thread.join()
    failures = [(at, status) for at, status in results if status != 200]
    before = [s for at, s in results if at < killed_at]
    assert before and all(s == 200 for s in before)
    assert len(results) > 40
    print(f"node killed under load: {len(results)} requests, {len(failures)} failed")
    # At most the requests that were in flight on the killed node (one a reader).
    assert len(failures) <= len(threads), failures

    # No publish is lost: every scheduled article is live, and on its list through
    # Varnish (its purge ran, wherever the publish happened).
    deadline = time.time() + 15
    while True:
        status, _, body = get(ports.varnish, "/suzhou/")
        missing = [title for title in scheduled["articles"].values() if title not in body]
        if status == 200 and not missing:
            break
        assert time.time() < deadline, f"not live through Varnish: {missing}"
        time.sleep(0.5)
    for pk, title in scheduled["articles"].items():
        status, _, body = get(ports.varnish, f"/a/{pk}/")
        assert status == 200 and title in body

    # Node 2's worker puts the dead worker's task back and runs it (core.tasks.LEASE is
    # for a claimant on another host; on this one a dead pid is known at once).
    deadline = time.time() + 30  # housekeeping looks every 5 s
    while True:
        state = json.loads(on_node(script, base, ports, TASK_STATE.format(id=claimed["id"])))
        if state["status"] == "SUCCESSFUL":
            break
        assert time.time() < deadline, state
        time.sleep(1)
    assert state["workers"][0] == claimed["victim"] and state["workers"][-1] != claimed["victim"]
    assert int(state["workers"][-1].split(":")[1]) in group_pids(
        int((base / "node2.pid").read_text())
    )
