"""Backups: a consistent snapshot of everything a site is, and its restore.

A backup is a folder:

    manifest.json     when and from what it was made, the counts of the main tables in
                      the snapshot, and each file's size and SHA-256
    database.sqlite3  SQLite: a copy made with SQLite's online backup API, consistent
                      while the site writes (what the WAL holds is included; a `cp` of
                      the file is not consistent)
    database.dump     PostgreSQL: `pg_dump --format=custom` of one snapshot, the one the
                      manifest's counts were read in
    media/            uploads and renditions, copied after the database, so every file
                      the snapshot names is there
    secret_key        the key sessions, password resets and view hashes are signed with
                      (when the site keeps it in its data folder)

The search dictionary, the search index, the task queue and the rankings are tables:
they come with the database. The page cache and the static files are made again by the
restored site, so they are left out.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection

MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(Exception):
    """Why a backup or restore cannot be made; the message is for the operator."""


def _counted() -> dict[str, str]:
    """The tables the manifest counts: what an operator checks a restore by."""
    from django.contrib.auth.models import User
    from django_tasks_db.models import DBTaskResult

    from citydesk.content.models import Article, Channel, Image, Person, Tag, Topic
    from citydesk.newsroom.models import Revision
    from citydesk.search.models import DictionaryWord

    models = {
        "articles": Article,
        "images": Image,
        "channels": Channel,
        "topics": Topic,
        "people": Person,
        "tags": Tag,
        "revisions": Revision,
        "users": User,
        "dictionary_words": DictionaryWord,
        "tasks": DBTaskResult,
    }
    return {name: model._meta.db_table for name, model in models.items()}


def _counts(cursor: Any) -> dict[str, int]:
    """Rows in each counted table that exists (a backup made before a table was added
    has none of it; `citydesk migrate` makes it after the restore)."""
    counts = {}
    for name, table in _counted().items():
        try:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
        except (sqlite3.Error, DatabaseError):
            continue
        counts[name] = int(cursor.fetchone()[0])
    return counts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            yield path


def _empty_folder(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """pg_dump's and pg_restore's connection arguments for the default database."""
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    args = ["--dbname", str(db["NAME"])]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} 未安装（PostgreSQL 的客户端工具）：{exc}") from exc
    if done.returncode != 0:
        raise BackupError(f"{command[0]} 失败：{done.stderr.strip()[-2000:]}")


@dataclass
class Manifest:
    created_at: str
    vendor: str
    counts: dict[str, int]
    files: dict[str, dict[str, Any]]
    format: int = FORMAT

    def write(self, folder: Path) -> None:
        (folder / MANIFEST).write_text(
            json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        try:
            data = json.loads((folder / MANIFEST).read_text())
            manifest = cls(**data)
            whole = isinstance(manifest.counts, dict) and all(
                isinstance(info, dict) and {"bytes", "sha256"} <= set(info)
                for info in manifest.files.values()
            )
        except FileNotFoundError as exc:
            raise BackupError(f"{folder} 不是 citydesk 的备份：没有 {MANIFEST}") from exc
        except (ValueError, TypeError, AttributeError, OSError) as exc:
            raise BackupError(f"{folder / MANIFEST} 已损坏：{exc}") from exc
        if not whole:
            raise BackupError(f"{folder / MANIFEST} 已损坏：清单不完整")
        if manifest.format != FORMAT:
            raise BackupError(f"不认识的备份格式 {manifest.format}")
        return manifest


def backup(folder: Path) -> Manifest:
    """Write a backup of this site into `folder` (new, or an empty folder), readable by
    its owner only (it holds password hashes and the secret key). A backup that fails
    leaves nothing behind."""
    folder = Path(folder)
    if not _empty_folder(folder):
        raise BackupError(f"{folder} 已存在且不是空文件夹：备份不覆盖任何东西")
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        return _backup(folder)
    except BaseException as exc:
        # Nothing half-written is left for the next run to refuse (or to be restored).
        if made:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for child in folder.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        if isinstance(exc, (OSError, sqlite3.Error, shutil.Error, DatabaseError)):
            raise BackupError(f"备份失败：{exc}") from exc
        raise


def _backup(folder: Path) -> Manifest:
    vendor = connection.vendor
    if vendor == "sqlite":
        name = Path(settings.DATABASES["default"]["NAME"])
        if not name.is_file():
            raise BackupError(f"没有数据库文件 {name}：这里没有可备份的站点")
        target = folder / "database.sqlite3"
        target.touch(mode=0o600)
        source = sqlite3.connect(f"file:{name}?mode=ro", uri=True, timeout=30)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # one consistent snapshot, the WAL's commits included
            counts = _counts(copy.cursor())
        finally:
            copy.close()
            source.close()
    elif vendor == "postgresql":
        # The counts and the dump read one snapshot: the transaction exports it and
        # pg_dump takes it while the transaction is still open.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            try:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                counts = _counts(cursor)
                args, env = _pg_env()
                _run(
                    [
                        "pg_dump",
                        "--format=custom",
                        "--no-owner",
                        f"--snapshot={snapshot}",
                        "--file",
                        str(folder / "database.dump"),
                        *args,
                    ],
                    env,
                )
            finally:
                cursor.execute("ROLLBACK")
    else:
        raise BackupError(f"不支持的数据库：{vendor}")
    # Copied after the snapshot, so every file it names is there (unless deleted since,
    # when the page showing it is gone as well).
    media = Path(settings.MEDIA_ROOT)
    if media.exists():
        shutil.copytree(media, folder / "media", dirs_exist_ok=True)
    originals = Path(settings.DATA_DIR) / "originals"  # CITYDESK_KEEP_ORIGINAL_UPLOADS
    if originals.exists():
        shutil.copytree(originals, folder / "originals", dirs_exist_ok=True)
    key_file = Path(settings.DATA_DIR) / "secret_key"
    if key_file.exists() and key_file.read_text().strip() == settings.SECRET_KEY:
        shutil.copy2(key_file, folder / "secret_key")
    files = {
        str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
        for p in _files(folder)
    }
    manifest = Manifest(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        vendor=vendor,
        counts=counts,
        files=files,
    )
    manifest.write(folder)
    return manifest


def verify(folder: Path) -> Manifest:
    """The backup's manifest, once every file it lists is there, whole and unchanged."""
    folder = Path(folder)
    manifest = Manifest.read(folder)
    for name, info in manifest.files.items():
        path = folder / name
        if not path.is_file():
            raise BackupError(f"备份不完整：缺少 {name}")
        if path.stat().st_size != info["bytes"] or _sha256(path) != info["sha256"]:
            raise BackupError(f"备份已损坏：{name} 与清单中的校验值不符")
    extra = {str(p.relative_to(folder)) for p in _files(folder)} - set(manifest.files)
    if extra:
        raise BackupError(f"备份中有清单之外的文件：{', '.join(sorted(extra)[:5])}")
    return manifest


def restore(folder: Path) -> Manifest:
    """Restore a verified backup into this site's empty database and data folder."""
    try:
        return _restore(Path(folder))
    except (OSError, sqlite3.Error, shutil.Error, DatabaseError) as exc:
        raise BackupError(f"恢复失败：{exc}") from exc


def _restore(folder: Path) -> Manifest:
    manifest = verify(folder)
    vendor = connection.vendor
    if manifest.vendor != vendor:
        raise BackupError(f"备份来自 {manifest.vendor}，这里是 {vendor}：请恢复到同类数据库")
    media = Path(settings.MEDIA_ROOT)
    if not _empty_folder(media):
        raise BackupError(f"媒体文件夹 {media} 不是空的：恢复只写入空的站点")
    if vendor == "sqlite":
        name = Path(settings.DATABASES["default"]["NAME"])
        if name.exists() and _has_tables(sqlite3.connect(name)):
            raise BackupError(f"数据库 {name} 已有数据表：恢复只写入空的数据库")
        connection.close()
        name.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
        source = sqlite3.connect(folder / "database.sqlite3")
        target = sqlite3.connect(name)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            )
            if cursor.fetchone()[0]:
                raise BackupError("数据库已有数据表：恢复只写入空的数据库")
        args, env = _pg_env()
        # One transaction: a restore that fails leaves the database as empty as it was.
        dump = str(folder / "database.dump")
        _run(["pg_restore", "--no-owner", "--single-transaction", *args, dump], env)
    for part, into in (("media", media), ("originals", Path(settings.DATA_DIR) / "originals")):
        if (folder / part).exists():
            shutil.copytree(folder / part, into, dirs_exist_ok=True)
    if (folder / "secret_key").exists():
        key_file = Path(settings.DATA_DIR) / "secret_key"
        key_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / "secret_key", key_file)
        key_file.chmod(0o600)
    with connection.cursor() as cursor:
        restored = _counts(cursor)
    if restored != manifest.counts:
        raise BackupError(f"恢复后的数量与备份清单不符：{restored} ≠ {manifest.counts}")
    return manifest


def _has_tables(db: sqlite3.Connection) -> bool:
    try:
        return bool(
            db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        )
    finally:
        db.close()
