"""The page cache: rendered pages stored as files keyed by URL path.

A front server (nginx, or `citydesk serve`) answers from these files without running
Django; Django writes a file when it renders a cacheable page, and purges delete them.

Layout under PAGE_CACHE_DIR, for a URL path P:
  P ends with "/"  ->  P + "index.html"   (/a/26/ -> a/26/index.html)
  otherwise        ->  P                   (/rss.xml -> rss.xml)
each beside its precompressed variants FILE.gz and FILE.br.

Why hand-written: no maintained Django package writes nginx-servable static files with
precompressed variants, atomic replacement and purge-safety together.

The cache never makes a page fail: a write that meets a full or read-only disk leaves
nothing behind, is reported to `health` and the page goes out uncached. A purge that
cannot delete a file raises, so that its caller can try again.

A variant never shows without its plain file, nor beside another render's. A reader
finds the plain file, then opens a variant beside it (nginx: try_files, then
gzip_static/brotli_static; `citydesk serve`'s front, citydesk/portal/server.py): a
variant left a moment after its plain file went would be a purged page sent again. So,
in every folder, writers and purges take turns (an flock on the folder), and:
  write:  every file is written under a temporary name first (a full disk fails here,
          with nothing visible changed); then the old variants are deleted, the plain
          file is renamed into place, and the variants after it;
  purge:  the variants are deleted, then the plain file.
Every state in between is "no page", "a plain file alone" (a whole page, sent
uncompressed) or "a plain file with variants of the same render". A process that dies
part way leaves one of those (and perhaps a .tmp- file, which no reader serves); a
failed write takes back what it had put in place. Without the turns, a purge between a
writer's renames could leave that writer's variants behind it.
"""

import fcntl
import gzip
import os
import tempfile
import time
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

import brotli
from django.conf import settings

from citydesk.publishing import health

MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 200  # file systems allow 255 bytes; leave room for ".gz" and temp names
PURGE_MARK = ".purged"  # its mtime is the time of the last purge
VARIANTS = (".br", ".gz")  # renamed into place after the plain file, deleted before it


def _compress(body: bytes) -> dict[str, bytes]:
    # Brotli's quality 5, not its best (11): the variants are made on the request that
    # misses, and 11 takes 10-50 ms a page for files only ~8% smaller.
    return {
        ".gz": gzip.compress(body, compresslevel=9, mtime=0),
        ".br": brotli.compress(body, quality=5),
    }


class PageCache:
    def __init__(self, root: Path | str | None = None) -> None:
        # Normalised once, so a path made under it is normalised too.
        self.root = Path(os.path.normpath(root if root is not None else settings.PAGE_CACHE_DIR))

    def path_for(self, url_path: str) -> Path | None:
        """The file for a URL path, or None when the path may not be cached.

        `url_path` is the decoded path (Django's request.path, nginx's $uri). Anything
        that could step outside the cache folder or that a file system cannot name is
        refused, so no URL can write elsewhere. (The folder must be the app's alone: a
        link someone else puts in it is followed.)
        """
        if not url_path.startswith("/") or len(url_path.encode()) > MAX_PATH_BYTES:
            return None
        if any(ch in url_path for ch in ("\x00", "\\", "\r", "\n")):
            return None
        segments = url_path[1:].split("/")
        name = "index.html" if url_path.endswith("/") else segments[-1]
        directories = segments[:-1]
        for segment in [*directories, name]:
            if not segment or segment.startswith(".") or len(segment.encode()) > MAX_SEGMENT_BYTES:
                return None
        # No segment is empty or starts with ".", so none is "..": the path is inside the
        # root as written. (Not resolved on disk: a realpath per URL, a stat per folder,
        # was most of a bulk import's purge; the app makes no links in the cache.)
        return self.root.joinpath(*directories, name)

    def write(self, url_path: str, body: bytes, *, rendered_since: float) -> bool:
        """Store a page rendered from data read at or after `rendered_since` (time.time()).

        Refused when a purge happened after that moment: the render may have read the
        data the purge was for, and storing it would bring the stale page back. False
        too when the disk refuses (full, read-only): the failure goes to `health`.
        """
        path = self.path_for(url_path)
        if path is None:
            return False
        try:
            if self.last_purge() >= rendered_since:
                return False
            return self._store(path, body, rendered_since)
        except OSError as exc:
            health.failed("write", exc)
            return False

    def read(self, url_path: str) -> bytes | None:
        """The stored page, or None: a file that is gone or unreadable is a miss."""
        path = self.path_for(url_path)
        try:
            return path.read_bytes() if path else None
        except OSError:
            return None

    def purge(self, url_paths: Iterable[str]) -> list[str]:
        """Delete the files of these URL paths; returns the paths that had a file.

        Goes through every path even when some fail, then raises PurgeIncomplete if a
        file (or the purge mark) could not be written or deleted: the caller retries.
        """
        errors: list[tuple[str, OSError]] = []
        try:
            self._mark_purge()
        except OSError as exc:
            # Without the mark a render in flight could store the old page: an error too.
            errors.append((PURGE_MARK, exc))
        purged = []
        for url_path in url_paths:
            path = self.path_for(url_path)
            if path is None:
                continue
            try:
                if self._remove(path):
                    purged.append(url_path)
            except OSError as exc:
                errors.append((url_path, exc))
        if errors:
            error = PurgeIncomplete(purged, errors)
            health.failed("purge", error, log=False)  # the caller logs what it catches
            raise error
        return purged

    def clear(self) -> int:
        """Delete every cached page (a deploy that changed templates); how many files.

        Content changes never need this: they purge exactly what they change.
        """
        self._mark_purge()  # a render in flight now must not store its old-template page
        removed = 0
        for path in sorted(self.root.rglob("*"), reverse=True):  # files before their folders
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()
            elif path.name != PURGE_MARK:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def last_purge(self) -> float:
        try:
            return (self.root / PURGE_MARK).stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def _mark_purge(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        mark = self.root / PURGE_MARK
        now = time.time()
        mark.touch()
        os.utime(mark, (now, now))

    def _store(self, path: Path, body: bytes, rendered_since: float) -> bool:
        path.parent.mkdir(parents=True, exist_ok=True)
        variants = {path.with_name(path.name + s): data for s, data in _compress(body).items()}
        temps: dict[Path, str] = {}
        try:
            # All three are written before any is renamed: a full disk fails here, while
            # readers still see what was there before.
            temps[path] = _write_temp(path.parent, body)
            for variant, data in variants.items():
                temps[variant] = _write_temp(path.parent, data)
            fd = _lock_folder(path.parent)
            try:
                # Again, now that no purge can run in this folder until we are done: a
                # purge marked while the page was compressed would otherwise be undone.
                if self.last_purge() >= rendered_since:
                    return False
                for variant in variants:
                    variant.unlink(missing_ok=True)  # an old one must not sit by the new page
                try:
                    os.replace(temps[path], path)
                    del temps[path]
                    for variant in variants:
                        os.replace(temps[variant], variant)
                        del temps[variant]
                except OSError:
                    _remove_quietly(path)
                    raise
            finally:
                os.close(fd)  # which releases the lock
            return True
        finally:
            for tmp in temps.values():
                with suppress(OSError):
                    os.unlink(tmp)

    def _remove(self, path: Path) -> bool:
        """Delete a page's variants, then its plain file; whether the plain file was
        there. Raises the first error other than "not there", after trying them all."""
        try:
            fd = _lock_folder(path.parent)
        except (FileNotFoundError, NotADirectoryError):
            return False  # no folder, no page
        try:
            error: OSError | None = None
            for suffix in VARIANTS:
                try:
                    path.with_name(path.name + suffix).unlink(missing_ok=True)
                except NotADirectoryError:
                    pass
                except OSError as exc:
                    error = error or exc
            # The plain file goes even when a variant stayed: a stale page served is
            # worse than a variant that no reader finds (they all look for the plain
            # file first), and the retry the error asks for removes it.
            try:
                path.unlink()
                had = True
            except (FileNotFoundError, NotADirectoryError):
                had = False
            if error is not None:
                raise error
            return had
        finally:
            os.close(fd)


class PurgeIncomplete(Exception):
    """Some of a purge's files could not be deleted; `purged` are those that were."""

    def __init__(self, purged: list[str], errors: list[tuple[str, OSError]]) -> None:
        self.purged = purged
        self.errors = errors
        shown = "; ".join(f"{url}: {exc}" for url, exc in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"could not purge {len(errors)} of the page cache's paths: {shown}{more}")


def _lock_folder(folder: Path) -> int:
    """A descriptor of `folder`, locked until it is closed.

    Writers and purges of the pages in a folder take turns, across processes: the order
    of their renames and deletions then holds as a whole (see the module's docstring).
    Held for a few renames or deletions, never while a page renders or compresses.
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_temp(folder: Path, data: bytes) -> str:
    """`data` in a new file in `folder` (a name no reader serves: a dot first), readable
    by the front server. Nothing is left behind when it fails."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _remove_quietly(path: Path) -> None:
    """Undo a write that failed part way: variants first, then the plain file, and the
    plain file only when no variant stayed."""
    try:
        for suffix in VARIANTS:
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        path.unlink(missing_ok=True)
    except OSError:
        pass
