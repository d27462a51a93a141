"""/metrics in Prometheus' text format: every process's counters (citydesk.core.metrics),
and, read at each scrape, the task queue and the page cache's recent failures."""

import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector


class QueueCollector(Collector):
    """What is waiting now, read from the database (one query each)."""

    def collect(self) -> Iterator[Any]:
        from django_tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        waiting = GaugeMetricFamily(
            "citydesk_tasks_waiting", "Follow-up tasks waiting to run (retries included)"
        )
        waiting.add_metric([], DBTaskResult.objects.filter(status=TaskResultStatus.READY).count())
        yield waiting
        failed = GaugeMetricFamily(
            "citydesk_tasks_failed", "Follow-up tasks that failed for good (shown to operators)"
        )
        failed.add_metric([], DBTaskResult.objects.failed().count())
        yield failed


def exposition() -> bytes:
    """The text a scrape gets."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
        counters = generate_latest(registry)
    else:
        counters = generate_latest(REGISTRY)
    queue = CollectorRegistry()
    queue.register(QueueCollector())
    return counters + generate_latest(queue)
