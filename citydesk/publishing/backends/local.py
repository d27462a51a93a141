"""The default: delete the page cache's files (what nginx and `citydesk serve` read)."""

from typing import Any

from citydesk.publishing.backends.base import PurgeBackend, PurgeError
from citydesk.publishing.cache import PageCache, PurgeIncomplete


class LocalFilesBackend(PurgeBackend):
    """OPTIONS: LOCATION, a page cache folder other than settings.PAGE_CACHE_DIR."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.location = self.options.get("LOCATION")

    def purge(self, urls: list[str]) -> None:
        # Settings are read per purge, not at start-up, so a changed PAGE_CACHE_DIR holds.
        # A file that could not be deleted raises (after every URL was tried), so that the
        # caller tries again: the page it holds is stale.
        try:
            PageCache(self.location).purge(urls)
        except PurgeIncomplete as exc:
            raise PurgeError(str(exc)) from exc
