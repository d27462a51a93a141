"""Extraction quality: citydesk's HTML extractor beside GNE and trafilatura, on the same
pages (../shared/data/extraction), scored the same way.

    .venv/bin/python bench/extraction.py [--print-only]

GNE and trafilatura are installed only in a benchmark environment of their own
(var/bench-extract, made on the first run with pinned versions) and run there in a
subprocess (bench/_extract_others.py), so the project never depends on them.

Fields and scores:
- title: exact, whitespace ignored (pages whose truth has the article's headline:
  trafilatura's and newspaper4k's sets; readability's "titles" are <title> texts);
- date: the date, and the hour and minute where the truth has them;
- author: the set of names equals the truth's ("UNKNOWN"/none: the empty set);
- body: character-level F1, whitespace ignored: precision and recall of the multiset of
  characters extracted against the truth's.
"""

import argparse
import collections
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "extraction"
BENCH_ENV = ROOT / "var" / "bench-extract"
OTHERS = {"gne": "gne==0.4.3", "trafilatura": "trafilatura==2.3.1"}
PINS = [*OTHERS.values(), "lxml==6.1.3", "lxml_html_clean==0.4.6"]

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citydesk.settings")


def cases() -> list[dict[str, Any]]:
    """Every page with the truth it has: {path, title?, date?, authors?, body?}."""
    found: list[dict[str, Any]] = []
    truth = json.loads((DATA / "cwce/truth.json").read_text(encoding="utf-8"))
    for pid, t in truth.items():
        authors = [] if t["author"] == "UNKNOWN" else t["author"].split()
        case = {"set": "cwce", "path": DATA / f"cwce/pages/{pid}.html", "body": t["body"]}
        case["authors"] = authors
        if re.match(r"\d{4}-\d{1,2}-\d{1,2}", t["date"]):  # a few truths are not dates
            case["date"] = t["date"]
        found.append(case)
    subset = json.loads((DATA / "trafilatura/zh_news_evaldata_subset.json").read_text("utf-8"))
    for t in subset.values():
        found.append(
            {
                "set": "trafilatura",
                "path": DATA / "trafilatura/pages" / t["file"],
                "title": t["title"],
                "date": t["date"],
                "authors": t["author"].split() if t.get("author") else [],
            }
        )
    for meta in sorted((DATA / "newspaper4k/metadata").glob("*.json")):
        m = json.loads(meta.read_text("utf-8"))
        found.append(
            {
                "set": "newspaper4k",
                "path": DATA / "newspaper4k/html" / f"{meta.stem}.html",
                "title": m["title"],
                "date": m["publish_date"][:10],
                "body": (DATA / "newspaper4k/txt" / f"{meta.stem}.txt").read_text("utf-8"),
            }
        )
    import lxml.html

    for page in sorted((DATA / "readability").iterdir()):
        if not (page / "source.html").exists():
            continue
        expected = lxml.html.fromstring((page / "expected.html").read_text("utf-8"))
        found.append(
            {
                "set": "readability",
                "path": page / "source.html",
                "body": expected.text_content(),
            }
        )
    return found


def f1(got: str, want: str) -> float:
    a = collections.Counter(ch for ch in got if not ch.isspace())
    b = collections.Counter(ch for ch in want if not ch.isspace())
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * precision * recall / (precision + recall)


_DATE = re.compile(r"(\d{4})\D{1,3}(\d{1,2})\D{1,3}(\d{1,2})(?:\D{1,3}(\d{1,2})\D{1,3}(\d{1,2}))?")


def date_right(got: str, want: str) -> bool:
    w, g = _DATE.search(want), _DATE.search(got or "")
    if not w or not g:
        return False
    wanted = [int(x) for x in w.groups() if x is not None]
    given = [int(x) if x is not None else None for x in g.groups()]
    return given[: len(wanted)] == wanted


def normal(text: str) -> str:
    return "".join(text.split())


def citydesk_outputs(paths: list[Path]) -> dict[str, dict[str, Any]]:
    import django

    django.setup()
    from citydesk.importers import extract

    out = {}
    for path in paths:
        try:
            page = extract.extract(extract.decode(path.read_bytes()))
        except extract.ExtractError as exc:
            out[str(path)] = {"error": str(exc)}
            continue
        out[str(path)] = {
            "title": page.title,
            "date": page.published_at.strftime("%Y-%m-%d %H:%M:%S") if page.published_at else "",
            "authors": page.authors,
            "body": "\n".join(b.get("text", "") for b in page.blocks),
        }
    return out


def other_outputs(paths: list[Path]) -> dict[str, dict[str, dict[str, Any]]]:
    python = BENCH_ENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_ENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS], check=True)
    answer = subprocess.run(
        [str(python), str(ROOT / "bench" / "_extract_others.py")],
        input=json.dumps([str(p) for p in paths]),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(answer.stdout)


def score(cases: list[dict[str, Any]], outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    got: dict[str, list[float]] = collections.defaultdict(list)
    for case in cases:
        result = outputs.get(str(case["path"]), {})
        if "title" in case:
            got["title"].append(normal(result.get("title", "")) == normal(case["title"]))
        if "date" in case:
            got["date"].append(date_right(result.get("date", ""), case["date"]))
        if "authors" in case:
            got["author"].append(set(result.get("authors", [])) == set(case["authors"]))
        if "body" in case:
            got["body"].append(f1(result.get("body", ""), case["body"]))
    return {field: (sum(v) / len(v), len(v)) for field, v in got.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--print-only", action="store_true", help="print, do not update docs/benchmarks.md"
    )
    args = parser.parse_args()
    if not DATA.exists():
        print("../shared/data/extraction is absent: nothing to measure", file=sys.stderr)
        return 0
    found = cases()
    paths = [c["path"] for c in found]
    started = time.perf_counter()
    ours = citydesk_outputs(paths)
    ours_seconds = time.perf_counter() - started
    others = other_outputs(paths)
    table = {"citydesk": score(found, ours)}
    for name in OTHERS:
        table[name] = score(found, others[name])
    fields = ["title", "date", "author", "body"]
    lines = [
        "| extractor | "
        + " | ".join(
            f"{f} ({'F1' if f == 'body' else 'accuracy'}, {table['citydesk'][f][1]} pages)"
            for f in fields
        )
        + " |",
        "|---|" + "---:|" * len(fields),
    ]
    for name, result in table.items():
        cells = [f"{result[f][0]:.3f}" for f in fields]
        if name == "citydesk":
            cells = [f"**{c}**" for c in cells]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    best_other = {f: max(table[n][f][0] for n in OTHERS) for f in fields}
    verdict = [
        f"- {f}: citydesk {table['citydesk'][f][0]:.3f}, best of GNE and trafilatura"
        f" {best_other[f]:.3f}: {'met' if table['citydesk'][f][0] >= best_other[f] else 'MISSED'}"
        for f in fields
    ]
    body_ok = table["citydesk"]["body"][0] >= 0.9
    verdict.append(f"- body F1 ≥ 0.9: {'met' if body_ok else 'MISSED'}")
    sets = collections.Counter(c["set"] for c in found)
    report = "\n".join(
        [
            "## HTML extraction",
            "",
            f"Measured by `bench/extraction.py` on {date.today().isoformat()}:"
            f" {platform.processor() or platform.machine()}; Python {platform.python_version()}."
            f" Pages: {', '.join(f'{n} {s}' for s, n in sets.items())}"
            f" (../shared/data/extraction; GNE's own 60 pages have no checked truth).",
            f"citydesk extracted all {len(paths)} pages in {ours_seconds:.2f} s.",
            "Scoring, the same for all three: title exact (whitespace ignored; only pages whose"
            " truth is the headline, not the <title> text); date to the day, and to the minute"
            " where the truth has a time; authors as an exact set (none: the empty set); body as"
            " character-level F1 (multisets of characters, whitespace ignored). GNE and"
            " trafilatura get the same decoded text (BOM, else UTF-8, else GB18030).",
            "",
            *lines,
            "",
            *verdict,
            "",
        ]
    )
    print(report)
    if not args.print_only:
        doc = ROOT / "docs" / "benchmarks.md"
        text = doc.read_text(encoding="utf-8")
        start = text.find("## HTML extraction")
        if start >= 0:
            end = text.find("\n## ", start + 1)
            text = text[:start] + report + (text[end + 1 :] if end >= 0 else "")
        else:
            text = text.rstrip() + "\n\n" + report
        doc.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
