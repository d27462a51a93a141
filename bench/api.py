"""The integrators' API with the full corpora (~87,000 articles) stored.

Each read (article lists: the first page, filtered, by change, a page deep by cursor, as
ninjs 2.2; one article) is requested `--repeat` times in-process through Django's test
client, uncached (the API is not in the page cache yet); p50 and p95 per read and over
the lists go into the "API" section of docs/benchmarks.md. Target: lists p95 ≤ 20 ms.

Then cached: `citydesk serve` answers the same article's page and its API document from
the page cache, wrk against each in turn, in rounds (needs wrk).

Then the webhook fan-out: a publish with 0 and with 50 subscribers, timed in rounds,
each through the content door with its after-commit follow-ups run as a request runs
them; the fan-out and the deliveries are left to the worker.

    .venv/bin/python bench/api.py [--repeat 50]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from _corpus import corpus_data_dir, corpus_env  # noqa: E402
from _report import machine, percentile, write_section  # noqa: E402

HEADING = "## API"
TARGET_MS = 20.0
SUBSCRIBERS = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    args = parser.parse_args()
    data_dir = corpus_data_dir()
    if data_dir is None:
        print("skipped: ../shared/data/corpus is absent")
        return 0
    # Renders in-process with the page cache off: a plain request's miss would also
    # write (and compress) its file, once a purge; the fronts answer it after that.
    os.environ.update(
        corpus_env(data_dir), DJANGO_SETTINGS_MODULE="citydesk.settings", CITYDESK_PAGE_CACHE="0"
    )
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from citydesk.content.models import Article, Channel, Tag

    client = Client()
    api = "/api/v1/articles/"
    guonei = Channel.objects.get(slug="guonei").slug
    tag = Tag.objects.order_by("-id").values_list("slug", flat=True).first()
    newest = Article.objects.published().order_by("-published_at").first()
    assert newest is not None
    week_ago = (datetime.now(UTC) - timedelta(days=3650)).isoformat()
    deep = client.get(api, {"limit": 20}).json()
    for _ in range(20):  # a cursor 21 pages deep
        deep = client.get(api, {"limit": 20, "cursor": deep["next"]}).json()
    reads = {
        "first page": (api, {}),
        "channel 国内": (api, {"channel": guonei}),
        f"tag {tag}": (api, {"tag": tag}),
        "since a date": (api, {"since": "2020-06-01T00:00:00+08:00"}),
        "by change (sync)": (api, {"updated_since": week_ago}),
        "21 pages deep (cursor)": (api, {"cursor": deep["next"]}),
        "100 a page": (api, {"limit": 100}),
        "ninjs 2.2": (api, {"ninjs": "2.2"}),
        "one article": (f"/api/v1/articles/{newest.pk}/", {}),
    }
    times: dict[str, list[float]] = {name: [] for name in reads}
    for url, params in reads.values():
        response = client.get(url, params)  # warm
        if response.status_code != 200:
            raise SystemExit(f"{url} {params} answered {response.status_code}")
    # In rounds, each read once a round: this machine's speed drifts by the second, and
    # so every read sees the same drift.
    for _ in range(args.repeat):
        for name, (url, params) in reads.items():
            cache.clear()  # the rate limit's counts: the bench is one caller
            start = time.perf_counter()
            client.get(url, params)
            times[name].append((time.perf_counter() - start) * 1000)
    for name, ts in times.items():
        print(f"{name}: p95 {percentile(ts, 95):.1f} ms", flush=True)
    # The target is for lists at their default size; 100 a page is shown beside them.
    lists = [
        t for name, ts in times.items() if name not in ("one article", "100 a page") for t in ts
    ]
    list_p95 = percentile(lists, 95)

    cached = cached_rounds(data_dir, newest.pk, args.duration)
    fan_out = publish_rounds(args.rounds)
    rows = "\n".join(
        f"| {name} | {statistics.median(ts):.1f} ms | {percentile(ts, 95):.1f} ms |"
        for name, ts in times.items()
    )
    verdict = "meets" if list_p95 <= TARGET_MS else "MISSES"
    none, fifty = fan_out
    section = f"""{HEADING}

Measured by `bench/api.py` on {datetime.now(UTC).date().isoformat()}: {machine()}.
{Article.objects.count():,} articles in the SQLite database; each read requested
{args.repeat} times in-process, in rounds of one each (Django test client, after one
warm-up), anonymous, as
ninjs 3.1 unless named; uncached (Django renders each, the page cache off).

| read (`/api/v1/articles/`, 20 a page) | p50 | p95 |
|---|---:|---:|
{rows}

Article lists of 20, over all {len(lists)} requests: p95 **{list_p95:.1f} ms**; {verdict}
the target of p95 ≤ {TARGET_MS:g} ms.

{cached}

Webhook fan-out: a publish through the content door, with its after-commit follow-ups
(index, purge, fan-out) run in the publishing process, median of {args.rounds} rounds:
{statistics.median(none):.1f} ms with no subscriber, {statistics.median(fifty):.1f} ms with
{SUBSCRIBERS} ({statistics.median(fifty) / statistics.median(none):.2f}×). The publish stores
one task for the fan-out, whatever the number of subscribers; the worker makes the
deliveries and sends them, so a slow or dead subscriber never holds up a publish.
"""
    write_section(HEADING, section)
    print(section)
    return 0


def cached_rounds(data_dir: Path, article_id: int, seconds: int, rounds: int = 5) -> str:
    """wrk against the cached article page and its cached API document, alternately,
    through `citydesk serve`'s front; a sentence for the report."""
    import shutil

    from delivery import child, wait_for, wrk

    if shutil.which("wrk") is None:
        return "Cached: not measured (wrk is not installed)."
    from _report import free_port

    port = free_port()
    urls = {
        "page": f"http://127.0.0.1:{port}/a/{article_id}/",
        "api": f"http://127.0.0.1:{port}/api/v1/articles/{article_id}/",
    }
    env = {**corpus_env(data_dir), "CITYDESK_EMBEDDED_WORKER": "0", "CITYDESK_PAGE_CACHE": "1"}
    command = [sys.executable, "-m", "citydesk", "serve", "--port", str(port)]
    runs: dict[str, list[float]] = {"page": [], "api": []}
    with child(command, env) as serve:
        for url in urls.values():
            wait_for(url, serve)  # the miss: rendered and written
        for _ in range(rounds):
            for key, url in urls.items():
                runs[key].append(wrk(url, seconds)["rps"])
                print(f"wrk {key}: {runs[key][-1]:,.0f} req/s", flush=True)
    ratios = [api / page for api, page in zip(runs["api"], runs["page"], strict=True)]
    return (
        f"Cached, through `citydesk serve`'s front (wrk -t2 -c64, {seconds} s a run,"
        f" {rounds} rounds, each alternating): the article page"
        f" {statistics.median(runs['page']):,.0f} req/s, its API document"
        f" {statistics.median(runs['api']):,.0f} req/s; the API's median share of the"
        f" page's rate {statistics.median(ratios):.2f}."
    )


def publish_rounds(rounds: int) -> tuple[list[float], list[float]]:
    """Milliseconds per publish with 0 and with SUBSCRIBERS subscribers, alternating."""
    from django.utils import timezone

    from citydesk.api.models import Delivery, Subscription
    from citydesk.content import actions
    from citydesk.content.actions import ArticleData
    from citydesk.content.models import Article

    made: list[int] = []
    subscriptions = [
        Subscription(name=f"bench {n}", url=f"http://127.0.0.1:9/hook{n}")  # discard port
        for n in range(SUBSCRIBERS)
    ]
    times: dict[bool, list[float]] = {False: [], True: []}
    try:
        for n in range(rounds * 2):
            with_subscribers = n % 2 == 1
            if with_subscribers:
                Subscription.objects.bulk_create(subscriptions)
            # Autocommit, as in a request: the door's transaction commits, and its
            # after-commit follow-ups run, before create_article returns.
            start = time.perf_counter()
            article = actions.create_article(
                ArticleData(
                    title=f"基准测试稿件 {n}",
                    body=[{"type": "paragraph", "text": "正文。"}],
                    published_at=timezone.now() - timedelta(seconds=1),
                ),
                status=Article.Status.PUBLISHED,
            )
            times[with_subscribers].append((time.perf_counter() - start) * 1000)
            made.append(article.pk)
            # The publish stored the fan-out's one task; the worker makes the deliveries.
            assert not Delivery.objects.filter(article_id=article.pk).exists()
            Subscription.objects.filter(name__startswith="bench ").delete()
            subscriptions = [Subscription(name=s.name, url=s.url) for s in subscriptions]
    finally:
        Subscription.objects.filter(name__startswith="bench ").delete()
        for article in Article.objects.filter(pk__in=made):
            actions.delete_article(article)
        _drop_bench_tasks()
    return times[False], times[True]


def _drop_bench_tasks() -> None:
    """The bench's fan-outs, never to be run: their tasks go with their articles."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path="citydesk.api.tasks.notify_change").delete()


if __name__ == "__main__":
    raise SystemExit(main())
