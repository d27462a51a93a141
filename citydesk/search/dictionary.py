"""The words the segmenter keeps whole besides jieba's own, kept in step with the database.

They are the editors' `DictionaryWord` entries and the names of the people in bylines
(`content.Person`). Indexing checks for changes before every batch; queries check at most
every CHECK_SECONDS, so a word an editor adds in the newsroom reaches every server process
within seconds, with no restart and no reindex (see `citydesk.core.text`).
"""

import threading
import time
from typing import Any

from django.db.models import Count, Max

from citydesk.content.models import Person
from citydesk.core import text
from citydesk.search.models import DictionaryWord

CHECK_SECONDS = 2.0

_lock = threading.Lock()
_state: dict[str, Any] = {"version": None, "checked_at": float("-inf"), "changed": False}


def version() -> tuple[Any, ...]:
    """Changes when an entry or a person is added, edited or removed (cheap to read)."""
    words = DictionaryWord.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    people = Person.objects.aggregate(n=Count("id"), last=Max("id"))
    return (words["n"], words["last"], people["n"], people["last"])


def words() -> list[str]:
    return [
        *DictionaryWord.objects.values_list("word", flat=True),
        *Person.objects.values_list("name", flat=True),
    ]


def refresh(*, force: bool = False) -> None:
    """Load the dictionary into the segmenter if it changed since the last look."""
    now = time.monotonic()
    if not force and not _state["changed"] and now - _state["checked_at"] < CHECK_SECONDS:
        return
    with _lock:
        current = version()
        _state["checked_at"] = now
        if current != _state["version"] or _state["changed"]:
            _state["changed"] = False
            text.segmenter.use_words(words())
            _state["version"] = current


def mark_changed(**kwargs: Any) -> None:
    """A receiver: this process changed a word or a person, so look again next time."""
    _state["changed"] = True


def forget() -> None:
    """Load again on the next refresh, whatever the version (tests swap the segmenter)."""
    _state.update(version=None, checked_at=float("-inf"), changed=True)
