"""The one interface every purge backend has."""

from typing import Any


class PurgeError(Exception):
    """A backend could not purge some URLs; the message says which and why."""


class PurgeBackend:
    """Removes stale copies of pages from one place that keeps them.

    `urls` are URL paths as Django sees them (`request.path`: decoded, so a person page
    may be /people/李明/); a backend that talks HTTP encodes them. A backend raises
    `PurgeError` (or any error) when it fails: the caller logs it and goes on, because a
    purge runs after the change has committed and must never undo or block it.
    """

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    # A backend that purges by surrogate key (publishing.keys) gets the keys of a change
    # in `purge_keys`, instead of its URLs in `purge`.
    by_key = False

    def purge(self, urls: list[str]) -> None:
        raise NotImplementedError

    def purge_keys(self, keys: list[str]) -> None:
        raise NotImplementedError

    def unreachable(self) -> tuple[list[str], list[str]]:
        """The servers it cannot reach now, each with why (checked at start-up): those on
        the site's own network (a cache tier), and those on the internet (a CDN's API)."""
        return [], []

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
