"""Helpers for tests that need an outside service or the shared data folder."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def services_required() -> bool:
    """Under CI every service is installed, so a missing one is a failure, not a skip."""
    return os.environ.get("CITYDESK_REQUIRE_SERVICES") == "1"


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


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium through Playwright, for browser tests (closed afterwards)."""
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
        try:
            yield browser
        finally:
            browser.close()


def announced(announcement: Any) -> list[dict[str, Any]]:
    """The payloads of `announcement` stored so far (its first follower's task rows), in
    the order they were made: what a test reads to see what a change announced."""
    from django_tasks_db.models import DBTaskResult

    path = announcement.tasks[0].module_path
    rows = DBTaskResult.objects.filter(task_path=path).order_by("enqueued_at")
    return [row.args_kwargs["kwargs"] for row in rows]
