"""Many articles on PostgreSQL (issue 19: 1,000,000): import with indexing, cache-miss
renders, reader search, the newsroom list, sitemaps, sizes on disk, memory per process.

The data: the xwlb and sina corpora (87,443 articles) again and again, each round varied,
until `--articles`. Round 0 is the corpora as they are; in round r > 0 every item gets

- a new id (`r-<id>`), so the import stores it as a new article;
- a title with one of VARIANTS in front (【快讯】, 【综述】, ...), r-th in turn;
- a publish time r × 97 days earlier, and (id mod 600) minutes more, so the rounds spread
  over the archive's months instead of piling onto the same seconds;
- the section (xwlb's hl_tag) or category (sina's) of another item, r items on in the
  corpus, so channels and tags vary;
- xwlb's keywords rotated by r, plus the first keyword of that other item.

Phases (`--phases`, default all; each reuses what the last left in var/million):

  generate  write var/million/articles.jsonl
  import    a fresh database (dropped and made again with createdb as `postgres`),
            `citydesk migrate`, then `citydesk import jsonl` with two `citydesk worker`s
            running beside it and CITYDESK_TASKS_AFTER_COMMIT=0, so the workers take the
            index and purge follow-ups while the import goes on; timed until the last
            follow-up is done
  measure   `citydesk serve` on the database, page cache off: renders of random articles
            (twice: the rows read from disk, then in memory), channel pages, the biggest
            tags' pages and the home page (cache misses), reader searches, the newsroom's
            article list
            (in-process, a logged-in chief editor), sitemaps walked to the end, table and
            index sizes, memory of each process; then publish-to-live, with the page
            cache on: pages cached, an article published, until each shows it

    .venv/bin/python bench/million.py --articles 1000000 \\
        --database-url postgresql://citydesk:citydesk@127.0.0.1:5432/citydesk_million

The database is dropped and made again: name one of its own. Without a URL (as in
`make bench`) it is skipped.
"""

import argparse
import http.client
import json
import lzma
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _report import free_port, machine, percentile, write_section  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "corpus"
FILES = ["xwlb_2012-2026_articles.jsonl.xz", "sina_2018_articles.jsonl.xz"]
STATE = ROOT / "var" / "million"
HEADING = "## Many articles on PostgreSQL (`bench/million.py`)"
VARIANTS = ["", "【快讯】", "【综述】", "【聚焦】", "【观察】", "【追踪】", "【回顾】", "【特写】",
            "【解读】", "【现场】", "【视点】", "【权威发布】", "【深度】", "【关注】"]  # fmt: skip
SEARCHES = ["苏州", "经济", "习近平", "人工智能", "高质量发展", "乡村振兴", "一带一路",
            "疫情防控", "足球", "手机", "教育改革", "新能源汽车", "长江经济带", "脱贫攻坚",
            "粤港澳大湾区", "碳达峰", "5G", "世界杯", "考研", "养老"]  # fmt: skip
# The server's settings a bulk import depends on, reported with the results.
SETTINGS = (
    "'shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_compression',"
    " 'maintenance_work_mem', 'work_mem', 'synchronous_commit'"
)


def corpus() -> list[dict[str, Any]]:
    items = []
    for name in FILES:
        with lzma.open(CORPUS / name, "rt", encoding="utf-8") as lines:
            items += [json.loads(line) for line in lines if line.strip()]
    return items


def varied(items: list[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    """`count` records, the corpus round after round, each round varied (see above)."""
    made = 0
    r = 0
    while True:
        for n, item in enumerate(items):
            if made == count:
                return
            made += 1
            if r == 0:
                yield item
                continue
            other = items[(n + r) % len(items)]
            record = dict(item, id=f"{r}-{item['id']}")
            record["title"] = VARIANTS[r % len(VARIANTS)] + str(item.get("title") or "")
            shift = timedelta(days=97 * r, minutes=hash_minutes(str(item["id"])))
            if "pub_time" in item:  # xwlb
                record["pub_time"] = moved(item.get("pub_time"), "%Y-%m-%d %H:%M:%S", shift)
                record["broadcast_date"] = moved(item.get("broadcast_date"), "%Y-%m-%d", shift)
                record["hl_tag"] = other.get("hl_tag") or other.get("category") or ""
                keywords = list(item.get("keywords") or [])
                if keywords:
                    keywords = keywords[r % len(keywords) :] + keywords[: r % len(keywords)]
                extra = (other.get("keywords") or [None])[0]
                record["keywords"] = [*keywords, *([extra] if extra else [])]
            else:  # sina
                record["date_hint"] = moved(item.get("date_hint"), "%Y-%m-%d", shift)
                record["category"] = other.get("category") or item.get("category")
            yield record
        r += 1


def hash_minutes(text: str) -> int:
    return sum(map(ord, text)) % 600


def moved(value: Any, form: str, shift: timedelta) -> Any:
    try:
        return (datetime.strptime(str(value), form) - shift).strftime(form)
    except ValueError:
        return value


def generate(count: int) -> Path:
    STATE.mkdir(parents=True, exist_ok=True)
    out = STATE / "articles.jsonl"
    items = corpus()
    with out.open("w", encoding="utf-8") as f:
        for record in varied(items, count):
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"generated {count:,} articles from {len(items):,} into {out}", flush=True)
    return out


# Running citydesk ------------------------------------------------------------------------


def env_for(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "CITYDESK_DATABASE_URL": url,
        "CITYDESK_DATA_DIR": str(STATE / "data"),
        "CITYDESK_PAGE_CACHE": "0",  # every render is a miss
        "CITYDESK_EMBEDDED_WORKER": "0",
    }


def citydesk(url: str, *args: str, **extra: str) -> None:
    subprocess.run([sys.executable, "-m", "citydesk", *args], cwd=ROOT,
                   env={**env_for(url), **extra}, check=True)  # fmt: skip


def psql(url: str, sql: str) -> list[list[str]]:
    parts = urlsplit(url)
    result = subprocess.run(
        ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
         "-U", parts.username or "citydesk", "-d", parts.path.lstrip("/"), "-tAF", "\t",
         "-c", sql],
        env={**os.environ, "PGPASSWORD": parts.password or ""},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def as_postgres(*command: str) -> None:
    runner = (
        ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else ["sudo", "-u", "postgres"]
    )
    subprocess.run([*runner, *command], check=True, capture_output=True)


def import_phase(url: str, source: Path) -> dict[str, Any]:
    name = urlsplit(url).path.lstrip("/")
    owner = urlsplit(url).username or "citydesk"
    as_postgres("psql", "-qc", f'DROP DATABASE IF EXISTS "{name}"')
    as_postgres("createdb", "-O", owner, name)
    citydesk(url, "migrate", "--verbosity", "0")
    workers = [
        subprocess.Popen([sys.executable, "-m", "citydesk", "worker"], cwd=ROOT,
                         env=env_for(url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]  # fmt: skip
    progress: list[tuple[float, int, int]] = []  # (seconds, articles, indexed), each minute
    try:
        start = time.perf_counter()
        # As an operator runs a bulk import: the follow-ups (index, purge) left to the
        # workers, which run beside it, instead of each batch waiting for its own.
        importer = subprocess.Popen(
            [sys.executable, "-m", "citydesk", "import", "jsonl", str(source)], cwd=ROOT,
            env={**env_for(url), "CITYDESK_TASKS_AFTER_COMMIT": "0"}, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        while importer.poll() is None:
            time.sleep(1)
            if time.perf_counter() - start >= 60 * (len(progress) + 1):
                progress.append((time.perf_counter() - start, *counts(url)))
        if importer.returncode:
            raise SystemExit(f"the import failed ({importer.returncode})")
        imported_at = time.perf_counter() - start
        waiting = (
            "SELECT count(*) FROM django_tasks_database_dbtaskresult"
            " WHERE status IN ('READY', 'RUNNING')"
        )
        while int(psql(url, waiting)[0][0]):
            time.sleep(2)
        done_at = time.perf_counter() - start
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=60)
    articles, indexed = counts(url)
    psql(url, "VACUUM ANALYZE")
    settings = psql(
        url, f"SELECT name, current_setting(name) FROM pg_settings WHERE name IN ({SETTINGS})"
    )
    result = {
        "articles": articles, "indexed": indexed, "import_s": imported_at, "total_s": done_at,
        "progress": progress, "settings": dict(settings),
    }  # fmt: skip
    print(f"import: {result}", flush=True)
    return result


def counts(url: str) -> tuple[int, int]:
    row = psql(
        url,
        "SELECT (SELECT count(*) FROM content_article), (SELECT count(*) FROM search_document)",
    )[0]
    return int(row[0]), int(row[1])


# Measuring ------------------------------------------------------------------------------


def get(port: int, path: str) -> tuple[int, bytes, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    try:
        conn.request("GET", quote(path, safe="/:?=&%"), headers={"Accept-Encoding": "identity"})
        response = conn.getresponse()
        body = response.read()
        return response.status, body, (time.perf_counter() - start) * 1000
    finally:
        conn.close()


def serve(
    url: str, port: int, env: dict[str, str] | None = None, *, tree: Path = ROOT
) -> subprocess.Popen[bytes]:
    """`citydesk serve` of a source tree (this one by default), once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "citydesk", "serve", "--port", str(port), "--workers", "2"],
        cwd=tree, env=env or env_for(url), stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:  # its reason is on stderr
            raise SystemExit(f"citydesk serve of {tree} stopped ({process.returncode})")
        try:
            if get(port, "/robots.txt")[0] == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("citydesk serve did not start")


def timed(port: int, paths: list[str], *, missing_ok: bool = False) -> list[float]:
    """Each path's time; with `missing_ok` a 404 (a list page past the end) is left out."""
    times = []
    for path in paths:
        status, _, ms = get(port, path)
        if status == 404 and missing_ok:
            continue
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        times.append(ms)
    return times


def sitemap_urls(port: int) -> int:
    """Every article URL the sitemaps list, walked from the index."""
    _, index, _ = get(port, "/sitemap.xml")
    found: set[bytes] = set()  # the news sitemap lists the last 48 h again
    for loc in re.findall(rb"<loc>([^<]+)</loc>", index):
        status, body, _ = get(port, urlsplit(loc.decode()).path)
        if status == 200:
            found.update(re.findall(rb"<loc>[^<]*/a/(\d+)/</loc>", body))
    return len(found)


def rss_mb(pids: list[int]) -> dict[int, float]:
    sizes = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return sizes


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found += [int(entry.name), *children(int(entry.name))]
    return found


def page(path: str, rng: random.Random) -> str:
    """One of a list's first 50 pages (page 1 has the list's own path only)."""
    number = rng.randint(1, 50)
    return path if number == 1 else f"{path}page/{number}/"


def measure_phase(url: str, rounds: int) -> dict[str, Any]:
    rng = random.Random(19)
    ids = [
        int(r[0])
        for r in psql(
            url,
            "SELECT id FROM content_article WHERE status = 'published'"
            " ORDER BY random() LIMIT 2000",
        )
    ]
    channels = [r[0] for r in psql(url, "SELECT slug FROM content_channel WHERE kind = 'list'")]
    tags = [  # the biggest lists of all
        r[0]
        for r in psql(
            url,
            "SELECT t.slug FROM content_tag t JOIN content_article_tags l ON l.tag_id = t.id"
            " GROUP BY t.slug ORDER BY count(*) DESC LIMIT 30",
        )
    ]
    # A page an earlier run cached (publish-to-live caches some) would be served as a
    # file even with the page cache off.
    citydesk(url, "clear_page_cache")
    port = free_port()
    server = serve(url, port)
    result: dict[str, Any] = {}
    try:
        pids = [server.pid, *children(server.pid)]
        result["rss_start"] = rss_mb(pids)
        timed(port, [f"/a/{pk}/" for pk in ids[:20]])  # warm: templates, connections
        sample = [f"/a/{pk}/" for pk in rng.sample(ids, min(len(ids), rounds))]
        articles = timed(port, sample)
        # The same articles again: still page-cache misses, with their rows in memory now
        # (as a site's much-read articles are).
        again = timed(port, sample)
        lists = timed(
            port,
            [page(f"/{rng.choice(channels)}/", rng) for _ in range(rounds // 4)],
            missing_ok=True,
        )
        tag_lists = timed(
            port,
            [page(f"/tag/{rng.choice(tags)}/", rng) for _ in range(rounds // 4)],
            missing_ok=True,
        )
        home = timed(port, ["/"] * 20)
        searches = timed(port, [f"/search/?q={q}" for q in SEARCHES] * 5)
        result.update(
            article_p50=statistics.median(articles), article_p95=percentile(articles, 95),
            again_p50=statistics.median(again), again_p95=percentile(again, 95),
            list_p50=statistics.median(lists), list_p95=percentile(lists, 95),
            tag_p50=statistics.median(tag_lists), tag_p95=percentile(tag_lists, 95),
            home_p50=statistics.median(home), home_p95=percentile(home, 95),
            search_p50=statistics.median(searches), search_p95=percentile(searches, 95),
        )  # fmt: skip
        started = time.perf_counter()
        result["sitemap_urls"] = sitemap_urls(port)
        result["sitemap_s"] = time.perf_counter() - started
        result["published"] = int(
            psql(url, "SELECT count(*) FROM content_article WHERE status = 'published'")[0][0]
        )
        result["rss_end"] = rss_mb(pids)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["newsroom_p95"], result["newsroom_p50"] = newsroom(url)
    result["publish_to_live"] = publish_to_live(url)
    result["sizes"] = psql(
        url,
        "SELECT relname, pg_size_pretty(pg_table_size(c.oid)),"
        " pg_size_pretty(pg_indexes_size(c.oid))"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r'"
        " ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 8",
    )
    result["database"] = psql(url, "SELECT pg_size_pretty(pg_database_size(current_database()))")[
        0
    ][0]
    print(f"measure: {result}", flush=True)
    return result


NEWSROOM = """
import json, time, statistics
from django.contrib.auth.models import User
from django.test import Client
user, _ = User.objects.get_or_create(username="bench-chief",
    defaults={"is_staff": True, "is_superuser": True})
client = Client()
client.force_login(user)
from citydesk.content.models import Article
deep = min(100, max(1, Article.objects.count() // 200))  # the admin shows 100 a page
views = ["", "?status__exact=published", "?q=经济", "?o=1", f"?p={deep}"]
times = []
for query in views:
    client.get("/admin/content/article/" + query)
    for _ in range(10):
        start = time.perf_counter()
        assert client.get("/admin/content/article/" + query).status_code == 200
        times.append((time.perf_counter() - start) * 1000)
times.sort()
print(json.dumps([times[int(len(times) * 0.95) - 1], statistics.median(times)]))
"""


PUBLISH = """
import json, time
from django.utils import timezone
from citydesk.content import actions
from citydesk.content.models import Article
def publish(title, channel):
    return actions.create_article(actions.ArticleData(title=title, body=[{"type": "paragraph",
        "text": "百万篇测试。"}], channels=[channel], published_at=timezone.now()),
        status=Article.Status.PUBLISHED)
publish("预热稿件", "chengshi")  # a warm process, as a node's newsroom is
start = time.time()
article = publish(%r, "guonei")
print(json.dumps({"id": article.pk, "start": start, "at": time.time()}))
"""
LIVE_PATHS = ["/", "/guonei/", "/gundong/", "/rss.xml", "/guonei/rss.xml"]


def publish_to_live(url: str, rounds: int = 5) -> list[float]:
    """Seconds from the start of a publish until every page in LIVE_PATHS, cached
    before, shows it, through `citydesk serve` with its page cache on."""
    port = free_port()
    env = {**env_for(url), "CITYDESK_PAGE_CACHE": "1"}
    server = serve(url, port, env)
    worst = []
    try:
        for n in range(rounds):
            for path in LIVE_PATHS * 2:
                get(port, path)
            title = f"百万篇发布测试{n}-{time.time_ns()}"
            # The pages are read while the newsroom's process publishes, as readers do:
            # not after it has exited.
            publisher = subprocess.Popen(
                [sys.executable, "-m", "citydesk", "shell", "--no-imports", "-c", PUBLISH % title],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            seen = {}
            deadline = time.time() + 60
            while len(seen) < len(LIVE_PATHS) and time.time() < deadline:
                for path in LIVE_PATHS:
                    if path not in seen and title.encode() in get(port, path)[1]:
                        seen[path] = time.time()
                if publisher.poll() not in (None, 0):
                    raise SystemExit(publisher.communicate()[1][-2000:])
            out, err = publisher.communicate(timeout=60)
            if publisher.returncode:
                raise SystemExit(err[-2000:])
            done = json.loads(out.strip().splitlines()[-1])
            if len(seen) < len(LIVE_PATHS):
                raise SystemExit(f"not live within 60 s: {set(LIVE_PATHS) - set(seen)}")
            worst.append(max(seen.values()) - done["start"])
            print(f"publish-to-live {worst[-1] * 1000:.0f} ms", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return worst


def newsroom(url: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-m", "citydesk", "shell", "--no-imports", "-c", NEWSROOM],
        cwd=ROOT, env=env_for(url), capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    p95, p50 = json.loads(out.stdout.strip().splitlines()[-1])
    return p95, p50


def ms(values: list[float]) -> str:
    return ", ".join(f"{v * 1000:.0f}" for v in values)


def report(results: dict[str, Any]) -> None:
    imp, m = results.get("import", {}), results.get("measure", {})
    rows = []
    if imp:
        rate = imp["articles"] / imp["total_s"]
        rows.append(
            f"| import with indexing | ≥ 1,000 articles/s | {rate:,.0f} articles/s"
            f" ({imp['articles']:,} in {imp['total_s'] / 60:.1f} min;"
            f" the import alone {imp['import_s'] / 60:.1f} min) |"
        )
    if m:
        live = m.get("publish_to_live") or [float("nan")]
        rows += [
            f"| cache-miss render, p50 | ≤ 10 ms | article {m['article_p50']:.1f} ms"
            f" (p95 {m['article_p95']:.1f}){again(m)}; channel page {m['list_p50']:.1f} ms"
            f" (p95 {m['list_p95']:.1f}){lists(m)} |",
            f"| publish-to-live, worst | ≤ 1 s | {max(live) * 1000:.0f} ms ({len(live)} publishes:"
            f" {ms(live)} ms; {', '.join(f'`{p}`' for p in LIVE_PATHS)} cached, then each"
            " shows the article) |",
            f"| reader search, p95 | ≤ 50 ms | {m['search_p95']:.1f} ms"
            f" (p50 {m['search_p50']:.1f}) |",
            f"| newsroom article list, p95 | ≤ 300 ms | {m['newsroom_p95']:.0f} ms"
            f" (p50 {m['newsroom_p50']:.0f}) |",
            f"| sitemaps reach every article | all | {m['sitemap_urls']:,} of"
            f" {m['published']:,} published ({m['sitemap_s']:.0f} s to walk) |",
        ]
    if imp.get("progress"):
        steps = ", ".join(
            f"{articles:,} ({indexed:,} indexed) at {seconds / 60:.0f} min"
            for seconds, articles, indexed in imp["progress"][4::5]
        )
        rows.append(f"| import, on the way | | {steps} |")
    sizes = "\n".join(
        f"| {name} | {table} | {index} |" for name, table, index in m.get("sizes", [])
    )
    memory = ""
    if m:
        memory = (
            "Memory (RSS) of `citydesk serve`'s processes (the server, its two workers),"
            f" at the start and the end of the measurements: {mb(m['rss_start'])} MB;"
            f" then {mb(m['rss_end'])} MB."
        )
    server = ""
    if imp.get("settings"):
        server = " (" + ", ".join(f"{k} {v}" for k, v in sorted(imp["settings"].items())) + ")"
    section = f"""{HEADING}

Measured by `bench/million.py` on {time.strftime("%Y-%m-%d")}: {machine()}; PostgreSQL 15
on the same machine{server}. {results.get("note", "")}

| what | target | measured |
|---|---|---|
{chr(10).join(rows)}

Database {m.get("database", "?")}; the largest tables:

| table | table | indexes |
|---|---:|---:|
{sizes}

{memory}
"""
    write_section(HEADING, section)


def again(m: dict[str, Any]) -> str:
    """The same articles read a second time (measured from 2026-12-07 on)."""
    if "again_p50" not in m:
        return ""
    return f", the same again {m['again_p50']:.1f} ms (p95 {m['again_p95']:.1f})"


def lists(m: dict[str, Any]) -> str:
    """Tag pages (the 30 biggest tags) and the home page (measured from 2026-12-07 on)."""
    if "tag_p50" not in m:
        return ""
    return (
        f"; tag page {m['tag_p50']:.1f} ms (p95 {m['tag_p95']:.1f});"
        f" home page {m['home_p50']:.1f} ms (p95 {m['home_p95']:.1f})"
    )


def mb(sizes: dict[str, float]) -> str:
    return ", ".join(f"{v:.0f}" for v in sizes.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CITYDESK_BENCH_POSTGRES_URL", ""),
        help="a database this may drop and create (default $CITYDESK_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--phases", default="generate,import,measure", help="none of them: report again"
    )
    parser.add_argument("--rounds", type=int, default=400, help="article renders to time")
    parser.add_argument("--note", help="a sentence for the report (kept for later runs)")
    args = parser.parse_args()
    if not all((CORPUS / name).exists() for name in FILES):
        print("skipped: ../shared/data/corpus is absent")
        return 0
    if not args.database_url:  # hours of work: only when asked for (`make bench` too)
        print("skipped: give --database-url or set CITYDESK_BENCH_POSTGRES_URL")
        return 0
    phases = args.phases.split(",")
    saved = STATE / "results.json"
    results = json.loads(saved.read_text()) if saved.exists() else {}
    if args.note is not None:
        results["note"] = args.note
    source = STATE / "articles.jsonl"
    if "generate" in phases:
        source = generate(args.articles)
    if "import" in phases:
        results["import"] = import_phase(args.database_url, source)
    if "measure" in phases:
        results["measure"] = measure_phase(args.database_url, args.rounds)
    saved.write_text(json.dumps(results, indent=1))
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
