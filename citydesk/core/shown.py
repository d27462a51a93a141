"""Which content objects a response shows, noted while it renders, for its surrogate keys
(publishing.keys): a page that links an article, a channel, a person, a tag or a topic
shows it, so each model's `get_absolute_url` notes its object here. Nothing is noted
outside `recording()` (tasks, commands, purge planning).

A ContextVar, not a request attribute: the models know nothing of the request.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_noted: ContextVar[set[str] | None] = ContextVar("citydesk_shown", default=None)


def key(model_name: str, pk: Any) -> str:
    """An object's key: `article:26`, `channel:3` (no space or comma, as keys need)."""
    return f"{model_name}:{pk}"


def note(obj: Any) -> None:
    noted = _noted.get()
    if noted is not None and obj.pk is not None:
        noted.add(key(obj._meta.model_name, obj.pk))


@contextmanager
def recording() -> Iterator[set[str]]:
    """The keys of the objects noted in the block."""
    noted: set[str] = set()
    token = _noted.set(noted)
    try:
        yield noted
    finally:
        _noted.reset(token)
