"""`citydesk backup` while the site publishes, and `citydesk restore` into an empty site:
the restored site holds exactly what was committed at the backup's moment, and serves.
Each site is a child process on its own data folder (SQLite), as in production."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from citydesk.core.testing import (
    REPO_ROOT,
    free_port,
    require_service,
    run_citydesk,
    wait_for_port,
)
from citydesk.portal.tests.served import child_env, fetch

# Publishes 快讯0000, 快讯0001, ... one commit each, until the stop file appears.
BURST = """
import sys, time
from pathlib import Path
import django
django.setup()
from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
stop = Path(sys.argv[1])
n = after = 0
while after < 5 or n < 40:  # at least five more once told to stop
    after += stop.exists()
    actions.create_article(
        ArticleData(
            title=f"快讯{n:04d}",
            body=[{"type": "paragraph", "text": f"第{n}条快讯的正文。"}],
            channels=["suzhou"],
        ),
        status=Article.Status.PUBLISHED,
    )
    n += 1
    print(n, flush=True)
"""

PICTURE = """
import io
import django
django.setup()
from PIL import Image
from citydesk.content import actions
out = io.BytesIO()
Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "JPEG")
actions.create_image("backup-test.jpg", out.getvalue(), caption="备份测试图片")
"""


def titles(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "citydesk.sqlite3") as db:
        rows = db.execute("SELECT title FROM content_article ORDER BY id").fetchall()
    return [title for (title,) in rows]


@pytest.fixture
def live_site(tmp_path) -> tuple[Path, dict[str, str]]:
    data_dir = tmp_path / "site"
    env = child_env(data_dir)
    run_citydesk(env, "migrate", "-v0")
    subprocess.run([sys.executable, "-c", PICTURE], env=env, cwd=REPO_ROOT, check=True)
    return data_dir, env


def test_a_backup_during_publishes_restores_exactly_what_was_committed(live_site, tmp_path):
    data_dir, env = live_site
    stop = tmp_path / "stop"
    burst = subprocess.Popen(
        [sys.executable, "-c", BURST, str(stop)],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert burst.stdout is not None
        while True:  # until the burst is under way
            line = burst.stdout.readline()
            assert line, "the burst ended before publishing 20 articles"
            if int(line) >= 20:
                break
        made = run_citydesk(env, "backup", str(tmp_path / "backup"))
        assert burst.poll() is None  # still publishing: the backup was taken mid-burst
    finally:
        stop.touch()
        burst.wait(timeout=60)
    assert "已备份" in made.stdout
    published = titles(data_dir)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    at_backup = manifest["counts"]["articles"]
    assert 20 <= at_backup < len(published)  # publishing went on after the snapshot

    restored_dir = tmp_path / "restored"
    restored_env = child_env(restored_dir)
    out = run_citydesk(restored_env, "restore", str(tmp_path / "backup"))
    assert "已恢复" in out.stdout
    # Exactly the first `at_backup` publishes, none missing, none after.
    assert titles(restored_dir) == published[:at_backup]
    assert titles(restored_dir) == [f"快讯{n:04d}" for n in range(at_backup)]
    assert (restored_dir / "secret_key").read_text() == (data_dir / "secret_key").read_text()
    pictures = list((restored_dir / "media").rglob("backup-test*.jpg"))
    assert len(pictures) == 1 and pictures[0].stat().st_size > 0

    # The restored site serves: an article, its channel, and search over its index.
    run_citydesk(restored_env, "migrate", "-v0")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "citydesk", "serve", "--port", str(port), "--no-collectstatic"],
        env={**restored_env, "CITYDESK_EMBEDDED_WORKER": "1"},
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, server, "citydesk serve", seconds=30)
        with sqlite3.connect(restored_dir / "citydesk.sqlite3") as db:
            (last,) = db.execute("SELECT max(id) FROM content_article").fetchone()
        response, body = fetch(port, f"/a/{last}/")
        assert response.status == 200 and f"快讯{at_backup - 1:04d}" in body.decode()
        # Its index entry may have been a task still waiting at the snapshot: the task
        # came with the database, and the restored site's worker runs it.
        deadline = time.monotonic() + 30
        while True:
            response, body = fetch(port, "/search/?q=" + quote(f"快讯{at_backup - 1:04d}"))
            if f"/a/{last}/" in body.decode() or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert response.status == 200 and f"/a/{last}/" in body.decode()
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_restore_refuses_a_site_that_is_not_empty(live_site, tmp_path):
    data_dir, env = live_site
    run_citydesk(env, "backup", str(tmp_path / "backup"))
    before = titles(data_dir)
    refused = run_citydesk(env, "restore", str(tmp_path / "backup"), check=False)
    assert refused.returncode != 0
    assert "不是空的" in refused.stderr or "已有数据表" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert titles(data_dir) == before
    # Nor does a backup overwrite anything.
    again = run_citydesk(env, "backup", str(tmp_path / "backup"), check=False)
    assert again.returncode != 0 and "不覆盖" in again.stderr


def test_a_damaged_backup_is_refused_and_nothing_is_written(live_site, tmp_path):
    _data_dir, env = live_site
    backup = tmp_path / "backup"
    run_citydesk(env, "backup", str(backup))
    database = backup / "database.sqlite3"
    raw = bytearray(database.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    database.write_bytes(bytes(raw))
    target = tmp_path / "target"
    refused = run_citydesk(child_env(target), "restore", str(backup), check=False)
    assert refused.returncode != 0 and "已损坏" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (target / "citydesk.sqlite3").exists()
    assert not (target / "media").exists()

    missing = run_citydesk(child_env(target), "restore", str(tmp_path / "nothing"), check=False)
    assert missing.returncode != 0 and "不是 citydesk 的备份" in missing.stderr


def test_the_manifest_says_what_the_backup_holds(live_site, tmp_path):
    _data_dir, env = live_site
    run_citydesk(env, "backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["vendor"] == "sqlite" and manifest["counts"]["images"] == 1
    assert manifest["counts"]["articles"] == 0 and manifest["counts"]["users"] == 0
    listed = set(manifest["files"])
    assert {"database.sqlite3", "secret_key"} <= listed
    assert any(name.startswith("media/") for name in listed)
    on_disk = {
        str(p.relative_to(tmp_path / "backup"))
        for p in (tmp_path / "backup").rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert listed == on_disk


def test_postgresql_backup_and_restore(tmp_path):
    url = os.environ.get("CITYDESK_TEST_POSTGRES_URL", "")
    require_service(bool(url), "CITYDESK_TEST_POSTGRES_URL is not set (no PostgreSQL server)")
    require_service(bool(shutil.which("pg_dump")), "pg_dump is not installed")
    import psycopg

    names = [f"citydesk_backup_{os.getpid()}_{side}" for side in ("from", "to")]
    admin = psycopg.connect(url, autocommit=True)
    try:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        base = url.rsplit("/", 1)[0]
        source = {**child_env(tmp_path / "from"), "CITYDESK_DATABASE_URL": f"{base}/{names[0]}"}
        run_citydesk(source, "migrate", "-v0")
        subprocess.run([sys.executable, "-c", PICTURE], env=source, cwd=REPO_ROOT, check=True)
        stop = tmp_path / "stop"
        stop.touch()  # the burst publishes its 40 and ends
        subprocess.run(
            [sys.executable, "-c", BURST, str(stop)],
            env=source,
            cwd=REPO_ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        run_citydesk(source, "backup", str(tmp_path / "backup"))
        manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
        assert manifest["vendor"] == "postgresql" and "database.dump" in manifest["files"]
        assert manifest["counts"]["articles"] == 40 and manifest["counts"]["images"] == 1

        target = {**child_env(tmp_path / "to"), "CITYDESK_DATABASE_URL": f"{base}/{names[1]}"}
        out = run_citydesk(target, "restore", str(tmp_path / "backup"))
        assert "已恢复" in out.stdout
        with psycopg.connect(f"{base}/{names[1]}") as db:
            rows = db.execute("SELECT title FROM content_article ORDER BY id").fetchall()
            found = db.execute(
                "SELECT count(*) FROM search_document WHERE title_text LIKE '%%快讯0039%%'"
            ).fetchone()
        assert [t for (t,) in rows] == [f"快讯{n:04d}" for n in range(40)]
        assert found == (1,)  # the search index came with the database
        again = run_citydesk(target, "restore", str(tmp_path / "backup"), check=False)
        assert again.returncode != 0
        assert "已有数据表" in again.stderr or "不是空的" in again.stderr
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_backup_is_private_and_a_failed_one_leaves_nothing(live_site, tmp_path):
    _data_dir, env = live_site
    run_citydesk(env, "backup", str(tmp_path / "backup"))
    assert (tmp_path / "backup").stat().st_mode & 0o077 == 0
    assert (tmp_path / "backup" / "database.sqlite3").stat().st_mode & 0o077 == 0
    # A site with no database: a clear refusal, and no folder left behind.
    nowhere = child_env(tmp_path / "no-site")
    refused = run_citydesk(nowhere, "backup", str(tmp_path / "second"), check=False)
    assert refused.returncode != 0 and "没有数据库文件" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "second").exists()


def test_a_malformed_manifest_is_a_clear_refusal(live_site, tmp_path):
    _data_dir, env = live_site
    backup = tmp_path / "backup"
    run_citydesk(env, "backup", str(backup))
    (backup / "manifest.json").write_text('{"created_at": 1, "vendor": "sqlite"}')
    refused = run_citydesk(child_env(tmp_path / "target"), "restore", str(backup), check=False)
    assert refused.returncode != 0 and "已损坏" in refused.stderr
    assert "Traceback" not in refused.stderr
