"""Send stale URLs to every purge backend; a failing backend is logged, never raised."""

import logging
import time
from collections.abc import Iterable

from citydesk.publishing.affected import Affected
from citydesk.publishing.backends import purge_backends

logger = logging.getLogger(__name__)


def purge_urls(urls: Iterable[str]) -> list[str]:
    """Purge these URL paths everywhere; returns them, sorted and without repeats."""
    paths = sorted(set(urls))
    if not paths:
        return paths
    try:
        backends = purge_backends.all()
    except Exception:
        # Misconfigured (the system check says so at start-up): the change stays made.
        logger.exception("purge backends could not be loaded; %d URLs not purged", len(paths))
        return paths
    for backend in backends:
        started = time.perf_counter()
        try:
            backend.purge(paths)
        except Exception:
            logger.exception("%r failed to purge %d URLs", backend, len(paths))
        else:
            logger.debug(
                "%r purged %d URLs in %.1f ms",
                backend,
                len(paths),
                (time.perf_counter() - started) * 1000,
            )
    return paths


def purge_affected(affected: Affected) -> list[str]:
    """Purge what a change made stale (each list's cached pages found on disk)."""
    if not affected:
        return []
    try:
        urls = affected.resolve()
    except Exception:
        logger.exception("could not work out the URLs to purge")
        return []
    return purge_urls(urls)
