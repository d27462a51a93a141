"""`citydesk serve` in a child process, on its own data folder, for the serving tests."""

import http.client
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citydesk.core.testing import REPO_ROOT, free_port, wait_for_port

# Content made through the newsroom's actions, in the child's own database.
CONTENT = """
import json, sys
import django
django.setup()
from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article

body = [{"type": "paragraph", "text": "古城保护更新工作推进会今天召开。" * 40}]
ids = []
for n in range(3):
    article = actions.create_article(
        ArticleData(
            title=f"古城保护第{n + 1}篇",
            body=body,
            credits=[("writer", "李明")],
            channels=["suzhou"],
            tags=["古城保护"],
        ),
        status=Article.Status.PUBLISHED,
    )
    ids.append(article.pk)
json.dump(ids, sys.stdout)
"""


@dataclass
class Served:
    url: str
    port: int
    data_dir: Path
    article_ids: list[int]
    process: subprocess.Popen[bytes]

    @property
    def page_cache(self) -> Path:
        return self.data_dir / "pagecache"


def child_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CITYDESK_DATA_DIR=str(data_dir),
        CITYDESK_EMBEDDED_WORKER="0",
        DJANGO_SETTINGS_MODULE="citydesk.settings",
        PYTHONPATH=str(REPO_ROOT),
    )
    env.pop("CITYDESK_DATABASE_URL", None)  # the child keeps to its own SQLite file
    return env


@contextmanager
def citydesk_serve(
    data_dir: Path,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    collectstatic: bool = False,
) -> Iterator[Served]:
    env = {**child_env(data_dir), **(env or {})}
    run = [sys.executable, "-m", "citydesk"]
    subprocess.run([*run, "migrate", "-v0"], env=env, check=True, cwd=REPO_ROOT)
    made = subprocess.run(
        [sys.executable, "-c", CONTENT], env=env, check=True, capture_output=True, text=True
    )
    ids = [int(pk) for pk in made.stdout.strip().strip("[]").split(",")]
    port = free_port()
    process = subprocess.Popen(
        [*run, "serve", "--port", str(port), "--workers", str(workers)]
        + ([] if collectstatic else ["--no-collectstatic"]),
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # Collecting compresses every static file first: long on a busy machine.
        wait_for_port(port, process, "citydesk serve", seconds=120 if collectstatic else 30)
        yield Served(f"http://127.0.0.1:{port}", port, data_dir, ids, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def fetch(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: bytes | None = None,
) -> tuple[Any, bytes]:
    """One request on a fresh connection; the path goes out exactly as given.

    The response comes as Any: its getheader() is what the tests assert on."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()
