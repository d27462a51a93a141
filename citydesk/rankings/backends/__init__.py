"""Ranking backends named in settings.RANKING_BACKENDS, loaded lazily (like CACHES).

    RANKING_BACKENDS = {"default": {"BACKEND": "database", "OPTIONS": {...}}}

BACKEND is a dotted path to a `RankingBackend` subclass or one of the short names below.
CITYDESK_RANKING_BACKEND (and CITYDESK_REDIS_URL) set the default's.
"""

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from citydesk.core import startup
from citydesk.rankings.backends.base import RankingBackend

SHORT_NAMES = {
    "database": "citydesk.rankings.backends.database.DatabaseBackend",
    "redis": "citydesk.rankings.backends.redis.RedisBackend",
}

_backends: dict[str, RankingBackend] = {}


def _create(alias: str) -> RankingBackend:
    configured: dict[str, dict[str, Any]] = getattr(settings, "RANKING_BACKENDS", {})
    params = dict(configured.get(alias) or ({"BACKEND": "database"} if alias == "default" else {}))
    if not params:
        raise ImproperlyConfigured(f"RANKING_BACKENDS has no alias {alias!r}")
    path = params.get("BACKEND", "database")
    backend_class = import_string(SHORT_NAMES.get(path, path))
    if not (isinstance(backend_class, type) and issubclass(backend_class, RankingBackend)):
        raise ImproperlyConfigured(f"{path} is not a RankingBackend")
    return backend_class(alias, params)


def get_backend(alias: str = "default") -> RankingBackend:
    if alias not in _backends:
        _backends[alias] = _create(alias)
    return _backends[alias]


def reset() -> None:
    """Forget loaded backends (settings changed, as in tests)."""
    _backends.clear()


@startup.register
def check_ranking_servers(**kwargs: Any) -> list[checks.CheckMessage]:
    """Views would be lost, and 热点 pages fail, on a server that refuses us."""
    found: list[checks.CheckMessage] = []
    for alias in getattr(settings, "RANKING_BACKENDS", {}):
        try:
            problem = get_backend(alias).problem()
        except Exception as exc:
            problem = startup.reason(exc)
        if problem:
            setting = "CITYDESK_REDIS_URL" if alias == "default" else f"RANKING_BACKENDS[{alias!r}]"
            found.append(checks.Error(f"{setting}: {problem}", id="citydesk.rankings.E001"))
    return found
