"""图文直播: what 5,000 readers polling one live article cost the server.

`citydesk serve` (its page-cache front, its embedded worker) on a fresh SQLite site holds
a live article with 40 updates and the desk's default interval (3 s). wrk, on the same
machine, plays the readers as live.js does: each connection asks for the updates
fragment with If-None-Match and waits its turn, so that all together they ask as often
as READERS readers at that interval (READERS / interval a second). Reported: the
requests a second served, their latency, the share of 304s, and the CPU the server's
processes used (from /proc, user + system) as a share of this machine's cores. Then an
update is posted through the door, and the time until the fragment answers with it.

    .venv/bin/python bench/live_poll.py [--readers 5000] [--seconds 30] [--rounds 3]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import free_port, machine, write_section

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## Live coverage polling (`bench/live_poll.py`)"
CONNECTIONS = 100

SETUP = """
import json, sys
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from citydesk.content import actions
from citydesk.content.actions import ArticleData, live
from citydesk.content.models import Article
article = actions.create_article(ArticleData(title="马拉松图文直播", body=[
    {"type": "paragraph", "text": "比赛七点三十分鸣枪起跑。"}], channels=["suzhou"]),
    status=Article.Status.PUBLISHED)
live.set_live_coverage(article, starts_at=timezone.now() - timedelta(hours=1))
for n in range(40):
    live.post_live_update(article, text=f"第{n + 1}条：选手通过{n + 1}公里处，补给站秩序良好。" * 3,
                          author="赵记者")
json.dump(article.pk, sys.stdout)
"""
POST = """
import sys, time
import django
django.setup()
from citydesk.content.actions import live
from citydesk.content.models import Article
article = Article.objects.get(pk=int(sys.argv[1]))
print(time.time(), flush=True)  # the post begins
live.post_live_update(article, text=sys.argv[2])
"""
# live.js's requests: If-None-Match with the last ETag; a delay that spaces each
# connection's requests so that all of them together make the rate asked for.
LUA = """
local etag = nil
local path = "%(path)s"
function init(args) n200 = 0; n304 = 0; other = 0 end
function delay() return %(delay_ms)d end
function request()
  if etag then return wrk.format("GET", path, {["If-None-Match"] = etag}) end
  return wrk.format("GET", path)
end
function response(status, headers, body)
  if status == 304 then n304 = n304 + 1
  elseif status == 200 then n200 = n200 + 1; etag = headers["ETag"] or headers["etag"]
  else other = other + 1 end
end
threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("n200"); b = b + t:get("n304"); c = c + t:get("other")
  end
  io.write(string.format("STATUS %%d %%d %%d\\n", a, b, c))
end
"""


def env_for(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "citydesk.settings",
        "CITYDESK_DATA_DIR": str(data_dir),
    }


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def family(pid: int) -> list[int]:
    found = [pid]
    for child in Path("/proc").glob("[0-9]*"):
        try:
            if int(child.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1]) in found:
                found.append(int(child.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def poll(url: str, path: str, readers: int, interval: int, seconds: int, pids: list[int]) -> dict:
    rate = readers / interval
    delay_ms = max(1, round(CONNECTIONS / rate * 1000))
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(LUA % {"path": path, "delay_ms": delay_ms})
    before, started = cpu_seconds(pids), time.monotonic()
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    wall, used = time.monotonic() - started, cpu_seconds(pids) - before
    script.unlink()
    status = re.search(r"STATUS (\d+) (\d+) (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", out, re.M)
    if not (status and rps and p50 and p99):
        raise SystemExit(f"unexpected wrk output:\n{out}")
    unit = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
    n200, n304, other = map(int, status.groups())
    return {
        "asked": rate,
        "rps": float(rps.group(1)),
        "p50": float(p50.group(1)) * unit[p50.group(2)],
        "p99": float(p99.group(1)) * unit[p99.group(2)],
        "not_modified": n304 / max(1, n200 + n304 + other),
        "errors": other,
        "cpu": used / (wall * (os.cpu_count() or 1)),
    }


def update_seen(base: str, path: str, article: int, data_dir: Path) -> float:
    """Seconds from the start of an update's post (the posting process runs its purge
    right after the commit) until the fragment answers with it."""
    marker = f"现场快讯{time.time_ns()}"
    poster = subprocess.Popen(
        [sys.executable, "-c", POST, str(article), marker], cwd=ROOT, env=env_for(data_dir),
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert poster.stdout is not None
    started = float(poster.stdout.readline())
    while marker not in fetch(base + path)[1]:
        if time.time() - started > 30:
            raise SystemExit("the update did not reach the fragment in 30 s")
        time.sleep(0.005)
    seen = time.time() - started
    poster.wait(timeout=30)
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        env = env_for(data_dir)
        subprocess.run([sys.executable, "-m", "citydesk", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True)  # fmt: skip
        made = subprocess.run(
            [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        article = json.loads(made.stdout)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "citydesk", "serve", "--port", str(port)], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base, path = f"http://127.0.0.1:{port}", f"/live/{article}/"
        try:
            for _ in range(600):
                try:
                    fetch(base + path)
                    break
                except OSError:
                    time.sleep(0.1)
            served = re.search(r'data-poll="(\d+)"', fetch(base + path)[1])
            interval = int(served.group(1)) if served else 3
            pids = family(server.pid)
            before = cpu_seconds(pids)
            time.sleep(args.seconds)
            idle = (cpu_seconds(pids) - before) / (args.seconds * (os.cpu_count() or 1))
            rounds = [
                poll(base, path, args.readers, interval, args.seconds, pids)
                for _ in range(args.rounds)
            ]
            seen = [update_seen(base, path, article, data_dir) for _ in range(5)]
        finally:
            server.terminate()
            server.wait(timeout=30)
    report(args.readers, interval, args.seconds, idle, rounds, seen)
    return 0


def report(
    readers: int, interval: int, seconds: int, idle: float, rounds: list[dict], seen: list[float]
) -> None:
    rows = "\n".join(
        f"| {n} | {r['asked']:,.0f} | {r['rps']:,.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms"
        f" | {r['not_modified']:.1%} | {r['errors']} | {r['cpu']:.1%} |"
        for n, r in enumerate(rounds, 1)
    )
    cpu = statistics.median(r["cpu"] for r in rounds)
    section = f"""{HEADING}

Measured by `bench/live_poll.py --readers {readers} --seconds {seconds}` on
{time.strftime("%Y-%m-%d")}: {machine()}. `citydesk serve` and wrk ({CONNECTIONS}
connections, each spacing its requests so that together they ask {readers:,} readers'
worth: one request each every {interval} s, the desk's default) share the machine. Each
request carries the ETag it last saw, as live.js's does.

| round | asked/s | served/s | p50 | p99 | 304 | errors | server CPU ({os.cpu_count()} cores) |
|---:|---:|---:|---:|---:|---:|---:|---:|
{rows}

{readers:,} readers cost the server {cpu:.1%} of this machine's CPU (median of the
rounds; {idle:.1%} with no reader at all, its worker and timers): the fragment is a file
in the page cache, answered by the front from the file
(no Django, no database), mostly as a 304. A new update reached the fragment
{statistics.median(seen) * 1000:.0f} ms after its post began (median of {len(seen)};
worst {max(seen) * 1000:.0f} ms), so a reader polling every {interval} s sees it within
{interval + max(seen):.1f} s.
"""
    write_section(HEADING, section)
    print(section)


if __name__ == "__main__":
    sys.exit(main())
