"""Helpers for tests that need an outside service or the shared data folder."""

import os
import shutil
from pathlib import Path

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
