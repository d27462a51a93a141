"""The page cache never makes a page fail.

A full or read-only cache disk is simulated two ways: errors injected where the cache
writes (a write that stops half way with ENOSPC, a rename that meets EROFS), and real
file systems: a folder chmod 0o500 (no use as root, who may write anyway) and small
tmpfs mounts, read-only or full (skipped, with the reason, where mounting is refused).
Each time the page answers 200 with the body Django rendered, nothing partial stays in
the cache folder, no .br or .gz is ever without its plain file, the failure shows in
cache_health(), and the log says it once a minute at most.
"""

import asyncio
import errno
import gzip
import logging
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import brotli
import pytest
from django.db import DatabaseError
from django.utils import timezone

from citydesk.portal.server import PageCacheFront
from citydesk.portal.tests.served import citydesk_serve, fetch
from citydesk.publishing import cache as cache_module
from citydesk.publishing import health
from citydesk.publishing.backends.base import PurgeError
from citydesk.publishing.backends.local import LocalFilesBackend
from citydesk.publishing.cache import PURGE_MARK, PageCache
from citydesk.publishing.models import QUIET_AFTER, CacheFailure
from citydesk.publishing.queries import cache_health

pytestmark = pytest.mark.django_db

URL = "/about/"
ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
EROFS = OSError(errno.EROFS, os.strerror(errno.EROFS))
EACCES = PermissionError(errno.EACCES, os.strerror(errno.EACCES))


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Iterator[list[float]]:
    """health's clock, moved by hand; and nothing this process reported before."""
    now = [1000.0]
    monkeypatch.setattr(health, "clock", lambda: now[0])
    health.reset()
    yield now
    health.reset()


@pytest.fixture
def cache(settings) -> PageCache:
    return PageCache(settings.PAGE_CACHE_DIR)


def files_in(root: Path) -> dict[str, bytes]:
    """Every file a reader could be sent (temporary files and the purge mark left out)."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.name != PURGE_MARK and not p.name.startswith(".")
    }


def leftovers(root: Path) -> list[str]:
    """Every file but the purge mark, temporary ones included."""
    if not root.exists():
        return []
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.name not in (PURGE_MARK, ".filler")
    )


def assert_no_lone_variant(files: dict[str, bytes]) -> None:
    """Each .gz and .br sits beside its plain file and holds the same page."""
    for name, data in files.items():
        for suffix, decompress in ((".gz", gzip.decompress), (".br", brotli.decompress)):
            if name.endswith(suffix):
                plain = name.removesuffix(suffix)
                assert plain in files, f"{name} without {plain}: {sorted(files)}"
                assert decompress(data) == files[plain], f"{name} is not {plain}'s page"


def under(root: Path, path: object) -> bool:
    return str(path).startswith(str(root))


def fd_under(root: Path, fd: int) -> bool:
    return os.readlink(f"/proc/self/fd/{fd}").startswith(str(root))


class StopsHalfWay:
    """A file whose disk fills up half way through the write."""

    def __init__(self, fh: object) -> None:
        self.fh = fh

    def __enter__(self) -> "StopsHalfWay":
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()  # type: ignore[attr-defined]

    def write(self, data: bytes) -> int:
        self.fh.write(data[: len(data) // 2])  # type: ignore[attr-defined]
        self.fh.flush()  # type: ignore[attr-defined]
        raise ENOSPC


def fill_up_at(monkeypatch, root: Path, n: int) -> list[int]:
    """The n-th file the cache opens under `root` meets a full disk; returns the count."""
    opened = [0]
    real = os.fdopen

    def fdopen(fd: int, *args: object, **kwargs: object) -> object:
        fh = real(fd, *args, **kwargs)  # type: ignore[call-overload]
        if fd_under(root, fd):
            opened[0] += 1
            if opened[0] == n:
                return StopsHalfWay(fh)
        return fh

    monkeypatch.setattr(os, "fdopen", fdopen)
    return opened


def fail_rename_at(monkeypatch, root: Path, n: int, error: OSError) -> None:
    """The n-th rename into `root` fails (every one when n is 0)."""
    renamed = [0]
    real = os.replace

    def replace(src: object, dst: object, **kwargs: object) -> None:
        if under(root, dst):
            renamed[0] += 1
            if n in (0, renamed[0]):
                raise error
        real(src, dst, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)


def uncached_body(client, settings) -> bytes:
    """The page as Django renders it with the cache turned off."""
    was = settings.CITYDESK_PAGE_CACHE
    settings.CITYDESK_PAGE_CACHE = False
    try:
        response = client.get(URL)
        assert response.status_code == 200
        return response.content
    finally:
        settings.CITYDESK_PAGE_CACHE = was


def cache_log(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "citydesk.publishing.cache" and "failed" in r.getMessage()
    ]


# Writes that meet a full disk or a read-only one ------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3], ids=["plain", "first-variant", "second-variant"])
def test_a_disk_that_fills_up_while_writing_leaves_the_old_page_whole(cache, monkeypatch, n):
    old = "<p>旧版</p>".encode() * 200
    assert cache.write(URL, old, rendered_since=time.time())
    before = files_in(cache.root)
    fill_up_at(monkeypatch, cache.root, n)
    assert not cache.write(URL, "<p>新版</p>".encode() * 200, rendered_since=time.time())
    # Every file was to be written before any was renamed: readers still have the old page.
    assert files_in(cache.root) == before
    assert leftovers(cache.root) == sorted(before)  # no temporary file either
    health_now = cache_health()
    assert not health_now.ok and health_now.failures == 1
    assert "写入页面缓存失败" in health_now.last_error
    assert os.strerror(errno.ENOSPC) in health_now.last_error


@pytest.mark.parametrize("n", [1, 2, 3], ids=["plain", "first-variant", "second-variant"])
def test_a_rename_that_fails_takes_back_what_it_had_put_in_place(cache, monkeypatch, n):
    fail_rename_at(monkeypatch, cache.root, n, EROFS)
    assert not cache.write(URL, b"<p>page</p>" * 100, rendered_since=time.time())
    assert leftovers(cache.root) == []
    assert os.strerror(errno.EROFS) in cache_health().last_error


def test_a_folder_that_cannot_be_made_is_a_failure_not_an_error(cache, monkeypatch):
    real = Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if under(cache.root, self):
            raise EACCES
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    assert not cache.write("/a/1/", b"<p>page</p>", rendered_since=time.time())
    assert leftovers(cache.root) == []
    assert os.strerror(errno.EACCES) in cache_health().last_error


@pytest.mark.parametrize("where", ["temporary file", "rename"])
def test_the_page_is_served_uncached_when_the_cache_cannot_be_written(
    client, settings, cache, monkeypatch, where
):
    expected = uncached_body(client, settings)
    if where == "temporary file":
        fill_up_at(monkeypatch, cache.root, 2)
    else:
        fail_rename_at(monkeypatch, cache.root, 2, EROFS)
    response = client.get(URL)
    assert response.status_code == 200 and response.content == expected
    assert "X-Cache" not in response  # not stored, and not said to be
    assert leftovers(cache.root) == []
    assert not cache_health().ok


def test_a_bug_in_the_cache_still_never_fails_the_page(
    client, settings, cache, monkeypatch, caplog
):
    expected = uncached_body(client, settings)

    def broken(body: bytes) -> dict[str, bytes]:
        raise ValueError("压缩出错")

    monkeypatch.setattr(cache_module, "_compress", broken)
    with caplog.at_level(logging.WARNING):
        response = client.get(URL)
    assert response.status_code == 200 and response.content == expected
    assert leftovers(cache.root) == []
    assert "压缩出错" in cache_health().last_error
    [record] = [r for r in caplog.records if r.name == "citydesk.publishing.cache"]
    assert record.exc_info is not None  # not the file system's: the traceback is logged


def test_failures_are_logged_once_a_minute_with_the_count_of_the_rest(
    client, settings, cache, monkeypatch, caplog, clock
):
    expected = uncached_body(client, settings)
    fail_rename_at(monkeypatch, cache.root, 0, OSError(errno.ENOSPC, "磁盘已满"))
    with caplog.at_level(logging.WARNING):
        assert client.get(URL).content == expected
        assert len(cache_log(caplog)) == 1
        first = cache_health()
        assert (first.ok, first.failures) == (False, 1) and first.failed_at is not None

        clock[0] += 30  # the same minute: counted, neither logged nor recorded
        assert client.get(URL).content == expected
        assert len(cache_log(caplog)) == 1
        assert cache_health().failures == 1

        clock[0] += 31  # a minute after the first: one line, one record, with the count
        assert client.get(URL).content == expected
    lines = cache_log(caplog)
    assert len(lines) == 2
    assert "磁盘已满" in lines[1] and "1 more since the previous message" in lines[1]
    later = cache_health()
    assert later.failures == 3 and not later.ok and "磁盘已满" in later.last_error
    assert later.failed_at is not None and later.failed_at >= first.failed_at
    assert leftovers(cache.root) == []


def test_the_cache_counts_as_healthy_after_a_quiet_spell_and_counts_anew(cache, clock):
    assert cache_health().ok and cache_health().failures == 0
    health.failed("write", ENOSPC)
    clock[0] += 120
    health.failed("write", ENOSPC)
    assert cache_health().failures == 2 and not cache_health().ok
    CacheFailure.objects.update(failed_at=timezone.now() - QUIET_AFTER - timedelta(seconds=1))
    quiet = cache_health()
    assert quiet.ok and quiet.failures == 2 and quiet.last_error  # the last one still shown
    clock[0] += 120
    health.failed("write", EROFS)
    again = cache_health()
    assert not again.ok and again.failures == 1
    assert os.strerror(errno.EROFS) in again.last_error


def test_a_database_that_refuses_the_record_never_fails_the_page(
    client, settings, monkeypatch, caplog
):
    expected = uncached_body(client, settings)
    fill_up_at(monkeypatch, Path(settings.PAGE_CACHE_DIR), 1)

    def refuse(*args: object, **kwargs: object) -> None:
        raise DatabaseError("database or disk is full")

    monkeypatch.setattr(CacheFailure, "record", refuse)
    with caplog.at_level(logging.WARNING):
        response = client.get(URL)
    assert response.status_code == 200 and response.content == expected
    assert "could not record a page cache failure" in caplog.text
    assert len(cache_log(caplog)) == 1  # the failure itself was still logged


def test_a_failure_on_an_event_loop_is_recorded_off_it(monkeypatch):
    saved: list[tuple[str, str]] = []
    done = threading.Event()

    def save(kind: str, error: str, count: int) -> None:
        saved.append((kind, threading.current_thread().name))
        done.set()

    monkeypatch.setattr(health, "_save", save)

    async def front() -> None:
        health.failed("read", EACCES)

    asyncio.run(front())
    assert done.wait(5)
    assert saved == [("read", "cache-health")]  # the ORM never runs on the loop's thread


def test_the_admin_lists_the_failures(admin_client):
    health.failed("write", OSError(errno.ENOSPC, "磁盘已满"))
    response = admin_client.get("/admin/publishing/cachefailure/")
    assert response.status_code == 200
    assert "磁盘已满" in response.content.decode()
    change = f"/admin/publishing/cachefailure/{CacheFailure.objects.get().pk}/change/"
    assert admin_client.get(change).status_code == 200
    assert admin_client.get("/admin/publishing/cachefailure/add/").status_code == 403


# A variant never without its plain file ---------------------------------------------------


def test_no_step_of_a_write_or_a_purge_shows_a_variant_without_its_page(cache, monkeypatch):
    """Each state after one rename or deletion is what a reader may find at that moment,
    and what a process that dies right then leaves behind."""
    states: list[dict[str, bytes]] = []
    real_replace, real_unlink = os.replace, os.unlink

    def replace(src: object, dst: object, **kwargs: object) -> None:
        real_replace(src, dst, **kwargs)  # type: ignore[arg-type]
        states.append(files_in(cache.root))

    def unlink(path: object, **kwargs: object) -> None:
        try:
            real_unlink(path, **kwargs)  # type: ignore[arg-type]
        finally:
            states.append(files_in(cache.root))

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "unlink", unlink)

    first, second = "<p>第一版</p>".encode() * 100, "<p>第二版</p>".encode() * 100
    assert cache.write(URL, first, rendered_since=time.time())
    assert {"about/index.html": first} in states  # the plain file goes in first
    written = len(states)
    assert cache.write(URL, second, rendered_since=time.time())
    assert len(states) >= written + 5  # the old variants deleted, then three renames
    assert {"about/index.html": first} in states[written:]  # no old variant by the new page
    assert {"about/index.html": second} in states[written:]
    purged = len(states)
    assert cache.purge([URL]) == [URL]
    assert len(states) >= purged + 3 and states[-1] == {}
    for state in states:
        assert_no_lone_variant(state)


def test_a_purge_waits_for_a_writer_in_the_same_folder(cache):
    assert cache.write("/a/1/", b"<p>page</p>", rendered_since=time.time())
    page = cache.path_for("/a/1/")
    assert page is not None
    fd = cache_module._lock_folder(page.parent)  # as a writer holds it between renames
    done = threading.Event()

    def purge() -> None:
        cache.purge(["/a/1/"])
        done.set()

    thread = threading.Thread(target=purge)
    thread.start()
    try:
        assert not done.wait(0.3)
        assert page.exists() and page.with_name("index.html.br").exists()
    finally:
        os.close(fd)
    thread.join(5)
    assert done.is_set() and files_in(cache.root) == {}


# Purges that cannot delete raise --------------------------------------------------------


def test_a_purge_that_cannot_delete_raises_after_trying_every_url(cache, monkeypatch):
    now = time.time()
    for url in ("/a/1/", "/a/2/"):
        assert cache.write(url, b"<p>page</p>" * 50, rendered_since=now)
    stuck = cache.path_for("/a/1/")
    real = os.unlink

    def unlink(path: object, **kwargs: object) -> None:
        if str(path) == str(stuck):
            raise EACCES
        real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", unlink)
    backend = LocalFilesBackend({"LOCATION": str(cache.root)})
    with pytest.raises(PurgeError, match="/a/1/"):
        backend.purge(["/a/1/", "/a/2/", "/a/3/"])  # /a/3/ was never cached: no error
    left = files_in(cache.root)
    assert left == {"a/1/index.html": b"<p>page</p>" * 50}  # its variants went first
    health_now = cache_health()
    assert not health_now.ok and "清除页面缓存失败" in health_now.last_error
    monkeypatch.setattr(os, "unlink", real)
    backend.purge(["/a/1/", "/a/2/"])  # the retry succeeds
    assert files_in(cache.root) == {}


def test_a_purge_of_pages_never_cached_does_not_raise(cache):
    LocalFilesBackend({"LOCATION": str(cache.root)}).purge(["/a/1/", "/nothing/here.xml"])
    assert (cache.root / PURGE_MARK).exists()


# `citydesk serve`'s front (citydesk/portal/server.py): an unreadable or vanished file is a miss


@pytest.fixture
def front(cache) -> Iterator[PageCacheFront]:
    app = PageCacheFront(lambda environ, start_response: [], root=cache.root)
    yield app
    app.pool.shutdown()


def fail_open(monkeypatch, target: Callable[[str], bool], error: OSError) -> None:
    """The front's open() of the files `target` picks fails."""
    from citydesk.portal import server

    def opener(path: str, *args: object, **kwargs: object) -> object:
        if target(str(path)):
            raise error
        return open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(server, "open", opener, raising=False)


def test_the_front_takes_an_unreadable_page_for_a_miss(cache, front, monkeypatch, caplog):
    assert cache.write(URL, b"<p>page</p>" * 50, rendered_since=time.time())
    fail_open(monkeypatch, lambda path: path.endswith("index.html"), EACCES)
    with caplog.at_level(logging.WARNING):
        assert front.lookup(URL) is None
        assert front.lookup(URL) is None
    assert len(cache_log(caplog)) == 1
    health_now = cache_health()
    assert "读取页面缓存失败" in health_now.last_error and not health_now.ok


def test_the_front_takes_a_vanished_page_for_a_miss_quietly(cache, front, monkeypatch, caplog):
    assert cache.write(URL, b"<p>page</p>" * 50, rendered_since=time.time())
    fail_open(monkeypatch, lambda path: path.endswith("index.html"), FileNotFoundError())
    with caplog.at_level(logging.WARNING):
        assert front.lookup(URL) is None
    assert cache_log(caplog) == [] and cache_health().ok  # a purge, not a fault


def test_the_front_serves_the_page_without_a_variant_it_cannot_read(cache, front, monkeypatch):
    assert cache.write(URL, b"<p>page</p>" * 50, rendered_since=time.time())
    fail_open(monkeypatch, lambda path: path.endswith(".br"), EACCES)
    page = front.lookup(URL)
    assert page is not None and sorted(page.representations) == ["", "gzip"]
    assert page.representations[""].body == b"<p>page</p>" * 50
    assert "读取页面缓存失败" in cache_health().last_error


def test_the_front_picks_up_variants_renamed_in_after_the_page(cache, front):
    body = b"<p>page</p>" * 50
    assert cache.write(URL, body, rendered_since=time.time())
    plain = cache.path_for(URL)
    assert plain is not None
    variants = {s: plain.with_name(plain.name + s).read_bytes() for s in (".br", ".gz")}
    for suffix in variants:
        plain.with_name(plain.name + suffix).unlink()  # read between the renames
    page = front.lookup(URL)
    assert page is not None and sorted(page.representations) == [""]
    assert front.lookup(URL) is page  # nothing new: the page held stays
    for suffix, data in variants.items():
        plain.with_name(plain.name + suffix).write_bytes(data)
    again = front.lookup(URL)
    assert again is not None and sorted(again.representations) == ["", "br", "gzip"]


# Real file systems -----------------------------------------------------------------------


def mount_tmpfs(path: Path, options: str) -> str | None:
    """Mount a tmpfs at `path`; None, or why it could not be."""
    if shutil.which("mount") is None:
        return "no mount command here"
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        return f"mounting a tmpfs is not allowed here: {done.stderr.strip() or done.returncode}"
    return None


def unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def writable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"x")
    except OSError:
        return False
    probe.unlink()
    return True


@pytest.fixture(params=["chmod", "read-only tmpfs"])
def read_only_cache(request, settings) -> Iterator[Path]:
    root = Path(settings.PAGE_CACHE_DIR)
    if request.param == "chmod":
        root.mkdir(parents=True)
        root.chmod(0o500)
        try:
            if writable(root):
                pytest.skip("running as root: chmod 0o500 does not stop root's writes")
            yield root
        finally:
            root.chmod(0o700)
    else:
        reason = mount_tmpfs(root, "ro,size=1m,mode=0755")
        if reason:
            pytest.skip(reason)
        try:
            assert not writable(root)
            yield root
        finally:
            unmount(root)


def test_a_read_only_cache_folder_serves_every_page_uncached(client, read_only_cache):
    response = client.get(URL)
    assert response.status_code == 200 and "X-Cache" not in response
    assert response.content == client.get(URL).content
    assert leftovers(read_only_cache) == []
    health_now = cache_health()
    assert not health_now.ok and health_now.failures >= 1
    assert "写入页面缓存失败" in health_now.last_error


@pytest.fixture
def full_cache(settings) -> Iterator[Path]:
    """A 256 KiB tmpfs with one 4 KiB page left free."""
    root = Path(settings.PAGE_CACHE_DIR)
    reason = mount_tmpfs(root, "size=256k,mode=0755")
    if reason:
        pytest.skip(reason)
    try:
        filler = root / ".filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        os.truncate(filler, filler.stat().st_size - 4096)
        yield root
    finally:
        unmount(root)


def test_a_full_cache_disk_serves_every_page_uncached_and_leaves_nothing(
    client, settings, full_cache, caplog
):
    expected = uncached_body(client, settings)
    assert len(expected) > 4096  # more than the room left
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            response = client.get(URL)
            assert response.status_code == 200 and response.content == expected
    assert leftovers(full_cache) == []
    assert len(cache_log(caplog)) == 1
    health_now = cache_health()
    assert os.strerror(errno.ENOSPC) in health_now.last_error and not health_now.ok


def test_a_purge_on_a_read_only_cache_raises(settings, tmp_path):
    root = Path(settings.PAGE_CACHE_DIR)
    reason = mount_tmpfs(root, "size=1m,mode=0755")
    if reason:
        pytest.skip(reason)
    try:
        cache = PageCache(root)
        assert cache.write(URL, b"<p>page</p>" * 50, rendered_since=time.time())
        subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        with pytest.raises(PurgeError, match=os.strerror(errno.EROFS)):
            LocalFilesBackend({"LOCATION": str(root)}).purge([URL])
        assert cache.read(URL) == b"<p>page</p>" * 50  # still there: the caller retries
        assert "清除页面缓存失败" in cache_health().last_error
    finally:
        unmount(root)


def test_serve_answers_every_page_from_a_read_only_cache(tmp_path):
    """`citydesk serve` end to end: misses go to Django, which cannot store them."""
    cache_dir = tmp_path / "ro-pagecache"
    reason = mount_tmpfs(cache_dir, "size=1m,mode=0755")
    if reason:
        pytest.skip(reason)
    try:
        env = {"CITYDESK_PAGE_CACHE_DIR": str(cache_dir)}
        with citydesk_serve(tmp_path / "data", env=env) as served:
            subprocess.run(["mount", "-o", "remount,ro", str(cache_dir)], check=True)
            url = f"/a/{served.article_ids[0]}/"
            bodies = []
            for _ in range(2):
                response, body = fetch(served.port, url)
                assert response.status == 200 and response.getheader("X-Cache") is None
                bodies.append(body)
            assert "古城保护第1篇" in bodies[0].decode()
            assert bodies[0] == bodies[1]
        assert leftovers(cache_dir) == []
        with sqlite3.connect(served.data_dir / "citydesk.sqlite3") as db:
            rows = db.execute("SELECT kind, last_error FROM publishing_cachefailure").fetchall()
        assert os.strerror(errno.EROFS) in dict(rows)["write"]  # the child's own record
    finally:
        unmount(cache_dir)
