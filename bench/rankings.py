"""Reader signals: beacons per second through `citydesk serve`, ranking reads, memory.

    .venv/bin/python bench/rankings.py [--duration 10] [--no-redis]

1. Beacons: wrk posts view beacons at `citydesk serve` (2 workers), every request from
   another visitor (its own User-Agent, and its own IPv6 /64 forwarded as nginx would),
   spread over 200 articles, for --duration seconds. A wrk Lua script counts the 204
   answers; the stored views are read back once the batches are written. No count lost:
   stored = answered, give or take the requests in flight when wrk stopped (at most one
   per connection). Once with the database
   backend (the embedded default, SQLite), once with Redis (a redis-server of its own).
2. Ranking reads: 1,000,000 views of 20,000 articles over 30 days in a fresh database;
   `top` for each window, site-wide and per channel, p50/p95; and the 热点排行 box's read
   (`rankings.queries.hot`) as the fragment makes it.
3. Memory: a simulated day of 1,000,000 distinct visitors, each viewing two articles at
   random times, fed through the database backend in time order; the largest number of
   de-duplication rows held at any time, and bytes per row. For Redis, bytes per key.

Results go into the "Reader signals" section of docs/benchmarks.md.
"""

import argparse
import os
import random
import re
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _report import DOC, free_port, machine, percentile, write_section  # noqa: E402

HEADING = "## Reader signals (`bench/rankings.py`)"
WRK = shutil.which("wrk") or "wrk"
TARGETS = {"beacons_per_s": 5000, "top_p95_ms": 5.0}
ARTICLES = 200

LUA = r"""
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args)
  n = 0
  ok = 0
  other = 0
end
function request()
  n = n + 1
  local pk = (n * 7919 + id * 104729) % %(articles)d + 1
  -- Each visitor its own address (as nginx would forward it): one address counts only
  -- a few views (CITYDESK_VIEWS_PER_NETWORK) and is rate-limited.
  local address = string.format("fd%02x:%x:%x::1", id, math.floor(n / 65536), n % 65536)
  return wrk.format("POST", "/beacon/view/" .. pk .. "/",
    {["User-Agent"] = "Mozilla/5.0 (bench reader " .. id .. "-" .. n .. ")",
     ["X-Forwarded-For"] = address}, "")
end
function response(status, headers, body)
  if status == 204 then ok = ok + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_other = total_other + t:get("other")
  end
  io.write(string.format("ANSWERED %d OTHER %d\n", total_ok, total_other))
end
"""

CONTENT = """
import django
django.setup()
from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
channels = ["suzhou", "guonei", "pinglun", "wenlv", "chengshi"]
for n in range(%(articles)d):
    actions.create_article(
        ArticleData(title=f"第{n + 1}篇", body=[], channels=[channels[n %% len(channels)]]),
        status=Article.Status.PUBLISHED,
    )
"""


def wrk_version() -> str:
    out = subprocess.run([WRK, "-v"], capture_output=True, text=True)
    return (out.stdout + out.stderr).split("\n")[0].split(" [")[0]


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", str(folder)),
        ],
        stdout=subprocess.DEVNULL,
    )
    import redis

    for _ in range(100):
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0"


def serve_env(data_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CITYDESK_DATABASE_URL"}
    env.update(
        CITYDESK_DATA_DIR=str(data_dir),
        CITYDESK_EMBEDDED_WORKER="0",
        DJANGO_SETTINGS_MODULE="citydesk.settings",
        **extra,
    )
    return env


def beacons(duration: int, backend: str, redis_url: str = "") -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="citydesk-rankings-"))
    extra = {"CITYDESK_RANKING_BACKEND": backend, "CITYDESK_TRUST_X_FORWARDED_FOR": "1"}
    if redis_url:
        extra["CITYDESK_REDIS_URL"] = redis_url
    env = serve_env(data_dir, extra)
    run = [sys.executable, "-m", "citydesk"]
    subprocess.run([*run, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [sys.executable, "-c", CONTENT % {"articles": ARTICLES}], env=env, check=True, cwd=ROOT
    )
    port = free_port()
    server = subprocess.Popen(
        [*run, "serve", "--port", str(port), "--workers", "2", "--no-collectstatic"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    script = data_dir / "beacon.lua"
    script.write_text(LUA.replace("%(articles)d", str(ARTICLES)))
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        out = subprocess.run(
            [WRK, "-t2", "-c64", f"-d{duration}s", "--latency", "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        answered = int(re.search(r"ANSWERED (\d+)", out).group(1))  # type: ignore[union-attr]
        other = int(re.search(r"OTHER (\d+)", out).group(1))  # type: ignore[union-attr]
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        stored = stored_views(backend, data_dir, redis_url, answered)
    finally:
        server.terminate()
        server.wait(timeout=30)
    after_stop = stored_views(backend, data_dir, redis_url, answered)
    shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "rps": rps,
        "answered": answered,
        "other": other,
        "stored": stored,
        "after_stop": after_stop,
    }


def stored_views(backend: str, data_dir: Path, redis_url: str, expected: int) -> int:
    """The views stored in the 24-hour window, once they stop changing (batches land)."""
    last, stable_since = -1, time.monotonic()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if backend == "redis":
            import redis

            rows = redis.Redis.from_url(redis_url).zrange(
                "citydesk:rank:w:day", 0, -1, withscores=True
            )
            now = int(sum(score for _, score in rows))
        else:
            with sqlite3.connect(data_dir / "citydesk.sqlite3", timeout=30) as db:
                now = int(
                    db.execute(
                        "SELECT coalesce(sum(views), 0) FROM rankings_total WHERE span = 'day'"
                    ).fetchone()[0]
                )
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 1.5 and now >= expected:
            break
        time.sleep(0.25)
    return last


def ranking_reads() -> dict[str, float]:
    """top() over a database holding 1,000,000 views of 20,000 articles in 30 days."""
    import django

    data_dir = Path(tempfile.mkdtemp(prefix="citydesk-rankings-reads-"))
    os.environ.update(serve_env(data_dir, {"CITYDESK_RANKING_BACKEND": "database"}))
    os.environ["DJANGO_SETTINGS_MODULE"] = "citydesk.settings"
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from citydesk.content.models import Article, Channel
    from citydesk.rankings import queries
    from citydesk.rankings.backends import get_backend
    from citydesk.rankings.backends.base import View

    channels = list(Channel.objects.filter(kind="list"))
    now = time.time()
    # 20,000 articles as rows (no need for bodies); each in one channel.
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO content_article (id, title, subtitle, summary, kind, cover, source,"
            " source_url, byline_organization, body, status, published_at, is_headline,"
            " is_recommended, is_slideshow, is_pinned, view_count, external_id, created_at,"
            " updated_at) VALUES (%s, %s, '', '', 'article', '', '', '', '', '[]', 'published',"
            " %s, 0, 0, 0, 0, 0, %s, %s, %s)",
            [
                (
                    n,
                    f"第{n}篇",
                    "2026-01-01 00:00:00",
                    f"bench-{n}",
                    "2026-01-01 00:00:00",
                    "2026-01-01 00:00:00",
                )
                for n in range(1, 20_001)
            ],
        )
        through = Article.channels.through._meta.db_table
        cursor.executemany(
            f"INSERT INTO {through} (article_id, channel_id) VALUES (%s, %s)",
            [(n, channels[n % len(channels)].pk) for n in range(1, 20_001)],
        )
    backend = get_backend()
    rng = random.Random(1)
    # Popularity falls off like real news: a few articles take most views.
    weights = [1 / (rank + 10) for rank in range(20_000)]
    start = time.perf_counter()
    total = 1_000_000
    times = sorted(rng.uniform(now - 30 * 86400, now) for _ in range(total))
    ids = rng.choices(range(1, 20_001), weights=weights, k=total)
    batch = 5000
    for i in range(0, total, batch):
        views = [View(i + j + 1, ids[i + j], times[i + j]) for j in range(min(batch, total - i))]
        backend.record(views, views[-1].at)
    load_seconds = time.perf_counter() - start
    timings: dict[str, list[float]] = {}
    for window in ("day", "week", "month"):
        for label, channel in [("site", None), ("channel", channels[0].pk)]:
            key = f"{window} {label}"
            timings[key] = []
            for _ in range(300):
                t = time.perf_counter()
                backend.top(window, channel_id=channel, limit=20)
                timings[key].append((time.perf_counter() - t) * 1000)
    box = []
    for _ in range(300):
        queries.forget()
        t = time.perf_counter()
        queries.hot("day", limit=10)
        box.append((time.perf_counter() - t) * 1000)
    rows = backend.state_size()
    shutil.rmtree(data_dir, ignore_errors=True)
    result = {k: percentile(v, 95) for k, v in timings.items()}
    result.update({f"{k} p50": statistics.median(v) for k, v in timings.items()})
    result["box p50"] = statistics.median(box)
    result["box p95"] = percentile(box, 95)
    result["load_per_s"] = total / load_seconds
    result["totals"] = rows["total"]
    result["buckets"] = rows["bucket"]
    return result


def memory_day(redis_url: str) -> dict[str, float]:
    """Peak de-duplication rows over a simulated day of 1,000,000 visitors x 2 views."""
    from citydesk.rankings.backends.base import View
    from citydesk.rankings.backends.database import DatabaseBackend

    backend = DatabaseBackend("memory", {})
    backend.clear()
    rng = random.Random(2)
    visitors = 1_000_000
    day_start = time.time() - 86400
    events = []
    for v in range(visitors):
        first = rng.uniform(day_start, day_start + 86400)
        events.append((first, v, rng.randrange(1, 20_001)))
        events.append(
            (min(first + rng.uniform(0, 600), day_start + 86400), v, rng.randrange(1, 20_001))
        )
    events.sort()
    peak = 0
    batch = 5000
    from django.db import connection

    for i in range(0, len(events), batch):
        chunk = events[i : i + batch]
        views = [View(v * 100_000 + a, a, at) for at, v, a in chunk]
        backend._swept = 0.0  # sweep as often as a busy site's processes would (once a minute)
        backend.record(views, chunk[-1][0])
        if i % (batch * 20) == 0:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM rankings_seen")
                peak = max(peak, int(cursor.fetchone()[0]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM rankings_seen")
        peak = max(peak, int(cursor.fetchone()[0]))
        try:
            cursor.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'rankings_seen%%'"
                " OR name LIKE '%%rankings_seen%%'"
            )
            seen_bytes = int(cursor.fetchone()[0] or 0)
            cursor.execute("SELECT count(*) FROM rankings_seen")
            rows_now = int(cursor.fetchone()[0])
        except Exception:
            seen_bytes, rows_now = 0, 0
    result: dict[str, float] = {
        "views": len(events),
        "peak_seen": peak,
        "bytes_per_seen_row": seen_bytes / rows_now if rows_now else 0.0,
    }
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        before = int(client.info("memory")["used_memory"])
        pipe = client.pipeline(transaction=False)
        for n in range(100_000):
            pipe.set(f"citydesk:rank:s:{rng.getrandbits(63) - 2**62}", 1_780_000_000, ex=1800)
            if n % 5000 == 4999:
                pipe.execute()
        pipe.execute()
        result["redis_bytes_per_key"] = (
            int(client.info("memory")["used_memory"]) - before
        ) / 100_000
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not shutil.which(WRK):
        print("skipped: wrk is not installed (apt-get install wrk)")
        return 0
    folder = Path(tempfile.mkdtemp(prefix="citydesk-redis-"))
    redis_process, redis_url = (None, "")
    if not args.no_redis and shutil.which("redis-server"):
        redis_process, redis_url = start_redis(folder)
    try:
        runs = {"database (SQLite)": beacons(args.duration, "database")}
        if redis_url:
            runs["Redis"] = beacons(args.duration, "redis", redis_url)
        for name, r in runs.items():
            print(f"beacons, {name}: {r}")
        reads = ranking_reads()
        print(f"reads: {reads}")
        memory = memory_day(redis_url)
        print(f"memory: {memory}")
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)

    lines = [
        HEADING,
        "",
        f"Measured by `bench/rankings.py` on {date.today().isoformat()}: {machine(wrk_version())}.",
        "",
        "### Beacons through `citydesk serve`",
        "",
        f"`wrk -t2 -c64 -d{args.duration}s` on the same machine (sharing its 2 cores with the"
        " server), a Lua script posting `/beacon/view/<id>/` for 200 articles, each request"
        " from another visitor (its own User-Agent), so that every answered beacon is a view"
        " that counts. `citydesk serve` with 2 workers; the beacon is answered in its front"
        " (no Django on the way) and the views are written in batches every 0.25 s.",
        "",
        "| backend | beacons/s | answered 204 | stored views | stored after the server stopped"
        " | lost |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for name, r in runs.items():
        lost = max(0, int(r["answered"] - r["after_stop"]))
        lines.append(
            f"| {name} | **{r['rps']:,.0f}** | {r['answered']:,.0f} | {r['stored']:,.0f} |"
            f" {r['after_stop']:,.0f} | {lost} |"
        )
        meets = r["rps"] >= TARGETS["beacons_per_s"] and lost == 0
        verdicts.append(f"{name}: {'meets' if meets else 'MISSES'}")
    lines += [
        "",
        "Stored views may exceed the answered ones by the requests still in flight when wrk"
        " stopped (counted by the server, their answers never read): at most one per"
        " connection (64). Target ≥ 5,000 beacons/s with no count lost: "
        + "; ".join(verdicts)
        + ".",
        "",
        "### Ranking reads",
        "",
        f"1,000,000 views of 20,000 articles over 30 days, recorded through the database"
        f" backend in batches of 5,000 ({reads['load_per_s']:,.0f} views/s); afterwards"
        f" {reads['totals']:,.0f} window totals and {reads['buckets']:,.0f} hourly buckets."
        " `top(window, limit=20)`, 300 times each (SQLite):",
        "",
        "| read | p50 | p95 |",
        "|---|---:|---:|",
    ]
    worst = 0.0
    for window in ("day", "week", "month"):
        for label in ("site", "channel"):
            key = f"{window} {label}"
            worst = max(worst, reads[key])
            lines.append(
                f"| {window}, {label} | {reads[key + ' p50']:.2f} ms | {reads[key]:.2f} ms |"
            )
    lines.append(
        f"| the 热点排行 box's read, not remembered (ranking + its live articles) |"
        f" {reads['box p50']:.2f} ms | {reads['box p95']:.2f} ms |"
    )
    lines += [
        "",
        f"Worst p95 {worst:.2f} ms: {'meets' if worst <= TARGETS['top_p95_ms'] else 'MISSES'}"
        " the target of 5 ms.",
        "",
        "### Memory for 1,000,000 distinct visitors a day",
        "",
        f"A simulated day: 1,000,000 visitors, each viewing two articles (the second within"
        f" ten minutes of the first) at random times, {memory['views']:,.0f} views fed through"
        " the database backend in time order. The de-duplication rows are the only state"
        " that grows with visitors, and each lives 30 minutes (swept once a minute):",
        "",
        f"- most de-duplication rows held at once: **{memory['peak_seen']:,.0f}**"
        f" ({memory['bytes_per_seen_row']:.0f} bytes each on disk in SQLite, table and"
        " index);",
    ]
    if "redis_bytes_per_key" in memory:
        peak_mb = memory["peak_seen"] * memory["redis_bytes_per_key"] / 1e6
        lines.append(
            f"- in Redis each is one key of {memory['redis_bytes_per_key']:.0f} bytes"
            f" (used_memory over 100,000 keys): {peak_mb:,.1f} MB at that peak;"
        )
    lines += [
        "- hourly buckets and window totals grow with articles read, not with visitors"
        " (one row per article per hour read, kept 30 days);",
        "- each process's own memory is capped by constants in `citydesk/rankings/beacon.py`:"
        " 200,000 rate-limit entries, 50,000 cached articles, 200,000 views waiting for a"
        " batch (a beacon past that gets a 503).",
        "",
        "The bound: de-duplication entries ≤ distinct (visitor, article) pairs in any 30"
        " minutes, which for V visitors a day spread over the day is about V × (views per"
        " visitor) / 48 at an even rate, and a few times that at the busiest hour; never more"
        " than the pairs of one day.",
        "",
    ]
    section = "\n".join(lines)
    if args.no_write:
        print(section)
    else:
        write_section(HEADING, section)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
