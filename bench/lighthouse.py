"""Lighthouse, as a reader's phone scores the demo site: the nine kinds of page of issue #20.

A fresh demo site (`citydesk migrate`, `citydesk demo`) is served by `citydesk serve`
(collected static files, the page cache); each page is asked for once first, so that
Lighthouse scores what readers get: the cached page. Lighthouse 12.2.3 (from npm, not a
dependency of the project) drives Debian's Chromium with its mobile defaults (a
mid-range phone, throttled 4G). Each page is scored --rounds times; the table gives the
median of each category and the lowest performance score, and lists any audit that
failed in a round. 关怀版 is the article page opened with #care (care.js). Search results
carry noindex on purpose (search engines ask sites to keep them out), which Lighthouse's
SEO audit "is-crawlable" counts against them; the search page itself is indexable.

    npm i -E lighthouse@12.2.3 --prefix /tmp/lighthouse
    .venv/bin/python bench/lighthouse.py --lighthouse /tmp/lighthouse/node_modules/.bin/lighthouse
"""

import argparse
import json
import os
import shutil
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
HEADING = "## Lighthouse, mobile (`bench/lighthouse.py`)"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")

# One page of each kind, found in the demo site's own database.
PAGES = """
import json
import django
django.setup()
from citydesk.content import queries
from citydesk.content.models import LiveCoverage, Person
live = LiveCoverage.objects.select_related("article").get()
article = queries.live().exclude(cover="").exclude(pk=live.pk)[0].get_absolute_url()
person = next(p for p in Person.objects.all() if queries.person_articles(p).exists())
print(json.dumps({
    "home": "/",
    "channel": queries.nav_channels()[0].get_absolute_url(),
    "article": article,
    "topic": queries.topics()[0].get_absolute_url(),
    "search": "/search/",
    "search results": "/search/?q=%E5%8F%A4%E5%9F%8E",
    "hot": "/hot/",
    "person": person.get_absolute_url(),
    "live": live.article.get_absolute_url(),
    "关怀版": article + "#care",
}))
"""


def lighthouse(binary: str, url: str, tries: int = 3) -> dict:
    """Lighthouse's report of `url`; a run whose Chromium failed to start or crashed (it
    happens on a busy machine) is tried again."""
    for attempt in range(tries):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            done = subprocess.run(
                [binary, url, "--quiet", "--output=json", f"--output-path={out.name}",
                 f"--only-categories={','.join(CATEGORIES)}",
                 "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
                env={"CHROME_PATH": "/usr/bin/chromium", **os.environ},
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            if done.returncode == 0:
                return json.loads(Path(out.name).read_text())
        print(f"lighthouse failed on {url} (try {attempt + 1}): {done.stderr.strip()[-300:]}")
    raise SystemExit(f"Lighthouse failed {tries} times on {url}")


def scores(report: dict) -> dict[str, int]:
    return {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}


def failed_audits(report: dict) -> set[str]:
    """Audits that count towards a category's score and did not pass."""
    counted = {
        ref["id"]
        for c in CATEGORIES
        for ref in report["categories"][c]["auditRefs"]
        if ref["weight"] > 0
    }
    return {
        f"{aid} ({report['audits'][aid].get('displayValue') or report['audits'][aid]['score']})"
        for aid in counted
        if report["audits"][aid].get("score") is not None and report["audits"][aid]["score"] < 0.9
    }


def wait(url: str) -> None:
    for _ in range(600):
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"citydesk serve did not answer at {url}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--lighthouse",
        default=os.environ.get("CITYDESK_LIGHTHOUSE") or shutil.which("lighthouse") or "lighthouse",
        help="the lighthouse command (default $CITYDESK_LIGHTHOUSE, else on PATH)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        version = subprocess.run([args.lighthouse, "--version"], capture_output=True, text=True)
    except OSError:
        version = None
    if version is None or version.returncode != 0:
        print("skipped: Lighthouse not found (npm i -E lighthouse@12.2.3; see --help)")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "citydesk.settings",
               "CITYDESK_DATA_DIR": folder}  # fmt: skip
        run = [sys.executable, "-m", "citydesk"]
        subprocess.run([*run, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*run, "demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        pages = json.loads(
            subprocess.run([sys.executable, "-c", PAGES], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True).stdout
        )  # fmt: skip
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*run, "serve", "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            wait(base + "/")
            for path in pages.values():
                urllib.request.urlopen(base + path.split("#")[0], timeout=30).read()
            rows = []
            for kind, path in pages.items():
                rounds, failed = [], set()
                for _ in range(args.rounds):
                    report = lighthouse(args.lighthouse, base + path)
                    rounds.append(scores(report))
                    failed |= failed_audits(report)
                median = {c: round(statistics.median(r[c] for r in rounds)) for c in CATEGORIES}
                low = min(r["performance"] for r in rounds)
                rows.append((kind, path, median, low, sorted(failed)))
                print(kind, median, "lowest performance", low, *sorted(failed), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=20)
    lines = [
        HEADING,
        "",
        f"{time.strftime('%Y-%m-%d')}, {machine(f'Lighthouse {version.stdout.strip()}')}; "
        f"`citydesk serve` on the demo site, cached pages; mobile defaults (throttled); "
        f"{args.rounds} rounds a page, medians (performance: median, lowest).",
        "",
        "| page | performance | accessibility | best practices | SEO | audits failed in a round |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for kind, path, median, low, failed in rows:
        lines.append(
            f"| {kind} (`{path}`) | {median['performance']} ({low}) | {median['accessibility']} "
            f"| {median['best-practices']} | {median['seo']} | {', '.join(failed) or 'none'} |"
        )
    lines += [
        "",
        "Search results carry `noindex` on purpose (search engines ask sites to keep result",
        "pages out of their index), which is all the SEO audit holds against them; the",
        "search page itself is indexable and scores 100. Before the fixes of issue #20",
        "(2026-12-06: colour contrast, links told by colour alone, covers without",
        "renditions, static files without compression or long lifetimes) the home page",
        "scored 97/96/96/100 and an article 99/93/96/100.",
    ]
    write_section(HEADING, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
