"""What `citydesk serve` and `citydesk worker` check before they take any work: each
server the settings name answers, and is what the setting says it is.

Each app registers its checks with `register` (Django's system-check registry, tagged
`startup` and deploy-only, so a `migrate` or a test run never reaches for the network;
`citydesk check --deploy` runs them too). An Error refuses the start with one line naming
the setting; a Warning (a replica that is down, which readers survive) is printed and the
start goes on.
"""

from collections.abc import Callable
from typing import Any, TextIO

from django.core import checks

TAG = "startup"

Check = Callable[..., list[checks.CheckMessage]]


def register(check: Check) -> Check:
    return checks.register(check, TAG, deploy=True)


def problems() -> list[checks.CheckMessage]:
    return checks.run_checks(tags=[TAG], include_deployment_checks=True)


def refuse_misconfiguration(stderr: TextIO | Any) -> None:
    """Print each problem on a line of its own; exit 1 if any is an error."""
    found = problems()
    for problem in found:
        stderr.write(f"{'拒绝启动' if problem.is_serious() else '警告'}: {problem.msg}\n")
    if any(problem.is_serious() for problem in found):
        raise SystemExit(1)


def reason(exc: BaseException) -> str:
    """An exception as one line: its type and its first line."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


@register
def check_shared_cache(**kwargs: Any) -> list[checks.CheckMessage]:
    """The API's rate limits count in Django's cache: a Redis that refuses us would turn
    every API request into an error."""
    from django.conf import settings
    from django.core.cache import caches

    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        return []
    try:
        caches["default"].get("citydesk:startup")
    except Exception as exc:  # redis-py's errors, whatever the client library
        message = f"CITYDESK_CACHE_URL: Redis refused ({reason(exc)})"
        return [checks.Error(message, id="citydesk.core.E011")]
    return []
