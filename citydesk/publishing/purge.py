"""Send stale URLs to every purge backend; one that fails is raised once all were tried.

Purges run as durable tasks (citydesk.publishing.tasks): raising makes the task retry the
whole purge later, which is harmless for the backends that succeeded this time.
"""

import logging
import time
from collections.abc import Iterable

from citydesk.core import metrics
from citydesk.publishing import keys as purge_keys
from citydesk.publishing.affected import Affected
from citydesk.publishing.backends import purge_backends

logger = logging.getLogger(__name__)


class PurgeFailed(RuntimeError):
    """At least one backend could not purge; the others did."""


def purge_urls(
    urls: Iterable[str], keys: Iterable[str] | None = None, *, by_key_only: bool = False
) -> list[str]:
    """Purge these URL paths everywhere (by their surrogate `keys`, where a backend purges
    by key: publishing.keys; by default the URLs' own), or with `by_key_only` the keys
    from those backends alone; returns the URLs (or keys), sorted and without repeats.
    Raises PurgeFailed (after trying every backend) when one of them failed."""
    paths = sorted(set(urls))
    tags = sorted(set(keys)) if keys is not None else purge_keys.for_urls(paths)
    if not paths and not tags:
        return paths
    backends = [b for b in purge_backends.all() if b.by_key or not by_key_only]
    sent_keys = sent_urls = False
    failed = []
    for backend in backends:
        started = time.perf_counter()
        what = f"{len(tags)} keys" if backend.by_key else f"{len(paths)} URLs"
        try:
            if backend.by_key:
                if tags:
                    sent_keys = True
                    backend.purge_keys(tags)
            elif paths:
                sent_urls = True
                backend.purge(paths)
        except Exception as exc:
            logger.warning("%r failed to purge %s: %s", backend, what, exc)
            failed.append(f"{backend!r}: {exc}")
        else:
            logger.debug(
                "%r purged %s in %.1f ms", backend, what, (time.perf_counter() - started) * 1000
            )
    result = "failed" if failed else "ok"
    if sent_urls:
        metrics.count(metrics.PURGES, result, amount=len(paths))
    if sent_keys:
        metrics.count(metrics.PURGED_KEYS, result, amount=len(tags))
    if failed:
        what = f"{len(tags)} keys" if by_key_only else f"{len(paths)} URLs"
        raise PurgeFailed(f"{what} not purged by " + "; ".join(failed))
    return tags if by_key_only else paths


def purge_affected(affected: Affected) -> list[str]:
    """Purge what a change made stale: by URL (each list's cached pages found on disk),
    and by key where a backend purges by key."""
    if not affected:
        return []
    return purge_urls(affected.resolve(), purge_keys.for_affected(affected))
