"""The page cache: rendered pages stored as files keyed by URL path.

A front server (nginx, or `citydesk serve`) answers from these files without running
Django; Django writes a file when it renders a cacheable page, and purges delete them.

Layout under PAGE_CACHE_DIR, for a URL path P:
  P ends with "/"  ->  P + "index.html"   (/a/26/ -> a/26/index.html)
  otherwise        ->  P                   (/rss.xml -> rss.xml)
each beside its precompressed variants FILE.gz and FILE.br.

Why hand-written: no maintained Django package writes nginx-servable static files with
precompressed variants, atomic replacement and purge-safety together.
"""

import gzip
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import brotli
from django.conf import settings

MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 200  # file systems allow 255 bytes; leave room for ".gz" and temp names
PURGE_MARK = ".purged"  # its mtime is the time of the last purge
VARIANTS = (".br", ".gz")  # written before the plain file, deleted after it


def _compress(body: bytes) -> dict[str, bytes]:
    # Brotli's quality 5, not its best (11): the variants are made on the request that
    # misses, and 11 takes 10-50 ms a page for files only ~8% smaller.
    return {
        ".gz": gzip.compress(body, compresslevel=9, mtime=0),
        ".br": brotli.compress(body, quality=5),
    }


class PageCache:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root if root is not None else settings.PAGE_CACHE_DIR)

    def path_for(self, url_path: str) -> Path | None:
        """The file for a URL path, or None when the path may not be cached.

        `url_path` is the decoded path (Django's request.path, nginx's $uri). Anything
        that could step outside the cache folder or that a file system cannot name is
        refused, so no URL can write elsewhere.
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
        path = self.root.joinpath(*directories, name)
        # Belt and braces: the checks above already exclude "..".
        if not path.resolve().is_relative_to(self.root.resolve()):
            return None
        return path

    def write(self, url_path: str, body: bytes, *, rendered_since: float) -> bool:
        """Store a page rendered from data read at or after `rendered_since` (time.time()).

        Refused when a purge happened after that moment: the render may have read the
        data the purge was for, and storing it would bring the stale page back.
        """
        path = self.path_for(url_path)
        if path is None or self.last_purge() >= rendered_since:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix, data in _compress(body).items():
            self._replace(path.with_name(path.name + suffix), data)
        self._replace(path, body)
        return True

    def read(self, url_path: str) -> bytes | None:
        path = self.path_for(url_path)
        try:
            return path.read_bytes() if path else None
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def purge(self, url_paths: Iterable[str]) -> list[str]:
        """Delete the files of these URL paths; returns the paths that had a file."""
        self._mark_purge()
        purged = []
        for url_path in url_paths:
            path = self.path_for(url_path)
            if path is None:
                continue
            try:
                path.unlink()
                purged.append(url_path)
            except FileNotFoundError:
                pass
            for suffix in VARIANTS:
                path.with_name(path.name + suffix).unlink(missing_ok=True)
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

    @staticmethod
    def _replace(path: Path, data: bytes) -> None:
        # Write beside the target, then rename over it: a reader sees the old file or
        # the new one, never a half-written one.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
