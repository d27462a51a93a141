"""Newsroom: the article list in the admin, with ~87,000 corpus articles stored.

Each list view (plain, filtered by status, by channel, searched, searched and filtered,
sorted, a deep page) is requested `--repeat` times in-process by a logged-in chief
editor through Django's test client; p50 and p95 per view and over all of them go into
the "Newsroom: article list" section of docs/benchmarks.md. Target: p95 ≤ 300 ms.

    .venv/bin/python bench/admin_list.py [--repeat 20]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from _corpus import corpus_data_dir, corpus_env  # noqa: E402
from _report import machine, percentile, write_section  # noqa: E402

HEADING = "## Newsroom: article list"
TARGET_MS = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    data_dir = corpus_data_dir()
    if data_dir is None:
        print("skipped: ../shared/data/corpus is absent")
        return 0
    os.environ.update(corpus_env(data_dir), DJANGO_SETTINGS_MODULE="citydesk.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client

    from citydesk.content.models import Article, Channel

    user, _ = User.objects.get_or_create(
        username="bench-chief", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    base = "/admin/content/article/"
    guonei = Channel.objects.get(slug="guonei").pk
    views = {
        "all, newest first": "",
        "status = published": "?status__exact=published",
        "channel = 国内": f"?channel={guonei}",
        "search 苏州": "?q=苏州",
        "search 经济 + published": "?q=经济&status__exact=published",
        "sorted by title": "?o=1",
        "page 100": "?p=100",
        "June 2020": "?published_at__gte=2020-06-01&published_at__lt=2020-07-01",
        "channel 国内 + search 经济": f"?channel={guonei}&q=经济",
        "status = draft": "?status__exact=draft",
    }
    times: dict[str, list[float]] = {}
    for name, query in views.items():
        response = client.get(base + query)  # warm: templates, the connection
        if response.status_code != 200:
            raise SystemExit(f"{base}{query} answered {response.status_code}")
        times[name] = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            client.get(base + query)
            times[name].append((time.perf_counter() - start) * 1000)
        print(f"{name}: p95 {percentile(times[name], 95):.0f} ms", flush=True)
    every = [t for ts in times.values() for t in ts]
    p95 = percentile(every, 95)
    rows = "\n".join(
        f"| {name} | `{views[name] or '/'}` | {statistics.median(ts):.0f} ms |"
        f" {percentile(ts, 95):.0f} ms |"
        for name, ts in times.items()
    )
    verdict = "meets" if p95 <= TARGET_MS else "MISSES"
    section = f"""{HEADING}

Measured by `bench/admin_list.py` on {datetime.now(UTC).date().isoformat()}: {machine()}.
The admin's article list (`{base}`, 50 a page) with {Article.objects.count():,} articles
in the SQLite database, requested {args.repeat} times per view in-process by a logged-in
superuser (Django test client, after one warm-up request per view).

| view | query | p50 | p95 |
|---|---|---:|---:|
{rows}

Over all {len(every)} requests: p50 {statistics.median(every):.0f} ms, p95 **{p95:.0f} ms**;
{verdict} the target of p95 ≤ {TARGET_MS:g} ms.
"""
    write_section(HEADING, section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
