"""Writes of the rankings other than the beacon's: views recorded directly (the demo's
readers, tests), through the same backend call the beacon's batches make."""

import secrets
import time
from collections.abc import Sequence

from citydesk.content.models import Article
from citydesk.rankings import beacon
from citydesk.rankings.backends import get_backend
from citydesk.rankings.backends.base import View


def record_views(article: Article, times: Sequence[float], *, now: float | None = None) -> int:
    """One view of `article` at each of `times`, each by another visitor; how many counted."""
    channels = beacon.receiver().load_article(article.pk) or ()
    views = [View(secrets.randbits(63), article.pk, at, channels) for at in times]
    return get_backend().record(views, time.time() if now is None else now) if views else 0
