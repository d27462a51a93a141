"""The guard that keeps content's one door the only one (used by the test suite).

`enforce()` wraps the ORM's write paths (save, delete, bulk_create, update) so that a
write to a model of the content app fails unless the nearest code that asked for it is
citydesk.content.actions. Code under test that writes content any other way (a view, the
admin's default save, an importer's own bulk_create, a signal receiver) raises
`DoorViolation`; tests themselves and migrations may write directly, to set up data.

Why a stack walk rather than a flag the actions set: the rule is about where the code
lives ("only content/actions writes content"), and the stack says exactly that with
nothing for each action to remember.
"""

import sys
from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet

DOOR = "citydesk.content.actions"


class DoorViolation(AssertionError):
    """Content was written outside citydesk.content.actions."""


def _is_content(model: Any) -> bool:
    return getattr(getattr(model, "_meta", None), "app_label", None) == "content"


def _may_write_directly(module: str) -> bool:
    """Tests set up their data, and migrations seed theirs, without the door."""
    tests = module.endswith("conftest") or ".tests." in module or module.startswith("tests.")
    return tests or ".migrations." in module


def _is_app_code(module: str) -> bool:
    # The admin's default save and delete count as the code that asked for the write; a
    # model's own save() and this guard do not: whoever called them did.
    own = module in (__name__, "citydesk.content.models")
    citydesk = module.startswith("citydesk.") and not own
    return citydesk or module.startswith("django.contrib.admin")


def _writer() -> str | None:
    """The code that asked for this write when it is not allowed to; None when allowed.

    The nearest frame that is the door, test code, a migration or app code decides: a
    signal receiver or an after-commit task that runs inside a door call is app code of
    its own, and must go through the door itself.
    """
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module == DOOR or module.startswith(DOOR + ".") or _may_write_directly(module):
            return None
        if _is_app_code(module):
            return f"{module}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return None


def check(model: Any, what: str) -> None:
    if _is_content(model):
        writer = _writer()
        if writer:
            raise DoorViolation(
                f"{what} of {model._meta.label} from {writer}: content is written only "
                f"through citydesk.content.actions"
            )


_PATCHES: list[tuple[type, str]] = [
    (Model, "save_base"),
    (Model, "delete"),
    (QuerySet, "bulk_create"),
    (QuerySet, "bulk_update"),
    (QuerySet, "update"),
    (QuerySet, "delete"),
    (QuerySet, "_raw_delete"),
]


def _guarded(owner: type, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        check(self.model if isinstance(self, QuerySet) else type(self), name)
        return original(self, *args, **kwargs)

    guarded.__wrapped__ = original  # type: ignore[attr-defined]
    return guarded


def enforce() -> Callable[[], None]:
    """Install the guard; returns the function that removes it."""
    originals = [(owner, name, getattr(owner, name)) for owner, name in _PATCHES]
    for owner, name, original in originals:
        setattr(owner, name, _guarded(owner, name, original))

    def undo() -> None:
        for owner, name, original in originals:
            setattr(owner, name, original)

    return undo
