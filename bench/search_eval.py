"""Search quality and speed over the xwlb corpus, beside two baselines.

    .venv/bin/python bench/search_eval.py [--data-dir DIR] [--no-postgres]

1. A fresh SQLite data dir: `citydesk migrate`, then `citydesk import jsonl` of the full
   xwlb corpus (the importer indexes as it goes), then `citydesk reindex --clear` timed
   on its own: the index build rate. `--data-dir` reuses a data dir that has the corpus
   imported already (the import is skipped, the reindex is not).
2. Two baselines in the same database: an FTS5 table with SQLite's default unicode61
   tokenizer over the raw title and body, queried with the reader's words as typed (what
   Wagtail's SQLite backend does); and a CJK-bigram FTS5 table over the folded text (繁简,
   width and case folded), queried with the query's bigrams OR-ed and ranked by bm25 with
   the title weighted ten times (what Elasticsearch's cjk analyzer and its default match
   query do).
3. Known-item queries, drawn with a fixed seed from the corpus itself: one article with a
   title no other article has, and what a reader who remembers it might type (KINDS).
   Every query drawn is kept. For each, k is the number of articles that hold it at least
   as well as the target does, judged on the text alone: all its parts (what stands
   between spaces) in the title, else all its parts in the title or body, else all the
   words it was made from anywhere. A ranker that can only guess among those k reaches
   MRR@10 H(min(k, 10))/k and success@10 min(1, 10/k) on it: the blind-tie ceiling.
   Tag queries: the corpus keywords (editor tags) as queries, nDCG@10.
4. Latency over every query, p50 and p95: the backend search with its count, and the
   whole results page's data; for citydesk on SQLite and on PostgreSQL
   (CITYDESK_BENCH_POSTGRES_URL or CITYDESK_TEST_POSTGRES_URL; a scratch database is made
   on that server and dropped after). Bad input (one or two characters, punctuation,
   10,000 of one character) is timed on its own.
5. Index size: the word index (what citydesk had before the character index) and all of
   it now.
6. jieba and rjieba side by side on corpus text: speed and agreement.

The numbers are written into the "Search" section of docs/benchmarks.md.
"""

import argparse
import bisect
import json
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
SEED = 20261206
KINDS = {
    "word": "the word of the title that stands out most",
    "pair": "two words of the title and body, a space between",
    "pair, unspaced": "two such words typed as one string",
    "title words": "a run of two to four title words, as one string",
    "title words, traditional": "such a run in traditional characters",
    "title span": "4 to 10 characters of the title, cut at random characters",
    "title span, traditional": "such a span in traditional characters",
    "title span, spaced": "6 to 10 characters of the title, a space inside",
    "body phrase": "6 to 12 characters of a body sentence, cut at random characters",
}
PER_KIND = 150
# search_fts and search_meta as af87b17 builds them over the full xwlb corpus (its own
# `citydesk import jsonl`, then the same dbstat query as `index_size`): the index the
# character index is measured against.
TODAY_INDEX_MB = 344.0
TAG_QUERIES = 300
BAD_INPUT = {
    **{q: q for q in ("的", "中", "苏", "中国", "发展", "a", "1", "2024", "，，、。！", "!?")},
    "苏 ×10,000": "苏" * 10_000,
    "的 ×10,000": "的" * 10_000,
    "“苏州 ” ×3,000": "苏州 " * 3_000,
}
TARGETS = {
    "share": 0.97,
    "success_share": 0.98,
    "p95_ms": 20.0,
    "page_p95_ms": 30.0,
    "pg_p95_ms": 50.0,
    "build_per_s": 500.0,
    "import_per_s": 300.0,
    "size_ratio": 2.0,
}


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

    def __init__(self, ids: list[int], texts: list[str]) -> None:
        self.ids = ids
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

    def holding(self, words: list[str]) -> frozenset[int]:
        sets = sorted((self.containing(w) for w in words), key=len)
        return frozenset.intersection(*sets) if sets else frozenset()


class Known:
    """One known-item query: what was typed, the article meant, and how many articles
    hold it at least as well as that one (k), judged on the text alone."""

    def __init__(self, kind: str, q: str, target: int, holders: int) -> None:
        self.kind, self.q, self.target, self.holders = kind, q, target, holders

    @property
    def ceiling(self) -> float:
        k = self.holders
        return sum(1 / i for i in range(1, min(k, 10) + 1)) / k

    @property
    def ceiling_success(self) -> float:
        return min(1.0, 10 / self.holders)


def _span(rng: random.Random, runs: list[str], low: int, high: int) -> str:
    runs = [r for r in runs if len(r) >= low]
    if not runs:
        return ""
    run = rng.choice(runs)
    size = rng.randint(low, min(high, len(run)))
    start = rng.randint(0, len(run) - size)
    return run[start : start + size]


def make_queries(
    articles: dict[int, dict[str, Any]], df: dict[str, int], rng: random.Random
) -> tuple[list[Known], list[tuple[str, set[int]]]]:
    """PER_KIND known-item queries of every kind, and (tag, relevant ids) tag queries."""
    import opencc

    from citydesk.core.text import fold, segmenter

    s2t = opencc.OpenCC("s2t")
    n = len(articles)
    ids = list(articles)
    titles = Substrings(ids, [fold(a["title"]) for a in articles.values()])
    texts = Substrings(ids, [fold(a["title"] + "\n" + a["body"]) for a in articles.values()])
    run = re.compile(r"[^\W_]+")

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

    def mid_word(span_run: str, span: str) -> bool:
        """Whether the span starts or ends inside a word of the run it was cut from."""
        cuts, at = {0}, 0
        for word in segmenter.words(span_run):
            at += len(word)
            cuts.add(at)
        start = span_run.find(span)
        return start not in cuts or start + len(span) not in cuts

    def holders(q: str, words: list[str], pk: int) -> int:
        parts = run.findall(fold(q))
        if pk in titles.holding(parts):
            return len(titles.holding(parts))
        if pk in texts.holding(parts):
            return len(texts.holding(parts))
        return len(texts.holding([fold(w) for w in words]))

    title_counts = Counter(a["title"] for a in articles.values())
    candidates = [
        pk
        for pk, a in articles.items()
        if title_counts[a["title"]] == 1 and len(a["title"]) >= 6 and len(a["body"]) >= 20
    ]
    rng.shuffle(candidates)
    pool = iter(candidates)
    known: list[Known] = []
    for kind in KINDS:
        made = 0
        while made < PER_KIND:
            pk = next(pool)
            title = fold(articles[pk]["title"])
            title_runs = run.findall(title)
            title_words = [w for w in segmenter.words(title) if len(w) > 1]
            words: list[str] = []
            query = ""
            if kind == "word":
                # The word of the title that stands out most: a name, a place, a term.
                words = sorted(title_words, key=idf, reverse=True)[:1]
                query = words[0] if words else ""
            elif kind.startswith("pair"):
                body_words = segmenter.words(fold(articles[pk]["body"]))
                tf = Counter(title_words + [w for w in body_words if len(w) > 1])
                words = pick({w: tf[w] * idf(w) for w in tf}, 2)
                if len(words) == 2:
                    query = ("" if kind.endswith("unspaced") else " ").join(words)
            elif kind.startswith("title words"):
                # A run of title words typed as one string, within one stretch of the
                # title between punctuation (a reader types what stands together).
                stretches = [segmenter.words(c) for c in title_runs]
                stretches = [c for c in stretches if len(c) >= 2]
                if stretches:
                    cut = rng.choice(stretches)
                    size = rng.randint(2, min(4, len(cut)))
                    start = rng.randint(0, len(cut) - size)
                    query = "".join(cut[start : start + size])
                    words = cut[start : start + size]
                    if len(query) < 4:
                        query = ""
            elif kind.startswith("title span"):
                low = 6 if kind.endswith("spaced") else 4
                query = _span(rng, title_runs, low, 10)
                source = next((r for r in title_runs if query and query in r), "")
                if query and not mid_word(source, query):
                    query = ""  # cut at word boundaries both ends: the words kinds have those
                words = segmenter.words(query)
                if query and kind.endswith("spaced"):
                    cut = rng.randint(2, len(query) - 2)
                    query = f"{query[:cut]} {query[cut:]}"
            elif kind == "body phrase":
                query = _span(rng, run.findall(fold(articles[pk]["body"])), 6, 12)
                words = segmenter.words(query)
            if query and kind.endswith("traditional"):
                traditional = s2t.convert(query)
                # Drawn again where there is nothing to convert, or where folding does not
                # give the simplified text back (OpenCC's own round trip, not search).
                query = traditional if traditional != query and fold(traditional) == query else ""
            if not query:
                continue
            known.append(Known(kind, query, pk, holders(query, words, pk)))
            made += 1

    by_tag: dict[str, set[int]] = defaultdict(set)
    for pk, a in articles.items():
        for tag in a["tags"]:
            by_tag[tag].add(pk)
    tags = sorted(t for t, tagged in by_tag.items() if 2 <= len(tagged) <= 500)
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


def unicode61_search(connection: Any) -> Callable[[str], list[int]]:
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


def cjk_tokens(folded: str) -> list[str]:
    """Elasticsearch's cjk analyzer on folded text: each run's bigrams, a lone character
    as itself."""
    from citydesk.core.text import bigram_runs

    tokens = []
    for run in re.findall(r"[^\W_]+", folded):
        tokens.extend(bigram_runs(run)[0] if len(run) > 1 else [run])
    return tokens


def bigram_search(connection: Any) -> Callable[[str], list[int]]:
    """The query's bigrams OR-ed, bm25 with the title weighted ten times."""
    from citydesk.core.text import fold

    def search(q: str) -> list[int]:
        tokens = list(dict.fromkeys(cjk_tokens(fold(q[:100]))))
        if not tokens:
            return []
        match = " OR ".join(f'"{t}"' for t in tokens)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM baseline_bigram WHERE baseline_bigram MATCH %s"
                " ORDER BY bm25(baseline_bigram, 10.0, 1.0) LIMIT 10",
                [match],
            )
            return [int(r[0]) for r in cursor.fetchall()]

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
    search: Callable[[str], list[int]], known: list[Known], tags: list[tuple[str, set[int]]]
) -> dict[str, Any]:
    """MRR@10 and success@10 by kind and overall, nDCG over the tag queries, latency over
    every query run."""
    latencies: list[float] = []
    rr: dict[str, list[float]] = defaultdict(list)
    gains: list[float] = []
    each = []
    for item in known:
        start = time.perf_counter()
        ranked = search(item.q)
        latencies.append((time.perf_counter() - start) * 1000)
        rr[item.kind].append(reciprocal_rank(ranked, item.target))
        each.append([item.kind, item.q, item.target, item.holders, ranked])
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
        "success_by_kind": {k: sum(1 for x in v if x > 0) / len(v) for k, v in rr.items()},
        "ndcg": statistics.mean(gains) if gains else 0.0,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "count": len(latencies),
        "each": each,
    }


def paired(a: list[list[Any]], b: list[list[Any]]) -> dict[str, float]:
    """Two systems' success@10 on the same queries, compared query by query: how many only
    one of them finds, McNemar's exact test of those (two-sided), and the difference
    b - a with its 95% confidence interval. "Equal" is read as no significant difference
    (p ≥ 0.05) and a difference under 0.01: a sample of queries cannot tell apart two
    systems whose guesses among tied articles land on one query more or less."""
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x[2] in x[4] and y[2] not in y[4])
    only_b = sum(1 for x, y in zip(a, b, strict=True) if x[2] not in x[4] and y[2] in y[4])
    n, m = len(a), only_a + only_b
    p = (
        min(1.0, 2 * sum(math.comb(m, i) for i in range(min(only_a, only_b) + 1)) / 2**m)
        if m
        else 1.0
    )
    diff = (only_b - only_a) / n
    se = math.sqrt(max(0.0, m - (only_b - only_a) ** 2 / n)) / n
    return {
        "only_a": only_a,
        "only_b": only_b,
        "p": p,
        "diff": diff,
        "low": diff - 1.96 * se,
        "high": diff + 1.96 * se,
    }


def ceilings(known: list[Known]) -> dict[str, Any]:
    by_kind: dict[str, list[Known]] = defaultdict(list)
    for item in known:
        by_kind[item.kind].append(item)
    return {
        "mrr": statistics.mean(i.ceiling for i in known),
        "success": statistics.mean(i.ceiling_success for i in known),
        "by_kind": {k: statistics.mean(i.ceiling for i in v) for k, v in by_kind.items()},
        "success_by_kind": {
            k: statistics.mean(i.ceiling_success for i in v) for k, v in by_kind.items()
        },
        "tied": {k: sum(1 for i in v if i.holders > 1) for k, v in by_kind.items()},
    }


def bad_input_times(backend: Any, rounds: int = 5) -> dict[str, float]:
    """The slowest of `rounds` runs of each bad query: search with its count, in ms."""
    from django.utils import timezone

    from citydesk.core.text import parse_query
    from citydesk.search.backends.base import Filters

    worst: dict[str, float] = {}
    for label, q in BAD_INPUT.items():
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            backend.search(parse_query(q), Filters(now=timezone.now()), limit=10)
            times.append((time.perf_counter() - start) * 1000)
        worst[label] = max(times)
    return worst


def index_size(connection: Any) -> tuple[float, float]:
    """MB of the word index (with the meta table) and of the whole index now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE 'search_%' GROUP BY name"
        )
        sizes = dict(cursor.fetchall())
    words = sum(v for k, v in sizes.items() if k.startswith("search_fts") or k == "search_meta")
    chars = sum(v for k, v in sizes.items() if k.startswith(("search_chars", "search_text")))
    return words / 1e6, (words + chars) / 1e6


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
    parser.add_argument("--data-dir", help="a data dir with the corpus imported already")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL run")
    parser.add_argument(
        "--no-reindex", action="store_true", help="with --data-dir: keep its index as it is"
    )
    parser.add_argument("--no-write", action="store_true", help="print, leave the docs alone")
    parser.add_argument("--dump", help="write every query's top ten, by system, to this JSON file")
    args = parser.parse_args()
    if not CORPUS.exists():
        print("skipped: ../shared/data/corpus is absent")
        return 0
    pg_url = postgres_url(args)
    load_before = os.getloadavg()[0]

    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="citydesk-search-"))
    env = {k: v for k, v in os.environ.items() if k != "CITYDESK_DATABASE_URL"}
    env["CITYDESK_DATA_DIR"] = str(data_dir)
    env.pop("CITYDESK_SEARCH_BACKEND", None)
    citydesk(env, "migrate", "--verbosity", "0")
    import_row = ""
    if not args.data_dir:
        cpu = cpu_seconds()
        import_seconds, _ = citydesk(env, "import", "jsonl", "--no-progress", str(CORPUS))
        import_cpu = cpu_seconds() - cpu
        with sqlite3.connect(data_dir / "citydesk.sqlite3") as db:
            imported = db.execute("SELECT count(*) FROM content_article").fetchone()[0]
        print(f"import with indexing: {import_seconds:.1f} s, {imported} articles")
        import_row = (
            f"| `citydesk import jsonl` of the full corpus, indexing as it imports "
            f"| {import_seconds:.1f} s | **{imported / import_seconds:,.0f}** "
            f"| {import_cpu:.1f} s | {imported / import_cpu:,.0f} "
            f"| ≥ {TARGETS['import_per_s']:.0f} |"
        )
    build_seconds = build_cpu = 0.0
    if not (args.data_dir and args.no_reindex):
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
    from citydesk.core.text import fold
    from citydesk.search import actions, dictionary, queries
    from citydesk.search.backends import get_backend
    from citydesk.search.backends.postgres import PostgresBackend

    dictionary.refresh(force=True)
    indexed = len(get_backend().indexed_ids(0, 10**6))
    words_mb, index_mb = index_size(connection)
    articles: dict[int, dict[str, Any]] = {}
    for pk, title, body in Article.objects.values_list("pk", "title", "body").iterator(2000):
        articles[pk] = {"title": title, "body": actions.body_text(body), "tags": []}
    for pk, tag in Article.tags.through.objects.values_list("article_id", "tag__name").iterator(
        5000
    ):
        articles[pk]["tags"].append(tag)
    n = len(articles)

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS baseline_fts")
        cursor.execute("DROP TABLE IF EXISTS baseline_bigram")
        cursor.execute("CREATE VIRTUAL TABLE baseline_fts USING fts5(title, body)")
        start = time.perf_counter()
        cursor.executemany(
            "INSERT INTO baseline_fts (rowid, title, body) VALUES (%s, %s, %s)",
            [(pk, a["title"], a["body"]) for pk, a in articles.items()],
        )
        unicode61_build = time.perf_counter() - start
        cursor.execute(
            "CREATE VIRTUAL TABLE baseline_bigram USING fts5(title, body, tokenize = 'ascii')"
        )
        start = time.perf_counter()
        cursor.executemany(
            "INSERT INTO baseline_bigram (rowid, title, body) VALUES (%s, %s, %s)",
            [
                (pk, " ".join(cjk_tokens(fold(a["title"]))), " ".join(cjk_tokens(fold(a["body"]))))
                for pk, a in articles.items()
            ],
        )
        bigram_build = time.perf_counter() - start
        cursor.execute("DROP TABLE IF EXISTS search_vocab")
        cursor.execute("CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row')")
        cursor.execute("SELECT term, doc FROM search_vocab")
        df = {term: count for term, count in cursor.fetchall()}

    rng = random.Random(SEED)
    known, tags = make_queries(articles, df, rng)
    ceiling = ceilings(known)
    print(f"{len(known)} known-item queries, {len(tags)} tag queries")

    systems: dict[str, dict[str, Any]] = {}
    ours = citydesk_search(get_backend())
    run_queries(ours, known[::10], tags[:20])  # warm the caches before timing
    systems["citydesk, SQLite"] = run_queries(ours, known, tags)
    page_times = []
    for q in [k.q for k in known] + [t for t, _r in tags]:
        start = time.perf_counter()
        queries.search(q)
        page_times.append((time.perf_counter() - start) * 1000)
    bad = {"SQLite": bad_input_times(get_backend())}
    for name, make in (
        ("baseline: CJK bigrams, folded, OR, bm25", bigram_search),
        ("baseline: FTS5 unicode61, unsegmented", unicode61_search),
    ):
        baseline = make(connection)
        run_queries(baseline, known[::10], tags[:20])
        systems[name] = run_queries(baseline, known, tags)

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
            with connections["pg"].cursor() as cursor:
                cursor.execute("SELECT pg_total_relation_size('search_document')")
                pg_mb = cursor.fetchone()[0] / 1e6
            pg_build = (
                f"PostgreSQL index build: {n / (segment_seconds + write_seconds):,.0f} articles/s "
                f"({segment_seconds:.0f} s reading and segmenting, {write_seconds:.0f} s "
                f"writing the vectors and their GIN indexes); search_document with its indexes:"
                f" {pg_mb:,.0f} MB."
            )
            print(pg_build)
            pg_search = citydesk_search(pg)
            run_queries(pg_search, known[::10], tags[:20])
            systems["citydesk, PostgreSQL"] = run_queries(pg_search, known, tags)
            bad["PostgreSQL"] = bad_input_times(pg)
        finally:
            connections["pg"].close()
            admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}"')
            admin.close()

    sample = [a["title"] + "\n" + a["body"] for pk, a in sorted(articles.items())[::20]]
    segmenter_rows = compare_segmenters(sample)

    build_rate = indexed / build_seconds if build_seconds else 0.0
    kinds = list(KINDS)
    ours_sqlite = systems["citydesk, SQLite"]
    bigram = systems["baseline: CJK bigrams, folded, OR, bm25"]
    page_p95 = percentile(page_times, 95)
    shares = {k: ours_sqlite["by_kind"][k] / ceiling["by_kind"][k] for k in kinds}
    success_share = ours_sqlite["success"] / ceiling["success"]
    lines = [
        HEADING,
        "",
        f"Measured by `bench/search_eval.py` on {date.today().isoformat()}: {machine()}; "
        f"load average {load_before:.1f} at the start (other work on the machine slows the"
        " wall-clock numbers; CPU time is given beside them).",
        f"Corpus: xwlb, {n:,} articles, in a SQLite data dir.",
        "",
        "### Building the index",
        "",
        "| what | time | articles/s | CPU time | articles per CPU second | target |",
        "|---|---:|---:|---:|---:|---:|",
        *([import_row] if import_row else []),
        f"| `citydesk reindex --clear` (fold, segment, write the word and character indexes;"
        f" process start included) | {build_seconds:.1f} s | **{build_rate:,.0f}** "
        f"| {build_cpu:.1f} s | {indexed / max(build_cpu, 1e-9):,.0f}"
        f" | ≥ {TARGETS['build_per_s']:.0f} |",
        f"| baseline: CJK bigrams (inserts only) | {bigram_build:.1f} s "
        f"| {n / bigram_build:,.0f} | | | |",
        f"| baseline: FTS5 unicode61 over raw text (inserts only) | {unicode61_build:.1f} s "
        f"| {n / unicode61_build:,.0f} | | | |",
        "",
        *([pg_build, ""] if pg_build else []),
        f"Index size on SQLite (dbstat): today's index, as af87b17 (the release before the"
        f" character index) builds it over this corpus, {TODAY_INDEX_MB:,.0f} MB; now"
        f" {index_mb:,.0f} MB, **{index_mb / TODAY_INDEX_MB:.2f}×** (target"
        f" ≤ {TARGETS['size_ratio']:.0f}×): the word index {words_mb:,.0f} MB (smaller than"
        f" before: rows are now written in id order, which fills SQLite's pages) and the"
        f" character index (search_chars, search_text) {index_mb - words_mb:,.0f} MB.",
        "",
        "### Quality",
        "",
        f"Known-item queries: {PER_KIND} of each kind, {len(known):,} in all, drawn with seed"
        f" {SEED}; every query drawn counts. Tag queries: {len(tags)} corpus keywords tagged"
        " on 2 to 500 articles (nDCG@10 beside the known-item measures).",
        "",
        "| kind | what the reader types | tied (k > 1) | ceiling MRR@10 |"
        + " | ".join(f" {name} MRR@10" for name in systems)
        + " | citydesk share of ceiling |",
        "|---|---|---:|---:|" + "---:|" * len(systems) + "---:|",
    ]
    for k in kinds:
        lines.append(
            f"| {k} | {KINDS[k]} | {ceiling['tied'][k]} | {ceiling['by_kind'][k]:.3f} | "
            + " | ".join(f"{r['by_kind'][k]:.3f}" for r in systems.values())
            + f" | **{shares[k]:.3f}** |"
        )
    lines += [
        f"| all | | {sum(ceiling['tied'].values())} | {ceiling['mrr']:.3f} | "
        + " | ".join(f"**{r['mrr']:.3f}**" for r in systems.values())
        + f" | **{ours_sqlite['mrr'] / ceiling['mrr']:.3f}** |",
        "",
        "| system | success@10 | share of its ceiling "
        f"({ceiling['success']:.3f}) | tags nDCG@10 | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in systems.items():
        lines.append(
            f"| {name} | {r['success']:.3f} | {r['success'] / ceiling['success']:.3f} "
            f"| {r['ndcg']:.3f} | {r['p50']:.1f} | {r['p95']:.1f} |"
        )
    met = {
        "share": all(v >= TARGETS["share"] for v in shares.values()),
        "above": all(ours_sqlite["by_kind"][k] > bigram["by_kind"][k] for k in kinds),
        "success": success_share >= TARGETS["success_share"],
        "p95": ours_sqlite["p95"] <= TARGETS["p95_ms"],
        "page": page_p95 <= TARGETS["page_p95_ms"],
        "build": build_rate >= TARGETS["build_per_s"],
        "size": index_mb / TODAY_INDEX_MB <= TARGETS["size_ratio"],
    }
    if "citydesk, PostgreSQL" in systems:
        pg_result = systems["citydesk, PostgreSQL"]
        met["pg_p95"] = pg_result["p95"] <= TARGETS["pg_p95_ms"]
        versus = paired(ours_sqlite["each"], pg_result["each"])
        met["pg_success"] = versus["p"] >= 0.05 and abs(versus["diff"]) < 0.01

    def verdict(key: str) -> str:
        return "met" if met[key] else "**missed**"

    lines += [
        "",
        "Latency is over every query run, one at a time, after a short warm-up: query"
        " parsing (fold, segment) plus the backend's search with its count of all matches"
        " (for the baselines the same search). The whole results page's data"
        " (`citydesk.search.queries.search`: the search, the articles, highlighted titles"
        f" and snippets) on SQLite: p50 {percentile(page_times, 50):.1f} ms, p95"
        f" {page_p95:.1f} ms.",
        "",
        "Bad input, the slowest of five runs of each (search with its count, ms): "
        + "; ".join(
            f"{where}: " + ", ".join(f"{label} {ms:.1f}" for label, ms in times.items())
            for where, times in bad.items()
        )
        + ".",
        "",
        "Targets:",
        f"MRR@10 ≥ {TARGETS['share']} × the ceiling on every kind — {verdict('share')};",
        f"above the bigram baseline on every kind — {verdict('above')};",
        f"success@10 ≥ {TARGETS['success_share']} × its ceiling overall"
        f" ({success_share:.3f}) — {verdict('success')};",
        f"p95 search ≤ {TARGETS['p95_ms']:.0f} ms — {verdict('p95')};",
        f"p95 whole page ≤ {TARGETS['page_p95_ms']:.0f} ms — {verdict('page')};",
        f"index build ≥ {TARGETS['build_per_s']:.0f} articles/s — {verdict('build')};",
        f"index size ≤ {TARGETS['size_ratio']:.0f}× today's — {verdict('size')}"
        + (
            f"; PostgreSQL p95 ≤ {TARGETS['pg_p95_ms']:.0f} ms — {verdict('pg_p95')};"
            f" PostgreSQL success@10 equal to SQLite's ({versus['only_a']} queries only"
            f" SQLite finds, {versus['only_b']} only PostgreSQL; McNemar's exact p ="
            f" {versus['p']:.2f}; difference {versus['diff']:+.4f}, 95% CI"
            f" {versus['low']:+.3f} to {versus['high']:+.3f}) — {verdict('pg_success')}."
            if "pg_p95" in met
            else "."
        ),
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
    if args.dump:
        Path(args.dump).write_text(
            json.dumps({name: r["each"] for name, r in systems.items()}, ensure_ascii=False)
        )
    if not args.no_write:
        write_section(HEADING, "\n".join(lines))
    print("\n".join(lines))
    if not args.data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
