"""URL reversing remembered per process.

Django's `reverse` walks the URL resolver on every call (~35 µs); a reader page reverses
30-odd URLs (nav, footer, feed links, tags, people), over a millisecond of a page miss.
The answer depends only on the URLconf, the script prefix, the language and the
arguments, so it is kept by those. Arguments other than ints and strings (whose text
could change under the same identity) are reversed afresh.
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf
from django.urls import reverse as django_reverse
from django.utils.translation import get_language

_PLAIN = (int, str)


@lru_cache(maxsize=50_000)
def _reverse(
    key: tuple[Any, ...],
    viewname: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    current_app: str | None,
) -> str:
    return django_reverse(viewname, args=args, kwargs=dict(kwargs), current_app=current_app)


def reverse(
    viewname: str,
    args: Sequence[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    current_app: str | None = None,
) -> str:
    """`django.urls.reverse` for a view name, remembered."""
    args = tuple(args or ())
    items = tuple(sorted((kwargs or {}).items()))
    if not isinstance(viewname, str) or not all(
        type(v) in _PLAIN for v in (*args, *(v for _, v in items))
    ):
        return django_reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    key = (get_urlconf(), get_script_prefix(), get_language())
    return _reverse(key, viewname, args, items, current_app)


@receiver(setting_changed)
def _forget(setting: str, **kwargs: Any) -> None:
    # Tests swap URLconfs; so does anything that changes ROOT_URLCONF.
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()
