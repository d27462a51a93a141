"""The crash test: `kill -9` at random moments during bursts of publishes, then a restart.

Each round starts a process that publishes 200 drafts one after another through the
content actions (as the newsroom's 签发 does), or imports 200 articles with `citydesk import
jsonl`, and kills it (SIGKILL) at a random moment. Once every round is done, `citydesk
worker` starts, and within 10 s every committed, published article must be in the search
index, the pages that show them fresh, and no task lost or run twice.

It runs on the database the suite runs on (SQLite here; PostgreSQL in its pass), in a
database of its own made with `migrate`, since the killed processes need a real one.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from citydesk.core.testing import REPO_ROOT

ROUNDS = 3
BURST = 200
SETTLE_SECONDS = 10.0

PUBLISH_BURST = """
import os
from citydesk.content import actions
from citydesk.content.models import Article
ids = [int(i) for i in os.environ["CRASH_ARG"].split(",")]
print("ready", flush=True)
for article in Article.objects.filter(pk__in=ids).order_by("pk"):
    actions.do_publish_article(article)
"""

SETUP = """
import json, os
from citydesk.content import actions
from citydesk.content.actions import ArticleData
ids = []
for n in range(int(os.environ["CRASH_ARG"])):
    a = actions.create_article(ArticleData(
        title=f"崩溃测试第{n}篇 运河夜游", body=[{"type": "paragraph", "text": f"正文{n}。"}],
        channels=["suzhou"]))
    ids.append(a.pk)
print(json.dumps(ids))
"""

# Render the lists through Django, so the page cache holds them before each burst.
WARM = """
from django.test import Client
client = Client()
for url in ("/", "/gundong/", "/suzhou/"):
    assert client.get(url).status_code == 200, url
"""

CHECK = """
import json
from django_tasks_db.models import DBTaskResult
from citydesk.content.models import Article
from citydesk.search import queries
from citydesk.search.backends import get_backend
live = sorted(Article.objects.filter(status="published").values_list("pk", flat=True))
indexed = sorted(get_backend().indexed_ids())
rows = list(DBTaskResult.objects.values("status", "worker_ids", "task_path"))
print(json.dumps({"live": live, "indexed": indexed, "tasks": rows}))
"""


def _database_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "CITYDESK_DATA_DIR": str(tmp_path), "CITYDESK_LOG_LEVEL": "ERROR"}
    url = os.environ.get("CITYDESK_DATABASE_URL", "")
    if url:
        # PostgreSQL pass: a database of this test's own beside the suite's.
        import psycopg

        name = f"citydesk_crash_{os.getpid()}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["CITYDESK_DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    return env


def _citydesk(env: dict[str, str], *args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "citydesk", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        **kw,
    )


def _kill_midway(cmd: list[str], env: dict[str, str], rng: random.Random) -> None:
    """Start `cmd`, wait until it has begun, and SIGKILL it at a random moment."""
    child = subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert child.stdout is not None
    if "shell" in cmd:
        while (line := child.stdout.readline()) and line.strip() != "ready":
            pass
    time.sleep(rng.uniform(0.05, 1.5))
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)


def _jsonl(path: Path, start: int) -> Path:
    lines = [
        {
            "id": f"CRASH{start + n}",
            "broadcast_date": "2020-12-29",
            "pub_time": "2020-12-29 19:00:00",
            "title": f"导入崩溃测试{start + n} 平江路",
            "source": "CNTV",
            "keywords": ["古城"],
            "hl_tag": "",
            "brief": "",
            "url": f"https://example.com/{start + n}.shtml",
            "order": n,
            "body": f"导入正文{start + n}。",
        }
        for n in range(BURST)
    ]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    return path


@pytest.mark.skipif(
    os.environ.get("CITYDESK_CRASH_TEST", "1") == "0", reason="CITYDESK_CRASH_TEST=0"
)
def test_kill_9_during_bursts_loses_nothing(tmp_path):
    rng = random.Random(int(os.environ.get("CITYDESK_CRASH_SEED", "0")) or None)
    env = _database_env(tmp_path)
    _citydesk(env, "migrate", "--verbosity", "0", "--skip-checks")
    python = [sys.executable, "-m", "citydesk", "shell", "--no-imports", "-c"]
    for round_ in range(ROUNDS):
        _citydesk(env, "shell", "--no-imports", "-c", WARM)
        made = _citydesk({**env, "CRASH_ARG": str(BURST)}, "shell", "--no-imports", "-c", SETUP)
        ids = json.loads(made.stdout.strip().splitlines()[-1])
        _kill_midway([*python, PUBLISH_BURST], {**env, "CRASH_ARG": ",".join(map(str, ids))}, rng)
        _citydesk(env, "shell", "--no-imports", "-c", WARM)
        path = _jsonl(tmp_path / f"burst{round_}.jsonl", round_ * BURST)
        # The import leaves every follow-up to the worker, as when it runs on a node
        # without one: all of its batches' tasks must be found after the restart.
        _kill_midway(
            [sys.executable, "-m", "citydesk", "import", "jsonl", str(path), "--batch-size", "20"],
            {**env, "CITYDESK_TASKS_AFTER_COMMIT": "0"},
            rng,
        )
    out = _citydesk(env, "shell", "--no-imports", "-c", CHECK).stdout
    before = json.loads(out.strip().splitlines()[-1])
    pending_at_restart = len([t for t in before["tasks"] if t["status"] in ("READY", "RUNNING")])

    # Pages cached before the worker runs: the restart must refresh them.
    cache = tmp_path / "pagecache"
    assert (cache / "index.html").exists()
    worker = subprocess.Popen(
        [sys.executable, "-m", "citydesk", "worker"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            out = _citydesk(env, "shell", "--no-imports", "-c", CHECK).stdout
            state = json.loads(out.strip().splitlines()[-1])
            pending = [t for t in state["tasks"] if t["status"] in ("READY", "RUNNING")]
            if (not pending and state["live"] == state["indexed"]) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    assert state["live"], "no publish committed before the kills: the test proved nothing"
    assert pending_at_restart > 0, "the kills left no work for the restart: nothing proved"
    assert pending == [], f"{len(pending)} tasks still waiting {SETTLE_SECONDS} s after restart"
    assert state["live"] == state["indexed"], "published articles missing from search"
    failed = [t for t in state["tasks"] if t["status"] == "FAILED"]
    assert failed == []
    # A task runs twice only when a process died while running it: never more than the
    # kills, and each of those was a retry of work that had not finished.
    twice = [t for t in state["tasks"] if len(t["worker_ids"]) > 1]
    assert len(twice) <= 2 * ROUNDS
    # Nothing the restart left behind serves an old copy: every cached list page names
    # the newest live article it should.
    for page in (
        cache / "index.html",
        cache / "gundong" / "index.html",
        cache / "suzhou" / "index.html",
    ):
        if page.exists():
            newest = (
                _citydesk(
                    env,
                    "shell",
                    "--no-imports",
                    "-c",
                    "from citydesk.content.models import Article;"
                    "print(Article.objects.published().order_by('-published_at','-pk')[0].title)",
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            assert newest in page.read_text("utf-8"), f"{page} is stale"
    assert "sqlite" in settings.DATABASES["default"]["ENGINE"] or "CITYDESK_DATABASE_URL" in env
