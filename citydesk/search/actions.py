"""Writes to the search index: index and unindex articles, rebuild the whole index.

Only published articles are indexed (one whose publish time is still ahead is indexed
too, and hidden by every search until that time); anything else is removed. Each call
works in batches with a short transaction each, so a rebuild can run while the site
serves readers and writers.
"""

import html
import multiprocessing
import os
import re
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from citydesk.content.models import Article, ArticleCredit
from citydesk.core.text import fold, index_words, parse_query
from citydesk.search import dictionary
from citydesk.search.backends import get_backend
from citydesk.search.backends.base import Filters, IndexDocument, Prepared, SearchBackend

BATCH_SIZE = 500
# Processes that prepare batches while the database stores them during a rebuild: one
# keeps a two-core machine's cores busy (docs/benchmarks.md, "Search").
REBUILD_WORKERS = max(1, min(3, (os.cpu_count() or 2) - 1))
_TAG = re.compile(r"<[^>]*>")


def body_text(blocks: Sequence[dict[str, Any]]) -> str:
    """The words a reader sees in a body: paragraphs, headings, captions.

    Bodies passed `clean_blocks`, so their HTML is well formed and a regular expression
    is enough to drop the tags (and several times faster than an HTML parser).
    """
    parts = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("paragraph", "heading"):
            parts.append(html.unescape(_TAG.sub("", str(block.get("text", "")))))
        elif kind in ("image", "video") and block.get("caption"):
            parts.append(html.unescape(str(block["caption"])))
    return "\n".join(parts)


def _chunks(ids: Sequence[int], size: int = BATCH_SIZE) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def documents(article_ids: Iterable[int]) -> list[IndexDocument]:
    """Index documents of the published articles among `article_ids` (three queries)."""
    return build_documents(*_read(article_ids))


Rows = tuple[list[Mapping[str, Any]], dict[int, list[str]]]


def _read(article_ids: Iterable[int]) -> Rows:
    """What the index documents of these articles are made of: the published articles'
    fields, and the tag and people names of each."""
    ids = list(dict.fromkeys(article_ids))
    rows: list[Mapping[str, Any]] = list(
        Article.objects.filter(pk__in=ids, status=Article.Status.PUBLISHED)
        .exclude(published_at=None)
        # In id order: SQLite fills its pages when rows come in key order, and leaves
        # them half empty when they come in reverse (the model's default order).
        .order_by("pk")
        .values(
            "pk",
            "title",
            "subtitle",
            "summary",
            "body",
            "source",
            "byline_organization",
            "published_at",
            "responsible_editor__name",
        )
    )
    found = [row["pk"] for row in rows]
    names: dict[int, list[str]] = defaultdict(list)
    tags = Article.tags.through.objects.filter(article_id__in=found)
    for article_id, name in tags.values_list("article_id", "tag__name"):
        names[article_id].append(name)
    people = ArticleCredit.objects.filter(article_id__in=found)
    for article_id, name in people.values_list("article_id", "person__name"):
        names[article_id].append(name)
    return rows, names


def build_documents(
    rows: list[Mapping[str, Any]], names: dict[int, list[str]]
) -> list[IndexDocument]:
    """Fold and segment what `_read` read: work for the CPU alone."""
    docs = []
    for row in rows:
        published_at = row["published_at"]
        if published_at is None:  # excluded by the query; for the type checker
            continue
        meta = [
            *names[row["pk"]],
            row["responsible_editor__name"] or "",
            row["source"],
            row["byline_organization"],
        ]
        title = fold(f"{row['title']}\n{row['subtitle']}")
        body = fold(f"{row['summary']}\n{body_text(row['body'] or [])}")
        docs.append(
            IndexDocument(
                article_id=row["pk"],
                title=index_words(title),
                body=index_words(body),
                meta=index_words(fold("\n".join(meta))),
                published_at=published_at,
                source=row["source"],
                folded_title=title,
                folded_body=body,
            )
        )
    return docs


def index_articles(
    article_ids: Iterable[int],
    *,
    backend: SearchBackend | None = None,
    batch_size: int = BATCH_SIZE,
    progress: "Progress | None" = None,
    workers: int = 0,
) -> int:
    """Bring the index in line with these articles: add the published, drop the rest.

    With `workers`, that many processes fold, segment and prepare the next batches while
    this one has the database store the last (a rebuild: see `reindex`).
    """
    backend = backend or get_backend()
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        return 0
    dictionary.refresh(force=True)
    chunks = list(_chunks(ids, max(1, batch_size)))
    added = done = 0
    pool = _pool(workers) if len(chunks) > 1 else None
    pending: deque[tuple[Sequence[int], Future[Prepared]]] = deque()
    try:
        for chunk in chunks:
            rows = _read(chunk)  # the database stays with this process
            if pool is None:
                added += _store(backend, chunk, _prepare(backend, rows))
                done += len(chunk)
                if progress:
                    progress(done, len(ids))
                continue
            pending.append((chunk, pool.submit(_prepare, backend, rows)))
            while len(pending) > workers or (pending and chunk is chunks[-1]):
                stored, future = pending.popleft()
                added += _store(backend, stored, future.result())
                done += len(stored)
                if progress:
                    progress(done, len(ids))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return added


def _pool(workers: int) -> ProcessPoolExecutor | None:
    """Processes forked with the dictionary loaded; they never touch the database.
    Processes, not threads: folding and segmenting hold Python's GIL."""
    if workers < 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def _prepare(backend: SearchBackend, rows: Rows) -> Prepared:
    return backend.prepare(build_documents(*rows))


def _store(backend: SearchBackend, chunk: Sequence[int], prepared: Prepared) -> int:
    added = backend.write(prepared)
    gone = set(chunk) - set(prepared.article_ids)
    if gone:
        backend.delete(gone)
    return added


def unindex_articles(article_ids: Iterable[int], *, backend: SearchBackend | None = None) -> None:
    (backend or get_backend()).delete(list(article_ids))


@dataclass
class ReindexResult:
    indexed: int = 0
    removed: int = 0


Progress = Callable[[int, int], None]  # (done, total)


def _published_ids(since: datetime | None) -> list[int]:
    qs = Article.objects.filter(status=Article.Status.PUBLISHED)
    if since is not None:
        qs = qs.filter(Q(updated_at__gte=since) | Q(published_at__gte=since))
    return list(qs.order_by("pk").values_list("pk", flat=True))


def ids_containing(word: str, *, backend: SearchBackend | None = None) -> list[int]:
    """Articles whose indexed text has `word`, whole or as the pieces an older dictionary
    cut it into (what `reindex --containing` rebuilds after a dictionary change)."""
    backend = backend or get_backend()
    dictionary.refresh(force=True)
    query = parse_query(word)
    filters = Filters(now=timezone.now() + timedelta(days=365 * 100))
    ids: list[int] = []
    while True:
        found = backend.search(
            query, filters, sort="time", limit=1000, offset=len(ids), count=False
        ).hits
        ids.extend(hit.article_id for hit in found)
        if len(found) < 1000:
            return ids


def reindex(
    *,
    since: datetime | None = None,
    containing: str = "",
    clear: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    backend: SearchBackend | None = None,
) -> ReindexResult:
    """Rebuild the index in place, batch by batch; readers keep getting answers meanwhile.

    With neither `since` nor `containing` every published article is indexed again and
    index entries of articles that are no longer published are removed. `clear` empties
    the index first (searches find less until it is done).
    """
    backend = backend or get_backend()
    result = ReindexResult()
    partial = since is not None or bool(containing)
    if clear and not partial:
        backend.clear()
    ids = _published_ids(since)
    if containing:
        wanted = set(ids_containing(containing, backend=backend))
        ids = [pk for pk in ids if pk in wanted] if since is not None else sorted(wanted)
    result.indexed = index_articles(
        ids, backend=backend, batch_size=batch_size, progress=progress, workers=REBUILD_WORKERS
    )
    if not partial:
        result.removed = _remove_unpublished(backend, set(ids))
        backend.optimize()
    return result


def _remove_unpublished(backend: SearchBackend, published: set[int]) -> int:
    """Entries left by articles unpublished or deleted while nobody was listening."""
    removed = 0
    candidates = [pk for pk in backend.all_indexed_ids() if pk not in published]
    for chunk in _chunks(candidates):
        # An article published after the rebuild listed its ids is not stale.
        live = set(
            Article.objects.filter(pk__in=chunk, status=Article.Status.PUBLISHED).values_list(
                "pk", flat=True
            )
        )
        gone = [pk for pk in chunk if pk not in live]
        backend.delete(gone)
        removed += len(gone)
    return removed
