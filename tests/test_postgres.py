"""The same code on PostgreSQL: the app test suites, run again against a real server."""

import os
import subprocess
import sys

import pytest

from citydesk.core.testing import REPO_ROOT, require_service


def _postgres_url() -> str:
    url = os.environ.get("CITYDESK_TEST_POSTGRES_URL", "")
    require_service(bool(url), "CITYDESK_TEST_POSTGRES_URL is not set (no PostgreSQL server)")
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=5).close()
    except Exception as exc:
        require_service(False, f"PostgreSQL at CITYDESK_TEST_POSTGRES_URL is unreachable: {exc}")
    return url


@pytest.mark.postgres
def test_app_suites_pass_on_postgresql(tmp_path):
    url = _postgres_url()
    env = {**os.environ, "CITYDESK_DATABASE_URL": url, "CITYDESK_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "citydesk",
            "-m",
            "not browser",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "--create-db",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,  # the whole suite, one process: ~17 min on a 2-vCPU machine
    )
    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, tail
    assert "vendor=postgresql" in result.stdout, result.stdout[:2000]
    assert " passed" in tail and " failed" not in tail, tail
