"""Values a process remembers for a few seconds: reads behind the fragments (热点排行,
今日推荐), which may be a little old by design but must not cost queries on every hit."""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

_values: dict[Hashable, tuple[float, Any]] = {}
_lock = threading.Lock()


def remembered(key: Hashable, seconds: float, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave less than `seconds` ago in this process."""
    now = time.monotonic()
    entry = _values.get(key)
    if entry is not None and entry[0] > now:
        return entry[1]
    value = compute()
    with _lock:
        _values[key] = (now + seconds, value)
    return value


def forget() -> None:
    with _lock:
        _values.clear()
