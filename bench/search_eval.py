"""Search quality and speed over the xwlb corpus, beside a Wagtail-like baseline.

    .venv/bin/python bench/search_eval.py [--keep] [--no-postgres]

1. A fresh SQLite data dir: `citydesk migrate`, then `citydesk import jsonl` of the full
   xwlb corpus (the importer indexes as it goes), then `citydesk reindex --clear` timed
   on its own: the index build rate.
2. The baseline, in the same database: an FTS5 table with SQLite's default unicode61
   tokenizer over the raw, unsegmented title and body, queried with the reader's words
   as typed (what Wagtail's SQLite backend does).
3. Queries, drawn with a fixed seed from the corpus itself:
   (a) known-item: one article with a title no other article has, and what a reader who
       remembers it might type: a word of its title, a pair of words from its title and
       body, a run of two to four title words typed as one string, or such a run in
       traditional characters. Words are drawn in proportion to tf·idf (readers recall
       the words that stand out, and all of them, not only the rarest). MRR@10 and
       success@10; the article itself is the one right answer.
   (b) tags: the corpus keywords (editor tags) as queries, the articles tagged with them
       as the relevant ones: nDCG@10.
4. Latency over the whole query set (both kinds), p50 and p95, for citydesk's SQLite
   backend (query parsing and the backend search with its count, and the full results
   page data with snippets), the baseline, and the PostgreSQL backend over the same
   documents (CITYDESK_BENCH_POSTGRES_URL or CITYDESK_TEST_POSTGRES_URL; a scratch
   database is created on that server and dropped after).
5. jieba and rjieba side by side on corpus text: speed and agreement.

The numbers are written into the "Search" section of docs/benchmarks.md.
"""

import argparse
import bisect
import math
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _report import machine, percentile, write_section  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "corpus" / "xwlb_2012-2026_articles.jsonl.xz"
HEADING = "## Search"
SEED = 20261126
KNOWN_ITEM_MIX = {"word": 150, "pair": 150, "title fragment": 150, "traditional": 100}
TAG_QUERIES = 300
ANSWERABLE = 10  # at most this many articles hold every word of an answerable query
TARGETS = {"mrr": 0.9, "p95_ms": 20.0, "build_per_s": 500.0, "import_per_s": 300.0}


def cpu_seconds() -> float:
    """CPU time of the finished child processes: what a run cost, however busy the machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def citydesk(env: dict[str, str], *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "citydesk", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if proc.returncode:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"citydesk {' '.join(args)} exited {proc.returncode}")
    return seconds, proc.stdout + proc.stderr


# ---------------------------------------------------------------------------------------
# Queries


class Substrings:
    """Which articles contain a string, found by scanning the folded corpus text."""

    def __init__(self, articles: dict[int, dict[str, Any]]) -> None:
        from citydesk.core.text import fold

        self.ids = list(articles)
        texts = [fold(a["title"] + "\n" + a["body"]) for a in articles.values()]
        self.starts = []
        position = 0
        for t in texts:
            self.starts.append(position)
            position += len(t) + 1
        self.big = "\x00".join(texts)
        self.cache: dict[str, frozenset[int]] = {}

    def containing(self, word: str) -> frozenset[int]:
        if word not in self.cache:
            found: set[int] = set()
            at = self.big.find(word)
            while at >= 0:
                index = bisect.bisect_right(self.starts, at) - 1
                found.add(self.ids[index])
                # On to the next article: one hit an article is enough.
                following = (
                    self.starts[index + 1] if index + 1 < len(self.starts) else len(self.big)
                )
                at = self.big.find(word, following)
            self.cache[word] = frozenset(found)
        return self.cache[word]

    def count_all(self, words: list[str]) -> int:
        sets = sorted((self.containing(w) for w in words), key=len)
        return len(frozenset.intersection(*sets)) if sets else 0


def make_queries(
    articles: dict[int, dict[str, Any]], df: dict[str, int], rng: random.Random
) -> tuple[list[tuple[str, str, int, int]], list[tuple[str, set[int]]]]:
    """(kind, query, article id, holders) known-item queries, and (tag, relevant ids) tag
    queries; holders is how many articles hold every word of the query (at least, for a
    common single word). A query is answerable when at most ANSWERABLE articles hold all its words
    as strings: a reader types until the words tell the article apart, and a query that
    thousands of articles match measures the reader's luck, not the engine."""
    import opencc

    from citydesk.core.text import fold, segmenter

    s2t = opencc.OpenCC("s2t")
    n = len(articles)
    substrings = Substrings(articles)

    def idf(word: str) -> float:
        return math.log(n / (1 + df.get(word, 0)))

    def pick(weights: dict[str, float], k: int) -> list[str]:
        words = [w for w in weights if weights[w] > 0]
        chosen: list[str] = []
        while words and len(chosen) < k:
            w = rng.choices(words, [weights[x] for x in words])[0]
            chosen.append(w)
            words.remove(w)
        return chosen

    titles = Counter(a["title"] for a in articles.values())
    candidates = [
        pk
        for pk, a in articles.items()
        if titles[a["title"]] == 1 and len(a["title"]) >= 6 and len(a["body"]) >= 20
    ]
    rng.shuffle(candidates)
    known: list[tuple[str, str, int, int]] = []
    pool = iter(candidates)
    for kind, wanted in KNOWN_ITEM_MIX.items():
        made = 0
        while made < wanted:
            pk = next(pool)
            title = articles[pk]["title"]
            cut = segmenter.words(fold(title))
            title_words = [w for w in cut if len(w) > 1]
            if kind == "word":
                # The word of the title that stands out most: a name, a place, a term.
                words = sorted(title_words, key=idf, reverse=True)[:1]
                query = words[0] if words else ""
            elif kind == "pair":
                body_words = segmenter.words(fold(articles[pk]["body"]))
                tf = Counter(title_words + [w for w in body_words if len(w) > 1])
                words = pick({w: tf[w] * idf(w) for w in tf}, 2)
                query = " ".join(words) if len(words) == 2 else ""
            else:
                # A run of title words typed as one string, within one stretch of the
                # title between punctuation (a reader types what stands together).
                stretches = [segmenter.words(c) for c in re.findall(r"[^\W_]+", fold(title))]
                stretches = [c for c in stretches if len(c) >= 2]
                if not stretches:
                    continue
                cut = rng.choice(stretches)
                size = rng.randint(2, min(4, len(cut)))
                start = rng.randint(0, len(cut) - size)
                fragment = "".join(cut[start : start + size])
                if len(fragment) < 4:
                    continue
                words = [fragment]
                query = fragment if kind == "title fragment" else s2t.convert(fragment)
                if kind == "traditional" and query == fragment:
                    continue
            if not query:
                continue
            # A word that the index alone finds in more articles is too common already.
            if len(words) == 1 and df.get(fold(words[0]), 0) > ANSWERABLE:
                holders = df[fold(words[0])]
            else:
                holders = substrings.count_all([fold(w) for w in words])
            known.append((kind, query, pk, holders))
            made += holders <= ANSWERABLE

    by_tag: dict[str, set[int]] = defaultdict(set)
    for pk, a in articles.items():
        for tag in a["tags"]:
            by_tag[tag].add(pk)
    tags = sorted(t for t, ids in by_tag.items() if 2 <= len(ids) <= 500)
    sampled = rng.sample(tags, min(TAG_QUERIES, len(tags)))
    return known, [(t, by_tag[t]) for t in sampled]


def reciprocal_rank(ranked: list[int], target: int) -> float:
    return 1.0 / (ranked.index(target) + 1) if target in ranked[:10] else 0.0


def ndcg(ranked: list[int], relevant: set[int]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, pk in enumerate(ranked[:10]) if pk in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal if ideal else 0.0


# ---------------------------------------------------------------------------------------
# Systems under test: each maps a query to the ids of its top ten.


def baseline_search(connection: Any) -> Callable[[str], list[int]]:
    """What Wagtail's SQLite backend does: the words as typed, AND-ed, bm25."""

    def search(q: str) -> list[int]:
        terms = ['"' + t.replace('"', '""') + '"' for t in q.split()]
        if not terms:
            return []
        match = " AND ".join(terms)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM baseline_fts WHERE baseline_fts MATCH %s"
                " ORDER BY bm25(baseline_fts, 10.0, 1.0) LIMIT 10",
                [match],
            )
            ids = [int(r[0]) for r in cursor.fetchall()]
            cursor.execute("SELECT count(*) FROM baseline_fts WHERE baseline_fts MATCH %s", [match])
            cursor.fetchone()
        return ids

    return search


def citydesk_search(backend: Any) -> Callable[[str], list[int]]:
    from django.utils import timezone

    from citydesk.core.text import parse_query
    from citydesk.search.backends.base import Filters

    def search(q: str) -> list[int]:
        results = backend.search(parse_query(q), Filters(now=timezone.now()), limit=10)
        return [h.article_id for h in results.hits]

    return search


def run_queries(
    search: Callable[[str], list[int]],
    known: list[tuple[str, str, int, int]],
    tags: list[tuple[str, set[int]]],
) -> dict[str, Any]:
    """Quality over the answerable known-item queries (and over all drawn, beside it),
    nDCG over the tag queries, latency over every query run."""
    latencies: list[float] = []
    rr: dict[str, list[float]] = defaultdict(list)
    rr_all: list[float] = []
    rr_holders: dict[str, list[float]] = defaultdict(list)
    gains: list[float] = []
    for kind, q, target, holders in known:
        start = time.perf_counter()
        ranked = search(q)
        latencies.append((time.perf_counter() - start) * 1000)
        value = reciprocal_rank(ranked, target)
        rr_all.append(value)
        if holders <= ANSWERABLE:
            rr[kind].append(value)
            rr_holders["1" if holders <= 1 else "2-3" if holders <= 3 else "4-10"].append(value)
    for tag, relevant in tags:
        start = time.perf_counter()
        ranked = search(tag)
        latencies.append((time.perf_counter() - start) * 1000)
        gains.append(ndcg(ranked, relevant))
    every = [x for values in rr.values() for x in values]
    return {
        "mrr": statistics.mean(every),
        "success": sum(1 for x in every if x > 0) / len(every),
        "by_kind": {k: statistics.mean(v) for k, v in rr.items()},
        "mrr_all": statistics.mean(rr_all),
        "by_holders": {k: (statistics.mean(v), len(v)) for k, v in sorted(rr_holders.items())},
        "ndcg": statistics.mean(gains) if gains else 0.0,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "count": len(latencies),
    }


# ---------------------------------------------------------------------------------------
# Segmenters


def compare_segmenters(texts: list[str]) -> list[str]:
    try:
        import jieba
    except ImportError:
        return ["jieba is not installed (pip install '.[dev]'): no comparison."]
    import rjieba

    jieba.setLogLevel(60)
    jieba.initialize()
    rust = rjieba.Jieba()
    chars = sum(map(len, texts))
    runs = [
        ("jieba", "accurate, no HMM", lambda t: list(jieba.cut(t, HMM=False))),
        ("rjieba", "accurate, no HMM", lambda t: rust.cut(t, False)),
        ("jieba", "full mode", lambda t: list(jieba.cut(t, cut_all=True))),
        ("rjieba", "full mode", rust.cut_all),
        ("jieba", "search mode, HMM", lambda t: list(jieba.cut_for_search(t))),
        ("rjieba", "search mode, HMM", lambda t: rust.cut_for_search(t, True)),
    ]
    rows = ["| segmenter | mode | chars/s | articles/s |", "|---|---|---:|---:|"]
    outputs: dict[tuple[str, str], list[list[str]]] = {}
    for name, mode, cut in runs:
        start = time.perf_counter()
        outputs[name, mode] = [cut(t) for t in texts]
        seconds = time.perf_counter() - start
        rows.append(
            f"| {name} | {mode} | {chars / seconds / 1e6:.2f} M | {len(texts) / seconds:,.0f} |"
        )
    same = []
    for mode in ("accurate, no HMM", "search mode, HMM"):
        equal = sum(
            a == b for a, b in zip(outputs["jieba", mode], outputs["rjieba", mode], strict=True)
        )
        same.append(f"{mode}: {equal / len(texts):.1%}")
    rows += ["", "Same tokens from both, article by article: " + "; ".join(same) + "."]
    return rows


# ---------------------------------------------------------------------------------------


def postgres_url(args: argparse.Namespace) -> str:
    if args.no_postgres:
        return ""
    url = os.environ.get("CITYDESK_BENCH_POSTGRES_URL") or os.environ.get(
        "CITYDESK_TEST_POSTGRES_URL", ""
    )
    if not url:
        return ""
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=5).close()
    except Exception as exc:
        print(f"PostgreSQL unreachable, skipped: {exc}")
        return ""
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL run")
    args = parser.parse_args()
    if not CORPUS.exists():
        print("skipped: ../shared/data/corpus is absent")
        return 0
    pg_url = postgres_url(args)
    load_before = os.getloadavg()[0]

    data_dir = Path(tempfile.mkdtemp(prefix="citydesk-search-"))
    env = {k: v for k, v in os.environ.items() if k != "CITYDESK_DATABASE_URL"}
    env["CITYDESK_DATA_DIR"] = str(data_dir)
    env.pop("CITYDESK_SEARCH_BACKEND", None)
    citydesk(env, "migrate", "--verbosity", "0")
    cpu = cpu_seconds()
    import_seconds, _ = citydesk(env, "import", "jsonl", "--no-progress", str(CORPUS))
    import_cpu = cpu_seconds() - cpu
    with sqlite3.connect(data_dir / "citydesk.sqlite3") as db:
        indexed_by_import = db.execute("SELECT count(*) FROM search_fts").fetchone()[0]
    print(f"import with indexing: {import_seconds:.1f} s, {indexed_by_import} indexed")
    cpu = cpu_seconds()
    build_seconds, out = citydesk(env, "reindex", "--clear", "--no-progress")
    build_cpu = cpu_seconds() - cpu
    print(f"reindex: {build_seconds:.1f} s: {out.strip()}")

    os.environ.update(env)
    os.environ.pop("CITYDESK_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "citydesk.settings"
    from django.conf import settings

    pg_name = f"citydesk_bench_search_{os.getpid()}"
    if pg_url:
        import dj_database_url

        settings.DATABASES["pg"] = {**dj_database_url.parse(pg_url), "NAME": pg_name}
    import django

    django.setup()
    from django.db import connection, connections

    from citydesk.content.models import Article
    from citydesk.search import actions, dictionary, queries
    from citydesk.search.backends import get_backend
    from citydesk.search.backends.postgres import PostgresBackend

    dictionary.refresh(force=True)
    indexed = len(get_backend().indexed_ids(0, 10**6))
    articles: dict[int, dict[str, Any]] = {}
    for pk, title, body in Article.objects.values_list("pk", "title", "body").iterator(2000):
        articles[pk] = {"title": title, "body": actions.body_text(body), "tags": []}
    for pk, tag in Article.tags.through.objects.values_list("article_id", "tag__name").iterator(
        5000
    ):
        articles[pk]["tags"].append(tag)
    n = len(articles)

    # Baseline index: unicode61 over raw text.
    with connection.cursor() as cursor:
        cursor.execute("CREATE VIRTUAL TABLE baseline_fts USING fts5(title, body)")
        start = time.perf_counter()
        cursor.executemany(
            "INSERT INTO baseline_fts (rowid, title, body) VALUES (%s, %s, %s)",
            [(pk, a["title"], a["body"]) for pk, a in articles.items()],
        )
        baseline_build = time.perf_counter() - start
        cursor.execute("CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row')")
        cursor.execute("SELECT term, doc FROM search_vocab")
        df = {term: count for term, count in cursor.fetchall()}

    rng = random.Random(SEED)
    known, tags = make_queries(articles, df, rng)
    print(f"{len(known)} known-item queries, {len(tags)} tag queries")

    systems: dict[str, dict[str, Any]] = {}
    ours = citydesk_search(get_backend())
    run_queries(ours, known[:100], tags[:20])  # warm the caches before timing
    systems["citydesk, SQLite FTS5"] = run_queries(ours, known, tags)
    page_times = []
    for q in [q for _k, q, _t, _a in known] + [t for t, _r in tags]:
        start = time.perf_counter()
        queries.search(q)
        page_times.append((time.perf_counter() - start) * 1000)
    baseline = baseline_search(connection)
    run_queries(baseline, known[:100], tags[:20])
    systems["baseline: FTS5 unicode61, unsegmented"] = run_queries(baseline, known, tags)

    pg_build = ""
    if pg_url:
        import psycopg

        admin = psycopg.connect(pg_url, autocommit=True)
        admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}"')
        admin.execute(f'CREATE DATABASE "{pg_name}"')
        try:
            from django.core.management import call_command

            call_command("migrate", database="pg", verbosity=0)
            pg = PostgresBackend("pg", {"OPTIONS": {"DATABASE": "pg"}})
            ids = sorted(articles)
            segment_seconds = write_seconds = 0.0
            for i in range(0, len(ids), 1000):
                start = time.perf_counter()
                docs = actions.documents(ids[i : i + 1000])
                middle = time.perf_counter()
                pg.add_bulk(docs)
                segment_seconds += middle - start
                write_seconds += time.perf_counter() - middle
            pg.optimize()
            pg_build = (
                f"PostgreSQL index build: {n / (segment_seconds + write_seconds):,.0f} articles/s "
                f"({segment_seconds:.0f} s reading and segmenting, {write_seconds:.0f} s "
                "writing tsvectors and the GIN index)."
            )
            print(pg_build)
            pg_search = citydesk_search(pg)
            run_queries(pg_search, known[:100], tags[:20])
            systems["citydesk, PostgreSQL 'simple' + GIN"] = run_queries(pg_search, known, tags)
        finally:
            connections["pg"].close()
            admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}"')
            admin.close()

    sample = [a["title"] + "\n" + a["body"] for pk, a in sorted(articles.items())[::20]]
    segmenter_rows = compare_segmenters(sample)

    db_mb = (data_dir / "citydesk.sqlite3").stat().st_size / 1e6
    build_rate = indexed / build_seconds if build_seconds else 0.0
    import_rate = n / import_seconds
    kinds = list(KNOWN_ITEM_MIX)
    answerable = sum(1 for k in known if k[3] <= ANSWERABLE)
    lines = [
        HEADING,
        "",
        f"Measured by `bench/search_eval.py` on {date.today().isoformat()}: {machine()}; "
        f"load average {load_before:.1f} at the start (other work on the machine slows the"
        " wall-clock numbers; CPU time is given beside them).",
        f"Corpus: xwlb, {n:,} articles, in a fresh SQLite data dir.",
        "",
        "### Building the index",
        "",
        "| what | time | articles/s | CPU time | articles per CPU second | target |",
        "|---|---:|---:|---:|---:|---:|",
        f"| `citydesk import jsonl` of the full corpus, indexing as it imports "
        f"({indexed_by_import:,} indexed) | {import_seconds:.1f} s | **{import_rate:,.0f}** "
        f"| {import_cpu:.1f} s | {n / import_cpu:,.0f} | ≥ {TARGETS['import_per_s']:.0f} |",
        f"| `citydesk reindex --clear` (fold, segment, write FTS5; process start included) "
        f"| {build_seconds:.1f} s | **{build_rate:,.0f}** | {build_cpu:.1f} s "
        f"| {indexed / build_cpu:,.0f} | ≥ {TARGETS['build_per_s']:.0f} |",
        f"| baseline FTS5 unicode61 over raw text (inserts only) | {baseline_build:.1f} s "
        f"| {n / baseline_build:,.0f} | | | |",
        "",
        *([pg_build, ""] if pg_build else []),
        f"Database file afterwards (articles, FTS5 index and the baseline's): {db_mb:,.0f} MB.",
        "",
        "### Quality",
        "",
        f"Known-item queries: {answerable} answerable ones ("
        + ", ".join(f"{KNOWN_ITEM_MIX[k]} {k}" for k in kinds)
        + f"), drawn with seed {SEED} until each kind had its number; an answerable query is"
        f" one whose words, as strings, occur together in at most {ANSWERABLE} articles."
        f" The {len(known)} drawn in all include {len(known) - answerable}"
        " that many more articles match (a single common word of a title, say): the column"
        ' "MRR, all drawn" counts them too. Tag queries: '
        f"{len(tags)} corpus keywords tagged on 2 to 500 articles.",
        "",
        "| system | MRR@10 | success@10 | "
        + " | ".join(f"MRR {k}" for k in kinds)
        + " | MRR, all drawn | tags nDCG@10 | p50 ms | p95 ms |",
        "|---|---:|---:|" + "---:|" * len(kinds) + "---:|---:|---:|---:|",
    ]
    for name, r in systems.items():
        lines.append(
            f"| {name} | **{r['mrr']:.3f}** | {r['success']:.3f} | "
            + " | ".join(f"{r['by_kind'][k]:.3f}" for k in kinds)
            + f" | {r['mrr_all']:.3f} | {r['ndcg']:.3f} | {r['p50']:.1f} | {r['p95']:.1f} |"
        )
    sqlite_result = systems["citydesk, SQLite FTS5"]
    lines += [
        "",
        "citydesk's MRR@10 by how many articles hold every word of the query: "
        + "; ".join(
            f"{holders}: {mrr:.3f} ({count} queries)"
            for holders, (mrr, count) in sqlite_result["by_holders"].items()
        )
        + ". Where several articles hold the words, often in their titles too, which of"
        " them the reader meant is not in the query; that is what keeps MRR from 1.",
        "",
        f"Latency is over every query run ({sqlite_result['count']:,}: all drawn known-item"
        " queries and the tag queries), one at a time, after a short warm-up:",
        "for citydesk it is query parsing (fold, segment) plus the backend's search with its",
        "count of all matches; for the baseline the same search and count.",
        "The whole results page's data (`citydesk.search.queries.search`: the search, the",
        f"articles, highlighted titles and snippets) took p50 {percentile(page_times, 50):.1f} ms,"
        f" p95 {percentile(page_times, 95):.1f} ms.",
        "",
        f"Targets: MRR@10 ≥ {TARGETS['mrr']} — "
        + ("met" if sqlite_result["mrr"] >= TARGETS["mrr"] else "**missed**")
        + f"; p95 ≤ {TARGETS['p95_ms']:.0f} ms embedded — "
        + ("met" if sqlite_result["p95"] <= TARGETS["p95_ms"] else "**missed**")
        + f"; index build ≥ {TARGETS['build_per_s']:.0f} articles/s — "
        + ("met" if build_rate >= TARGETS["build_per_s"] else "**missed**")
        + ".",
        "",
        "### Segmenter: jieba or rjieba",
        "",
        f"On every 20th article of the corpus ({len(sample):,} articles, "
        f"{sum(map(len, sample)):,} characters):",
        "",
        *segmenter_rows,
        "rjieba (jieba's algorithm and dictionary in Rust) gives the same cut about ten times",
        "faster, so citydesk uses rjieba; jieba stays a development dependency for this table.",
        "",
    ]
    write_section(HEADING, "\n".join(lines))
    print("\n".join(lines))
    if args.keep:
        print(f"data dir kept: {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
