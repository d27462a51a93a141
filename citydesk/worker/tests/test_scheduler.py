"""Scheduled publishing is never late: live within 2 s of its time, visitors or not.

First the loop under a clock the test controls; then the real commands in real time:
`citydesk worker` on its own, `citydesk serve` with its embedded worker, and two workers
at once.
"""

import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from citydesk.content import actions, queries, signals
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core.testing import REPO_ROOT, announced, at_once, free_port
from citydesk.worker import scheduler
from citydesk.worker.embedded import embedded_worker

DUE = datetime(2030, 5, 1, 10, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LIVE_WITHIN = 2.0  # seconds after the scheduled time: the promise


def draft(title: str = "端午龙舟赛直播预告") -> Article:
    body = [{"type": "paragraph", "text": "龙舟赛正文。"}]
    return actions.create_article(ArticleData(title=title, body=body, channels=["suzhou"]))


class FakeClock:
    """Time that moves only when the loop sleeps; `timezone.now` follows it too."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.until = start
        self.during_sleep: Callable[[], None] = lambda: None
        # (time, status) of the watched article each time the loop went to sleep.
        self.seen: list[tuple[datetime, str]] = []
        self.watch: Article | None = None

    def __call__(self) -> datetime:
        return self.now

    def run_until(self, until: datetime) -> None:
        """Run the scheduler loop until the clock reaches `until` (mid-sleep, maybe)."""
        self.until = until
        stop = threading.Event()

        def sleep(seconds: float) -> None:
            if self.watch is not None:
                self.watch.refresh_from_db()
                self.seen.append((self.now, self.watch.status))
            self.sleeps.append(seconds)
            # Half the sleep, then whatever "another process" does meanwhile, then the rest.
            for _ in range(2):
                self.now = min(self.now + timedelta(seconds=seconds / 2), until)
                if self.now >= until:
                    stop.set()
                    return
                self.during_sleep()

        scheduler.run(self, sleep, stop)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(DUE - timedelta(seconds=10))
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@pytest.mark.django_db
def test_the_loop_publishes_at_the_scheduled_time_and_not_before(clock):
    article = actions.do_schedule_article(draft(), DUE)
    clock.watch = article

    clock.run_until(DUE - timedelta(seconds=0.1))
    article.refresh_from_db()
    assert article.status == Article.Status.SCHEDULED
    assert article not in queries.live()

    clock.run_until(DUE + timedelta(seconds=0.5))
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article in queries.live()
    assert article.published_at == DUE  # the scheduled time, not the time it fired
    fired = next(at for at, status in clock.seen if status == Article.Status.PUBLISHED)
    assert DUE <= fired <= DUE + timedelta(seconds=0.25)
    assert all(status == Article.Status.SCHEDULED for at, status in clock.seen if at < DUE)
    assert clock.sleeps and max(clock.sleeps) <= scheduler.POLL_SECONDS
    assert min(clock.sleeps) > 0


@pytest.mark.django_db
def test_an_article_scheduled_elsewhere_while_the_loop_sleeps_is_still_on_time(clock):
    """The worst case: scheduled for less than a nap ahead, just after the loop fell asleep."""
    nap = timedelta(seconds=scheduler.POLL_SECONDS)
    # With nothing scheduled the loop naps POLL_SECONDS at a time: from here its last nap
    # before DUE starts at DUE - nap + 0.05 s, and the article is scheduled halfway through.
    clock.now = DUE - 10 * nap + timedelta(seconds=0.05)
    made: list[Article] = []

    def another_process_schedules() -> None:
        if not made and clock.now >= DUE - nap / 2:
            made.append(actions.do_schedule_article(draft("晚间加推"), DUE))
            clock.watch = made[0]

    clock.during_sleep = another_process_schedules
    clock.run_until(DUE + timedelta(seconds=3))
    [article] = made
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED and article.published_at == DUE
    fired = next(at for at, status in clock.seen if status == Article.Status.PUBLISHED)
    assert DUE < fired <= DUE + nap  # it slept through DUE, but not for long
    assert max(clock.sleeps) <= scheduler.POLL_SECONDS


@pytest.mark.django_db
def test_a_failing_cycle_is_logged_and_the_loop_goes_on(clock, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="citydesk.worker")
    article = actions.do_schedule_article(draft(), DUE)
    calls = Counter[str]()
    real = actions.publish_due_articles

    def flaky(now):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database is locked")
        return real(now)

    monkeypatch.setattr(actions, "publish_due_articles", flaky)
    clock.run_until(DUE + timedelta(seconds=1))
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert "scheduled publishing failed" in caplog.text
    assert f"published scheduled article {article.pk}" in caplog.text


def test_sleep_is_exact_near_the_time_and_bounded_otherwise():
    now = DUE - timedelta(seconds=0.3)
    assert scheduler.seconds_to_sleep(now, DUE) == pytest.approx(0.3)
    assert scheduler.seconds_to_sleep(now, DUE + timedelta(hours=1)) == scheduler.POLL_SECONDS
    assert scheduler.seconds_to_sleep(now, None) == scheduler.POLL_SECONDS
    assert scheduler.seconds_to_sleep(now, now - timedelta(seconds=5)) > 0


def test_the_embedded_worker_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("CITYDESK_EMBEDDED_WORKER", "0")
    with embedded_worker() as child:
        assert child is None


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="in-memory SQLite cannot take two writing threads; the two-process test covers it",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_in_threads_publish_each_article_once(monkeypatch):
    """On PostgreSQL: the row lock (skip_locked) decides which worker publishes."""
    drafts = [draft(f"稿{n}") for n in range(12)]
    due = timezone.now() + timedelta(minutes=1)
    ids = [actions.do_schedule_article(article, due).pk for article in drafts]
    monkeypatch.setattr(timezone, "now", lambda: due + timedelta(seconds=1))
    results = at_once(lambda: actions.publish_due_articles(timezone.now()), timeout=60)
    assert sorted(results[0] + results[1]) == sorted(ids)
    went_live = [
        p["article_id"]
        for p in announced(signals.article_changed)
        if p["after"] is not None and p["after"]["live"]
    ]
    assert sorted(went_live) == sorted(ids)  # each announced once
    published = Article.objects.filter(status=Article.Status.PUBLISHED)
    assert sorted(published.values_list("pk", flat=True)) == sorted(ids)
    assert set(published.values_list("published_at", flat=True)) == {due}


# Real time, real processes. Each gets a migrated SQLite database of its own, whatever
# database the suite itself runs on.


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("migrated")
    subprocess.run(
        [sys.executable, "-m", "citydesk", "migrate", "--verbosity", "0"],
        env=citydesk_env(data),
        cwd=REPO_ROOT,
        check=True,
        timeout=120,
    )
    return data


@pytest.fixture
def data_dir(migrated, tmp_path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(migrated, data)
    return data


def citydesk_env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CITYDESK_DATABASE_URL"}
    env.update(CITYDESK_DATA_DIR=str(data), CITYDESK_LOG_LEVEL="WARNING", **extra)
    return env


class Process:
    """A `citydesk` command running in the background, its stderr collected line by line."""

    def __init__(self, data: Path, *args: str, **env: str) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "citydesk", *args],
            env=citydesk_env(data, **env),
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            assert self.proc.poll() is None, "\n".join(self.lines)
            time.sleep(0.02)
        raise AssertionError(f"no {pattern!r} in:\n" + "\n".join(self.lines))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self.reader.join(timeout=5)
        return code

    def published(self) -> list[int]:
        return [
            int(m.group(1))
            for line in self.lines
            if (m := re.search(r"published scheduled article (\d+)", line))
        ]


SCHEDULE = """
import json
from datetime import timedelta
from django.utils import timezone
from citydesk.content import actions
from citydesk.content.actions import ArticleData
body = [{{"type": "paragraph", "text": "正文"}}]
drafts = [actions.create_article(ArticleData(f"定时稿件{{n}}", body)) for n in range({count})]
at = timezone.now() + timedelta(seconds={ahead})
ids = [actions.do_schedule_article(article, at).pk for article in drafts]
print(json.dumps({{"ts": at.timestamp(), "at": at.isoformat(), "ids": ids}}))
"""


def schedule(data: Path, *, ahead: float, count: int = 1) -> tuple[float, datetime, list[int]]:
    """Schedule articles from another process, as an editor would; (time, ids)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "citydesk",
            "shell",
            "-c",
            SCHEDULE.format(ahead=ahead, count=count),
        ],
        env=citydesk_env(data),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out["ts"], datetime.fromisoformat(out["at"]), out["ids"]


def wait_until_live(data: Path, ids: list[int], timeout: float) -> dict[int, float]:
    """Poll the database (as nobody visits) and note when each article went live."""
    seen: dict[int, float] = {}
    db = sqlite3.connect(data / "citydesk.sqlite3", timeout=10)
    try:
        deadline = time.time() + timeout
        while len(seen) < len(ids) and time.time() < deadline:
            marks = ",".join("?" * len(ids))
            rows = db.execute(
                f"SELECT id FROM content_article WHERE status = 'published' AND id IN ({marks})",
                ids,
            ).fetchall()
            now = time.time()
            for (pk,) in rows:
                seen.setdefault(pk, now)
            time.sleep(0.02)
    finally:
        db.close()
    assert len(seen) == len(ids), f"not live after {timeout} s: {set(ids) - set(seen)}"
    return seen


def stored_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def assert_on_time(seen: dict[int, float], due: float) -> None:
    for pk, at in seen.items():
        assert at >= due, f"article {pk} went live {due - at:.3f} s early"
        assert at - due <= LIVE_WITHIN, f"article {pk} went live {at - due:.3f} s late"


def test_citydesk_worker_publishes_on_time_in_real_time(data_dir):
    worker = Process(data_dir, "worker")
    try:
        worker.wait_for(r"citydesk worker started")
        due, at, ids = schedule(data_dir, ahead=2)
        seen = wait_until_live(data_dir, ids, timeout=due - time.time() + 5)
        assert_on_time(seen, due)
        db = sqlite3.connect(data_dir / "citydesk.sqlite3")
        [(published_at,)] = db.execute(
            "SELECT published_at FROM content_article WHERE id = ?", ids
        ).fetchall()
        db.close()
        assert stored_time(published_at) == at
    finally:
        code = worker.stop()
    assert code == 0, "\n".join(worker.lines)
    assert worker.published() == ids
    assert any("citydesk worker stopped" in line for line in worker.lines)


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_citydesk_serve_publishes_on_time_with_its_embedded_worker(data_dir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = Process(
        data_dir, "serve", "--port", str(port), "--workers", "1", CITYDESK_EMBEDDED_WORKER="1"
    )
    try:
        child = int(serve.wait_for(r"citydesk worker started \(pid (\d+)\)").group(1))
        deadline = time.time() + 60
        while get_status_or_none(base + "/") != 200:
            assert time.time() < deadline, "\n".join(serve.lines)
            time.sleep(0.1)
        due, _, [pk] = schedule(data_dir, ahead=2)
        # Nobody asks for the article before its time; from then on, a reader keeps trying.
        time.sleep(max(0.0, due - time.time()))
        status = 0
        while status != 200 and time.time() < due + 5:
            status = get_status(f"{base}/a/{pk}/")
            live_at = time.time()
            time.sleep(0.02)
        assert status == 200
        assert live_at - due <= LIVE_WITHIN, f"live {live_at - due:.3f} s after its time"
    finally:
        code = serve.stop()
    assert code == 0, "\n".join(serve.lines)
    assert serve.published() == [pk]
    assert not pid_alive(child), "the embedded worker outlived citydesk serve"


def get_status_or_none(url: str) -> int | None:
    try:
        return get_status(url)
    except OSError:
        return None


def pid_alive(pid: int) -> bool:
    """Running, that is: neither gone nor a zombie nobody has reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_embedded_worker_stops_when_its_server_is_killed(data_dir):
    """SIGKILL leaves `citydesk serve` no chance to stop its worker: the worker notices."""
    parent = subprocess.Popen(
        ["sh", "-c", f'"{sys.executable}" -m citydesk worker --parent-pid $$ & echo $!; wait'],
        env=citydesk_env(data_dir),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None and parent.stderr is not None
    child = int(parent.stdout.readline())
    assert "citydesk worker started" in parent.stderr.readline()
    parent.kill()
    parent.wait()
    deadline = time.time() + 2 * scheduler.POLL_SECONDS + 3
    while pid_alive(child) and time.time() < deadline:
        time.sleep(0.05)
    assert not pid_alive(child)


def test_two_workers_at_once_publish_each_article_exactly_once(data_dir):
    workers = [Process(data_dir, "worker") for _ in range(2)]
    try:
        for worker in workers:
            worker.wait_for(r"citydesk worker started")
        due, _, ids = schedule(data_dir, ahead=2, count=10)
        seen = wait_until_live(data_dir, ids, timeout=due - time.time() + 5)
        assert_on_time(seen, due)
        time.sleep(3 * scheduler.POLL_SECONDS)  # more cycles: nothing more may be published
    finally:
        codes = [worker.stop() for worker in workers]
    assert codes == [0, 0], "\n".join(workers[0].lines + workers[1].lines)
    published = Counter(workers[0].published() + workers[1].published())
    assert published == Counter(ids)  # every article once, by one worker or the other
