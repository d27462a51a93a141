"""Search backends named in settings.SEARCH_BACKENDS, loaded lazily (like CACHES).

    SEARCH_BACKENDS = {"default": {"BACKEND": "auto", "OPTIONS": {...}}}

BACKEND is a dotted path to a `SearchBackend` subclass, one of the short names below, or
"auto": SQLite FTS5 when the database is SQLite, PostgreSQL full text when it is
PostgreSQL. The environment variable CITYDESK_SEARCH_BACKEND sets the default's BACKEND.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.utils.module_loading import import_string

from citydesk.search.backends.base import SearchBackend

SHORT_NAMES = {
    "sqlite": "citydesk.search.backends.sqlite_fts5.SQLiteFTS5Backend",
    "postgres": "citydesk.search.backends.postgres.PostgresBackend",
}
BY_VENDOR = {"sqlite": SHORT_NAMES["sqlite"], "postgresql": SHORT_NAMES["postgres"]}

_backends: dict[str, SearchBackend] = {}


def _create(alias: str) -> SearchBackend:
    configured: dict[str, dict[str, Any]] = getattr(settings, "SEARCH_BACKENDS", {})
    params = dict(configured.get(alias) or ({"BACKEND": "auto"} if alias == "default" else {}))
    if not params:
        raise ImproperlyConfigured(f"SEARCH_BACKENDS has no alias {alias!r}")
    path = params.get("BACKEND", "auto")
    if path == "auto":
        vendor = connections[params.get("OPTIONS", {}).get("DATABASE", "default")].vendor
        if vendor not in BY_VENDOR:
            raise ImproperlyConfigured(f"no search backend for the {vendor} database")
        path = BY_VENDOR[vendor]
    backend_class = import_string(SHORT_NAMES.get(path, path))
    if not (isinstance(backend_class, type) and issubclass(backend_class, SearchBackend)):
        raise ImproperlyConfigured(f"{path} is not a SearchBackend")
    backend = backend_class(alias, params)
    if not backend.is_usable():
        raise ImproperlyConfigured(
            f"search backend {path} needs a {backend.vendor} database, "
            f"not {backend.connection.vendor}"
        )
    return backend


def get_backend(alias: str = "default") -> SearchBackend:
    if alias not in _backends:
        _backends[alias] = _create(alias)
    return _backends[alias]


def reset() -> None:
    """Forget loaded backends (settings changed, as in tests)."""
    _backends.clear()
