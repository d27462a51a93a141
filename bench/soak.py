"""A mixed-load soak of the multi-node cluster (deploy/cluster/cluster.py), on loopback.

Starts a cluster of its own, then for `--minutes` (10) runs, all at once:

    readers   95% cached pages (home, channels, articles, topics) through Varnish, 5%
              misses (the article page purged by key just before, so a node renders it)
    search    a reader's search (never cached: a node answers each)
    beacons   view beacons, each reader from an address of its own in 127.0.0.0/8
    feed      a feed reader polling /rss.xml
    API       a partner's API reads: the cached list and a filtered (uncached) one
    editors   a publish and an edit every few seconds, through the content door, in a
              process configured as an app node (its purges go to Varnish by key)

Closed loops (each client waits for its answer, with a think time for the slow kinds),
so throughput is what this machine gives with everything on it. Reports throughput and
p50/p99 per kind, every error, and each long-lived process's memory (resident set) before
the load, after its first minute and at the end, to the "Cluster soak" section of
docs/benchmarks.md. Not a test: the numbers are this small machine's.

    .venv/bin/python bench/soak.py [--minutes 10]
    .venv/bin/python bench/soak.py --database-url URL --replica-url URL

With a primary and its replica that run already (bench/million.py's million articles,
with the replica of .ci/run), the cluster's nodes use those, and the report says so.
"""

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _report import machine, percentile, write_section  # noqa: E402

HEADING = "## Cluster soak"
SCRIPT = ROOT / "deploy" / "cluster" / "cluster.py"
WORDS = ["苏州", "古城", "地铁", "文化", "经济", "教育", "旅游", "太湖", "发布会", "民生"]

EDITOR = """
import json, random, sys, time
from django.utils import timezone
from citydesk.content import actions
from citydesk.content.models import Article
until = time.time() + {seconds}
n = 0
while time.time() < until:
    n += 1
    start = time.perf_counter()
    made = actions.create_article(actions.ArticleData(
        title=f"浸泡测试快讯第{{n}}条", body=[{{"type": "paragraph", "text": "正文" * 50}}],
        channels=["suzhou"], published_at=timezone.now()), status=Article.Status.PUBLISHED)
    print(json.dumps({{"kind": "editor publish", "ms": (time.perf_counter() - start) * 1000}}),
          flush=True)
    time.sleep({every} / 2)
    live = list(Article.objects.published().values_list("pk", flat=True)[:50])
    article = Article.objects.get(pk=random.choice(live))
    start = time.perf_counter()
    actions.edit_article(article, {{"summary": f"第{{n}}次修改的摘要"}})
    print(json.dumps({{"kind": "editor edit", "ms": (time.perf_counter() - start) * 1000}}),
          flush=True)
    time.sleep({every} / 2)
"""


def _read(path: str) -> str:
    try:
        with open(path, "rb") as file:
            return file.read().decode(errors="replace")
    except OSError:
        return ""


def _rss_mb(pid: int) -> float | None:
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def processes(base: Path, database_ports: tuple[int, int]) -> dict[str, int]:
    """The cluster's processes by name: each node's and Varnish's (their sessions),
    Redis, and each PostgreSQL server's own processes (not its client backends, which
    come and go with the nodes' connections)."""
    sessions = {}
    for name in ("node1", "node2", "varnish"):
        with contextlib.suppress(OSError, ValueError):
            sessions[int((base / f"{name}.pid").read_text())] = name
    found: dict[str, int] = {}
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _read(f"/proc/{entry}/stat").rsplit(")", 1)[-1].split()
            if len(fields) > 4:
                stats[int(entry)] = (int(fields[1]), int(fields[3]))  # ppid, session
    postmasters = {}
    comm = {pid: _read(f"/proc/{pid}/comm").strip() for pid in stats}
    cmdline = {pid: _read(f"/proc/{pid}/cmdline").replace("\0", " ").strip() for pid in stats}
    for pid, (ppid, session) in stats.items():
        command = cmdline[pid]
        if session in sessions:
            kind = "task worker" if " worker " in command else "worker"
            kind = "main" if pid == session else kind
            found[f"{sessions[session]} {kind} {pid}"] = pid
        elif comm[pid] == "postgres" != comm.get(ppid):
            lines = _read(f"/proc/{pid}/cwd/postmaster.pid").splitlines()
            if len(lines) > 3 and lines[3].strip().isdigit():
                port = int(lines[3])
                if port in database_ports:
                    role = "primary" if port == database_ports[0] else "replica"
                    postmasters[pid] = f"PostgreSQL {role}"
                    found[f"PostgreSQL {role}: postmaster"] = pid
    for pid, (ppid, _) in stats.items():
        if ppid in postmasters:
            title = cmdline[pid]
            # "postgres: 15/main: checkpointer"; a client's ends with its address.
            if "(" not in title:
                role = " ".join(title.rsplit(":", 1)[-1].split()[:2])
                found[f"{postmasters[ppid]}: {role} {pid}"] = pid
    redis = _read(str(base / "redis.pid")).strip()
    if redis.isdigit():
        found["Redis"] = int(redis)
    return found


def memory(found: dict[str, int]) -> dict[str, float]:
    """Each process's resident set now, in MB (those gone are left out)."""
    return {name: mb for name, pid in found.items() if (mb := _rss_mb(pid)) is not None}


class Load:
    def __init__(self, port: int, seconds: float) -> None:
        self.port = port
        self.until = time.monotonic() + seconds
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()

    def running(self) -> bool:
        return time.monotonic() < self.until

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        source: str = "127.0.0.1",
        ok: tuple[int, ...] = (200,),
        conn: http.client.HTTPConnection | None = None,
    ) -> None:
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                                  source_address=(source, 0))  # fmt: skip
        start = time.perf_counter()
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            status, reason = 0, repr(exc)
            conn.close()
        else:
            reason = f"HTTP {status}"
        finally:
            if own:
                conn.close()
        elapsed = (time.perf_counter() - start) * 1000
        with self.lock:
            if status in ok:
                self.times[kind].append(elapsed)
            else:
                self.errors[kind].append(f"{method} {path}: {reason}")

    def record(self, kind: str, ms: float) -> None:
        with self.lock:
            self.times[kind].append(ms)


def readers(load: Load, pages: list[str], articles: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", load.port, timeout=30)
    while load.running():
        if random.random() < 0.05:
            path = f"/a/{random.choice(articles)}/"
            load.request("purge", "PURGE", "/", {"xkey-purge": path}, conn=conn)
            load.request("reader miss", "GET", path, conn=conn)
        else:
            load.request("reader hit", "GET", random.choice(pages), conn=conn)


def searcher(load: Load) -> None:
    while load.running():
        load.request("search", "GET", "/search/?q=" + quote(random.choice(WORDS)))
        time.sleep(0.1)


def beacons(load: Load, articles: list[int]) -> None:
    n = 0
    while load.running():
        n += 1
        source = f"127.0.{n // 250 % 250 + 1}.{n % 250 + 1}"  # a reader, an address
        headers = {"User-Agent": "Mozilla/5.0 (iPhone) soak", "Content-Length": "0"}
        load.request("beacon", "POST", f"/beacon/view/{random.choice(articles)}/", headers,
                     source=source, ok=(204,))  # fmt: skip
        time.sleep(0.02)


def feed(load: Load) -> None:
    while load.running():
        load.request("feed", "GET", "/rss.xml")
        time.sleep(1)


def partner(load: Load, key: str) -> None:
    """The paper's app (anonymous, cached answers, a reader's address each) and a
    partner with its token (uncached: a token's answers are its own)."""
    n = 0
    token = {"Authorization": f"Bearer {key}"}
    while load.running():
        n += 1
        source = f"127.1.{n // 250 % 250 + 1}.{n % 250 + 1}"
        load.request("API cached", "GET", "/api/v1/articles/", source=source)
        load.request("API with a token", "GET", "/api/v1/articles/?channel=suzhou&limit=10",
                     token)  # fmt: skip
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--readers", type=int, default=6)
    parser.add_argument("--edit-every", type=float, default=4.0, help="seconds")
    parser.add_argument("--database-url", help="a running primary (see the module's doc)")
    parser.add_argument("--replica-url", help="its streaming replica")
    args = parser.parse_args()
    if bool(args.database_url) != bool(args.replica_url):
        parser.error("--database-url and --replica-url go together")
    spec = importlib.util.spec_from_file_location("cluster", SCRIPT)
    assert spec is not None and spec.loader is not None
    cluster = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cluster)
    base = Path(tempfile.mkdtemp(prefix="citydesk-soak-")) / "cluster"
    os.chmod(base.parent, 0o755)
    ports = cluster.Ports(21100)
    given = ["--database-url", args.database_url, "--replica-url", args.replica_url]
    subprocess.run([sys.executable, str(SCRIPT), "start", "--dir", str(base),
                    "--ports-from", str(ports.first), *(given if args.database_url else [])],
                   check=True)  # fmt: skip
    try:
        return soak(args, cluster, base, ports)
    finally:
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--dir", str(base)])


def soak(args: Any, cluster: Any, base: Path, ports: Any) -> int:
    listing = json.loads(
        urlopen_text(f"http://127.0.0.1:{ports.varnish}/api/v1/articles/?limit=100")
    )
    articles = [int(doc["altIds"][0]["value"]) for doc in listing["items"]]
    pages = ["/", "/suzhou/", "/zhuanti/", *(f"/a/{pk}/" for pk in articles)]
    for path in pages:  # warm: what readers mostly get is cached
        urlopen_text(f"http://127.0.0.1:{ports.varnish}{path}")
    created = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "citydesk"), "api_token", "create", "soak partner",
         "--per-minute", "1000000"],
        env=cluster.node_env(base, ports), cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    key = created.stdout.strip().splitlines()[-1]
    primary, replica = cluster.databases(base, ports)
    found = processes(base, (urlsplit(primary).port or 5432, urlsplit(replica).port or 5432))
    before = memory(found)
    settled: dict[str, float] = {}
    articles_held = database_articles(cluster.node_env(base, ports))
    seconds = args.minutes * 60
    load = Load(ports.varnish, seconds)
    editor = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "citydesk"), "shell", "--no-imports", "-c",
         EDITOR.format(seconds=seconds, every=args.edit_every)],
        env=cluster.node_env(base, ports), cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    threads = [
        *(threading.Thread(target=readers, args=(load, pages, articles))
          for _ in range(args.readers)),
        threading.Thread(target=searcher, args=(load,)),
        threading.Thread(target=beacons, args=(load, articles)),
        threading.Thread(target=feed, args=(load,)),
        threading.Thread(target=partner, args=(load, key)),
    ]  # fmt: skip
    started = time.monotonic()
    for thread in threads:
        thread.start()
    # After a minute of load each process has met every kind of request: from then on
    # its memory should not grow.
    timer = threading.Timer(min(60.0, seconds / 2), lambda: settled.update(memory(found)))
    timer.daemon = True  # a soak that fails does not wait for it
    timer.start()
    assert editor.stdout is not None
    for line in editor.stdout:
        event = json.loads(line)
        load.record(event["kind"], event["ms"])
    editor.wait()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    timer.join()
    after = memory(found)
    if editor.returncode != 0:
        load.errors["editor"].append(f"the editor's process exited {editor.returncode}")
    return report(load, wall, args, (before, settled, after), articles_held)


def database_articles(env: dict[str, str]) -> int:
    """How many articles the cluster's database holds."""
    counted = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "citydesk"), "shell", "--no-imports", "-c",
         "from citydesk.content.models import Article; print(Article.objects.count())"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(counted.stdout.split()[-1])


def urlopen_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return str(response.read().decode())


def report(
    load: Load,
    wall: float,
    args: Any,
    rss: tuple[dict[str, float], dict[str, float], dict[str, float]],
    articles_held: int,
) -> int:
    kinds = sorted(set(load.times) | set(load.errors))
    total = sum(len(v) for v in load.times.values())
    errors = sum(len(v) for v in load.errors.values())
    rows = "\n".join(
        f"| {kind} | {len(load.times[kind]):,} | {len(load.times[kind]) / wall:,.1f} |"
        f" {percentile(load.times[kind], 50):.1f} ms | {percentile(load.times[kind], 99):.1f} ms"
        f" | {len(load.errors[kind])} |"
        if load.times[kind]
        else f"| {kind} | 0 | 0 | | | {len(load.errors[kind])} |"
        for kind in kinds
    )
    first_errors = [e for kind in kinds for e in load.errors[kind][:3]]
    before, settled, after = rss
    memory_rows = "\n".join(
        f"| {name} | {before[name]:,.1f} MB | {settled[name]:,.1f} MB | {after[name]:,.1f} MB |"
        f" {after[name] - settled[name]:+,.1f} MB |"
        for name in sorted(before)
        if name in after and name in settled
    )
    gone = sorted(set(before) - set(after))
    database = (
        "its own PostgreSQL primary and replica"
        if not args.database_url
        else "an existing PostgreSQL primary and its streaming replica (`--database-url`)"
    )
    section = f"""{HEADING}

Measured by `bench/soak.py --minutes {args.minutes:g}` on
{datetime.now(UTC).date().isoformat()}: {machine()}. The whole cluster of `make cluster`
(on {database}, holding {articles_held:,} articles; Redis, two app nodes with their
workers, Varnish) and the load all on this one machine, on loopback, for
{wall / 60:.1f} minutes: {args.readers}
reader connections (95% cached pages, 5% misses purged by key just before), a searcher
(100 ms apart), beacons from a new address each (20 ms apart), a feed poller (1 s), the
app's cached API list and a partner's reads with its token (50 ms apart), and an editor
publishing and editing (one every {args.edit_every / 2:g} s) through the content door.

| kind | requests | per second | p50 | p99 | errors |
|---|---:|---:|---:|---:|---:|
{rows}

{total:,} requests and actions in all, {total / wall:,.0f} a second; {errors} errors.
{"First errors: " + "; ".join(first_errors) if first_errors else "No request failed."}

Each long-lived process's resident memory before the load, after {min(1.0, args.minutes / 2):g}
minute of it (when every kind of request has been served) and at the end; the change is
from that minute to the end. PostgreSQL's include the shared buffers each has touched;
its client backends come and go with the nodes' connections and are not listed.

| process | before | after {min(1.0, args.minutes / 2):g} min | end | change |
|---|---:|---:|---:|---:|
{memory_rows}
{"Gone before the end: " + ", ".join(gone) if gone else ""}
"""
    write_section(HEADING, section)
    print(section)
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
