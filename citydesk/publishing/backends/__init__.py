"""Purge backends, named in settings.PURGE_BACKENDS the way Django's CACHES names caches:

    PURGE_BACKENDS = [
        {"BACKEND": "citydesk.publishing.backends.local.LocalFilesBackend"},
        {"BACKEND": "citydesk.publishing.backends.http.HttpPurgeBackend",
         "OPTIONS": {"SERVERS": ["http://127.0.0.1:6081"]}},
    ]

Read and imported on first use, never at import time; every purge goes to each in turn.
"""

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from citydesk.core import startup
from citydesk.publishing.backends.base import PurgeBackend, PurgeError

__all__ = ["DEFAULT_BACKENDS", "PurgeBackend", "PurgeError", "load_backend", "purge_backends"]

DEFAULT_BACKENDS: list[dict[str, Any]] = [
    {"BACKEND": "citydesk.publishing.backends.local.LocalFilesBackend"}
]


def load_backend(config: dict[str, Any]) -> PurgeBackend:
    backend_class = import_string(config["BACKEND"])
    if not (isinstance(backend_class, type) and issubclass(backend_class, PurgeBackend)):
        raise TypeError(f"{config['BACKEND']} is not a PurgeBackend")
    return backend_class(config.get("OPTIONS", {}))


class PurgeBackends:
    def __init__(self) -> None:
        self._backends: list[PurgeBackend] | None = None

    def all(self) -> list[PurgeBackend]:
        if self._backends is None:
            configs = getattr(settings, "PURGE_BACKENDS", None) or DEFAULT_BACKENDS
            self._backends = [load_backend(config) for config in configs]
        return self._backends

    def reset(self) -> None:
        self._backends = None


purge_backends = PurgeBackends()


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "PURGE_BACKENDS":
        purge_backends.reset()


@checks.register()
def check_purge_backends(**kwargs: Any) -> list[checks.CheckMessage]:
    """A misconfigured backend shows at start-up, not as a stale page after a publish."""
    try:
        purge_backends.reset()
        purge_backends.all()
    except Exception as exc:
        return [checks.Error(f"PURGE_BACKENDS: {exc}", id="citydesk.publishing.E001")]
    return []


@startup.register
def check_purge_servers(**kwargs: Any) -> list[checks.CheckMessage]:
    """A cache the purges cannot reach would keep serving old pages after every change."""
    try:
        backends = purge_backends.all()
    except Exception as exc:  # serve and worker run no other check
        return [checks.Error(f"CITYDESK_PURGE_BACKENDS: {exc}", id="citydesk.publishing.E001")]
    found: list[checks.CheckMessage] = []
    for backend in backends:
        own, public = backend.unreachable()
        if own:
            message = f"CITYDESK_PURGE_BACKENDS: cannot reach {', '.join(own)}"
            found.append(checks.Error(message, id="citydesk.publishing.E002"))
        if public:
            # A CDN's purge API, elsewhere: its outage must not stop deploys and workers
            # (purges are retried until it answers).
            message = f"CITYDESK_PURGE_BACKENDS: cannot reach {', '.join(public)} now"
            found.append(checks.Warning(message, id="citydesk.publishing.W002"))
    return found
