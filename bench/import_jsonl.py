"""Corpus import speed: `citydesk import jsonl` over the full xwlb and sina corpora.

Runs `citydesk migrate` and `citydesk import jsonl` as subprocesses against a fresh SQLite
data dir in a temporary folder, the way an operator would, then runs the same import a
second time (it must add nothing) and writes the numbers into the "Corpus import" section
of docs/benchmarks.md.

    .venv/bin/python bench/import_jsonl.py [--keep]
"""

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from _report import DOC, machine, write_section

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "data" / "corpus"
CORPORA = [
    ("xwlb (新闻联播)", "xwlb_2012-2026_articles.jsonl.xz"),
    ("sina", "sina_2018_articles.jsonl.xz"),
]
HEADING = "## Corpus import (`citydesk import jsonl`)"
TARGET = 300  # articles/s, the bar set by the issue
SUMMARY_RE = re.compile(r"imported (\d+) / skipped \(duplicate\) (\d+) / failed (\d+)")


def citydesk(env: dict[str, str], *args: str) -> tuple[float, str]:
    """Run one citydesk command; its seconds and stderr (the import's summary is there)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "citydesk", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    # The import exits 1 when some lines failed; the summary still counts them.
    if proc.returncode not in (0, 1) or (proc.returncode and args[0] != "import"):
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"citydesk {' '.join(args)} exited {proc.returncode}")
    return seconds, proc.stderr


def counts(stderr: str) -> tuple[int, int, int]:
    match = SUMMARY_RE.search(stderr)
    if match is None:
        raise SystemExit("no summary line in the import's output:\n" + stderr[-2000:])
    imported, skipped, failed = map(int, match.groups())
    return imported, skipped, failed


def stored(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            name: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for name, table in [
                ("articles", "content_article"),
                ("tags", "content_tag"),
                ("people", "content_person"),
                ("credits", "content_articlecredit"),
                ("tag links", "content_article_tags"),
            ]
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args()

    paths = [(name, CORPUS / filename) for name, filename in CORPORA]
    missing = [str(p) for _, p in paths if not p.exists()]
    if missing:
        print("skipped: ../shared/data/corpus is absent: " + ", ".join(missing))
        return 0

    data_dir = Path(tempfile.mkdtemp(prefix="citydesk-bench-"))
    env = {k: v for k, v in os.environ.items() if k != "CITYDESK_DATABASE_URL"}
    env["CITYDESK_DATA_DIR"] = str(data_dir)
    citydesk(env, "migrate", "--verbosity", "0")

    rows = []
    total_imported = total_seconds = 0.0
    for name, path in paths:
        seconds, err = citydesk(env, "import", "jsonl", str(path))
        imported, _skipped, failed = counts(err)
        rate = imported / seconds
        total_imported += imported
        total_seconds += seconds
        print(f"{name}: {imported} imported, {failed} failed in {seconds:.1f} s: {rate:.0f}/s")
        rows.append(
            f"| {name} | {path.stat().st_size / 1e6:.1f} MB xz | {imported:,} | {failed:,} "
            f"| {seconds:.1f} s | **{rate:,.0f}** |"
        )

    again_seconds, err = citydesk(env, "import", "jsonl", *(str(p) for _, p in paths))
    again_imported, again_skipped, again_failed = counts(err)
    print(
        f"second run: {again_imported} imported, {again_skipped} skipped "
        f"in {again_seconds:.1f} s ({again_skipped / again_seconds:,.0f} lines/s)"
    )
    totals = stored(data_dir / "citydesk.sqlite3")
    db_mb = (data_dir / "citydesk.sqlite3").stat().st_size / 1e6

    overall = total_imported / total_seconds
    verdict = "meets" if overall >= TARGET else "MISSES"
    section = "\n".join(
        [
            HEADING,
            "",
            f"Measured by `bench/import_jsonl.py` on {date.today().isoformat()}: {machine()}.",
            "A fresh SQLite data dir; `citydesk migrate`, then one `citydesk import jsonl`",
            "per corpus, each timed from process start to exit (Django start-up included).",
            "",
            "| corpus | file | imported | failed | time | articles/s |",
            "|---|---|---:|---:|---:|---:|",
            *rows,
            f"| both, second run (no-op: adds nothing) | | {again_imported:,} "
            f"(skipped {again_skipped:,}) | {again_failed:,} | {again_seconds:.1f} s "
            f"| {again_skipped / again_seconds:,.0f} lines/s checked |",
            "",
            f"Overall {overall:,.0f} articles/s: {verdict} the bar of {TARGET} articles/s.",
            "Stored afterwards: "
            + ", ".join(f"{n:,} {name}" for name, n in totals.items())
            + f"; database file {db_mb:,.0f} MB.",
            "",
            "The import stores each batch of 1,000 lines in one transaction with a few",
            "`bulk_create` calls (articles, new tags and people, channel and tag links,",
            "credits); the second run parses every line again and skips the stored ids",
            "batch by batch, so its time is mostly xz decoding and JSON parsing.",
            "",
        ]
    )
    write_section(HEADING, section)
    print(f"wrote {DOC.relative_to(ROOT)}")
    if args.keep:
        print(f"data dir kept: {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
