"""The crash test: `kill -9` at random moments during bursts of publishes, then a restart.

Each round starts a process that publishes 200 drafts one after another through the
content actions, or imports 200 articles with `citydesk import jsonl`, or serves the site
(`citydesk serve`) while a chief editor's 签发 of 200 pieces arrives over HTTP, and kills
it (SIGKILL; the server with its workers) at a random moment. Once every round is done, `citydesk
worker` starts, and within 10 s every committed, published article must be in the search
index, the pages that show them fresh, and no task lost or run twice.

It runs on the database the suite runs on (SQLite here; PostgreSQL in its pass), in a
database of its own made with `migrate`, since the killed processes need a real one.
"""

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from citydesk.core.testing import REPO_ROOT, free_port, run_citydesk, wait_for_port

ROUNDS = 3
BURST = 200
# What is tested is that nothing is lost, not how fast: a restarted worker drains the
# ~200 follow-ups in a few seconds alone, but CI runs other tests beside it (it once took
# over 10 s).
SETTLE_SECONDS = 30.0
# Not beside the cluster's tests, which load the machine most (pyproject: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("cluster")

PUBLISH_BURST = """
import os
from citydesk.content import actions
from citydesk.content.models import Article
ids = [int(i) for i in os.environ["CRASH_ARG"].split(",")]
for n, article in enumerate(Article.objects.filter(pk__in=ids).order_by("pk")):
    actions.do_publish_article(article)
    if n == 0:
        print("ready", flush=True)  # one publish committed: the kill comes after it
"""

# CRASH_ARG drafts, approved when CRASH_APPROVE is set (ready for 签发 over HTTP).
SETUP = """
import json, os
from citydesk.content import actions
from citydesk.content.actions import ArticleData
ids = []
for n in range(int(os.environ["CRASH_ARG"])):
    a = actions.create_article(ArticleData(
        title=f"崩溃测试第{n}篇 运河夜游", body=[{"type": "paragraph", "text": f"正文{n}。"}],
        channels=["suzhou"]))
    if os.environ.get("CRASH_APPROVE"):
        actions.set_review_state(a, "approved", review_stage=1)
    ids.append(a.pk)
print(json.dumps(ids))
"""

# A chief editor's session, printed as the cookie value to send.
LOGIN = """
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
user = User.objects.filter(username="chief").first() or User.objects.create_superuser("chief")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(session.session_key)
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


def _shell(env: dict[str, str], code: str) -> str:
    """Run Python in `citydesk shell`; its last line of output ("" when it printed none)."""
    lines = run_citydesk(env, "shell", "--no-imports", "-c", code).stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _drafts(env: dict[str, str], *, approved: bool = False) -> list[int]:
    extra = {"CRASH_APPROVE": "1"} if approved else {}
    return json.loads(_shell({**env, "CRASH_ARG": str(BURST), **extra}, SETUP))


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


def _restart_and_check(env: dict[str, str], cache: Path, kills: int) -> None:
    """Start `citydesk worker`; within SETTLE_SECONDS nothing the kills left may be lost."""
    before = json.loads(_shell(env, CHECK))
    pending_at_restart = [t for t in before["tasks"] if t["status"] in ("READY", "RUNNING")]
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
            state = json.loads(_shell(env, CHECK))
            pending = [t for t in state["tasks"] if t["status"] in ("READY", "RUNNING")]
            if (not pending and state["live"] == state["indexed"]) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    assert state["live"], "no publish committed before the kills: the test proved nothing"
    assert pending_at_restart, "the kills left no work for the restart: nothing proved"
    assert pending == [], f"{len(pending)} tasks still waiting {SETTLE_SECONDS} s after restart"
    assert state["live"] == state["indexed"], "published articles missing from search"
    assert [t for t in state["tasks"] if t["status"] == "FAILED"] == []
    # A task runs twice only when a process died while running it: never more often than
    # there were kills, and each was a retry of work that had not finished.
    assert len([t for t in state["tasks"] if len(t["worker_ids"]) > 1]) <= kills
    # Nothing the restart left behind serves an old copy: every cached list page names
    # the newest live article.
    newest = _shell(
        env,
        "from citydesk.content.models import Article;"
        "print(Article.objects.published().order_by('-published_at','-pk')[0].title)",
    )
    for page in ("index.html", "gundong/index.html", "suzhou/index.html"):
        if (cache / page).exists():
            assert newest in (cache / page).read_text("utf-8"), f"{page} is stale"


def _rng() -> random.Random:
    return random.Random(int(os.environ.get("CITYDESK_CRASH_SEED", "0")) or None)


def test_kill_9_during_bursts_loses_nothing(tmp_path):
    rng = _rng()
    env = _database_env(tmp_path)
    run_citydesk(env, "migrate", "--verbosity", "0", "--skip-checks")
    python = [sys.executable, "-m", "citydesk", "shell", "--no-imports", "-c"]
    for round_ in range(ROUNDS):
        _shell(env, WARM)
        ids = _drafts(env)
        burst = {**env, "CRASH_ARG": ",".join(map(str, ids))}
        if round_ == 0:
            # A node whose follow-ups a worker elsewhere runs: what it committed before
            # the kill is certainly left for the restart, whenever the kill lands.
            burst["CITYDESK_TASKS_AFTER_COMMIT"] = "0"
        _kill_midway([*python, PUBLISH_BURST], burst, rng)
        _shell(env, WARM)
        path = _jsonl(tmp_path / f"burst{round_}.jsonl", round_ * BURST)
        # The import leaves every follow-up to the worker, as when it runs on a node
        # without one: all of its batches' tasks must be found after the restart.
        _kill_midway(
            [sys.executable, "-m", "citydesk", "import", "jsonl", str(path), "--batch-size", "20"],
            {**env, "CITYDESK_TASKS_AFTER_COMMIT": "0"},
            rng,
        )
    # The import purged nothing: the home page cached before it is stale until the restart.
    assert (tmp_path / "pagecache" / "index.html").exists()
    _restart_and_check(env, tmp_path / "pagecache", kills=2 * ROUNDS)


def _publish_over_http(port: int, session: str, ids: list[int], done: list[int]) -> None:
    """签发 each article through the newsroom's step URL, as a chief editor's browser
    does, until the server stops answering."""
    token = "c" * 32  # a CSRF secret: the cookie and the header carry the same one
    for pk in ids:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/newsroom/a/{pk}/publish/",
            data=b"comment=",
            headers={
                "Cookie": f"sessionid={session}; csrftoken={token}",
                "X-CSRFToken": token,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            # 302 back to the dashboard: not followed, the redirect itself is the answer.
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.build_opener(_NoRedirect).open(request, timeout=30).close()
        except OSError:
            return  # the server was killed
        done.append(pk)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _tail(path: Path) -> str:
    return path.read_text("utf-8", errors="replace")[-3000:]


def test_kill_9_of_the_server_during_http_publishes(tmp_path):
    rng = _rng()
    env = {**_database_env(tmp_path), "CITYDESK_EMBEDDED_WORKER": "0"}
    run_citydesk(env, "migrate", "--verbosity", "0", "--skip-checks")
    session = _shell(env, LOGIN)
    answered: list[int] = []
    for round_ in range(ROUNDS):
        ids = _drafts(env, approved=True)
        port = free_port()
        log = (tmp_path / "serve.log").open("a")
        # Round 0's server leaves its follow-ups to a worker elsewhere, so the kill
        # certainly leaves work for the restart; the others run them after each commit.
        served = {**env, "CITYDESK_TASKS_AFTER_COMMIT": "0" if round_ == 0 else "1"}
        server = subprocess.Popen(
            [sys.executable, "-m", "citydesk", "serve", "--port", str(port), "--workers", "1"],
            cwd=REPO_ROOT,
            env=served,
            stdout=log,
            stderr=log,
            start_new_session=True,  # the server and its workers: one group to kill
        )
        try:
            wait_for_port(port, server, "citydesk serve", seconds=60)
            for url in ("/", "/gundong/", "/suzhou/"):  # cached, to be made stale
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{url}", timeout=30).close()
                except urllib.error.HTTPError as exc:
                    raise AssertionError(f"{url}: {exc}\n{_tail(tmp_path / 'serve.log')}") from exc
            publisher = threading.Thread(
                target=_publish_over_http, args=(port, session, ids, answered)
            )
            before = len(answered)
            publisher.start()
            # A few publishes answered first, however loaded the machine; then the kill.
            deadline = time.monotonic() + 120
            while len(answered) < before + 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 2.0))
        finally:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
            log.close()
        publisher.join(timeout=60)
    live = set(json.loads(_shell(env, CHECK))["live"])
    # Every publish the server answered had committed before it answered.
    assert set(answered) <= live
    _restart_and_check(env, tmp_path / "pagecache", kills=ROUNDS)
