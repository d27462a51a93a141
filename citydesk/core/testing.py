"""Helpers for tests that need an outside service or the shared data folder."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def services_required() -> bool:
    """Under CI every service is installed, so a missing one is a failure, not a skip."""
    return os.environ.get("CITYDESK_REQUIRE_SERVICES") == "1"


def run_citydesk(
    env: dict[str, str], *args: str, check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`citydesk ARGS` in a child process with `env`, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "citydesk", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def require_service(available: bool, reason: str) -> None:
    if available:
        return
    if services_required():
        pytest.fail(f"CITYDESK_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def chromium_executable() -> str:
    path = os.environ.get("CITYDESK_CHROMIUM") or shutil.which("chromium") or ""
    require_service(bool(path), "Chromium is not installed (apt-get install chromium)")
    return path


def shared_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/data/{'/'.join(parts)} is absent")
    return path


class _Watched:
    """A Playwright browser whose every page reports Content-Security-Policy violations:
    a script, style or fetch the policy refused is a broken page even when the test's
    own assertions pass, so `chromium()` fails the test on any."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.violations: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)

    def _watch(self, page: Any) -> None:
        def heard(message: Any) -> None:
            if "Content Security Policy" in message.text:
                self.violations.append(f"{page.url}: {message.text}")

        page.on("console", heard)

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        context.on("page", self._watch)
        return context

    def new_page(self, **options: Any) -> Any:
        page = self._browser.new_page(**options)
        self._watch(page)
        return page


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium through Playwright, for browser tests (closed afterwards); a
    Content-Security-Policy violation on any of its pages fails the test."""
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    # Playwright runs an event loop in the test's thread; the ORM must still answer there.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        watched = _Watched(browser)
        try:
            yield watched
        finally:
            browser.close()
        assert not watched.violations, "\n".join(watched.violations)


def announced(announcement: Any) -> list[dict[str, Any]]:
    """The payloads of `announcement` stored so far (its first follower's task rows), in
    the order they were made: what a test reads to see what a change announced."""
    from django_tasks_db.models import DBTaskResult

    path = announcement.tasks[0].module_path
    rows = DBTaskResult.objects.filter(task_path=path).order_by("enqueued_at")
    return [row.args_kwargs["kwargs"] for row in rows]


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler for the local servers tests start: no access log on stderr."""

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A local HTTP server (a partner's feed, a webhook subscriber, Baidu's API) on a
    free port, in a thread, for the block; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


def free_port() -> int:
    """A local port free now, for a server the tests start (nginx, redis, `citydesk serve`)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: "subprocess.Popen[bytes]", *, seconds: float = 10) -> None:
    """Terminate a server the tests started; kill it if it has not gone in `seconds`."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_port(
    port: int, process: "subprocess.Popen[bytes]", name: str, *, seconds: float
) -> None:
    """Until `process` listens on `port`; its stderr in the error if it dies or times out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    # Stopped first: its stderr is read to the end, which a live one never has.
                    process.kill()
                    process.wait()
                err = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"{name} did not start:\n{err}") from None
            time.sleep(0.02)


@contextmanager
def redis_server(folder: Path, *options: str) -> Iterator[int]:
    """A redis-server of the tests' own on a free port (skipped when it is not
    installed), nothing saved to disk; `options` are more of its flags. Yields the port."""
    binary = shutil.which("redis-server")
    require_service(
        binary is not None, "redis-server is not installed (apt-get install redis-server)"
    )
    assert binary is not None
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_port(port, process, "redis-server", seconds=10)
        yield port
    finally:
        stop_process(process)


def at_once(work: Callable[[], T], *, threads: int = 2, timeout: float = 120) -> list[T]:
    """Run `work` in `threads` threads that start together (a barrier), as several workers
    would; their results, in the order they finished. Each thread closes its connection."""
    from django.db import connection

    start = threading.Barrier(threads)
    results: list[T] = []

    def run() -> None:
        try:
            start.wait()
            results.append(work())
        finally:
            connection.close()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=timeout)
    return results
