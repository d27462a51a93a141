"""What the newsroom reads about delivery: the page cache's health."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from citydesk.publishing.models import QUIET_AFTER, CacheFailure


@dataclass(frozen=True)
class CacheHealth:
    """ok: no page-cache failure recorded in the last QUIET_AFTER (10 minutes).
    last_error: the latest failure, in words ("" when there was none).
    failed_at: when it was recorded (None when there was none).
    failures: how many failures the latest runs of failures counted, every process and
    kind together (a run ends after QUIET_AFTER without one). Processes record at most
    once a minute, so the count may trail by a minute's failures."""

    ok: bool
    last_error: str
    failed_at: datetime | None
    failures: int


def cache_health() -> CacheHealth:
    rows = list(CacheFailure.objects.order_by("-failed_at"))
    if not rows:
        return CacheHealth(ok=True, last_error="", failed_at=None, failures=0)
    latest = rows[0]
    return CacheHealth(
        ok=latest.failed_at < timezone.now() - QUIET_AFTER,
        last_error=latest.last_error,
        failed_at=latest.failed_at,
        failures=sum(row.failures for row in rows),
    )
