"""Database queries per page miss and per publish, counted (not timed).

For comparing two versions of the code on the same data: run it once per checkout (with
PYTHONPATH naming the checkout, so `import citydesk` loads that one) against a copy of the
same data dir, each writing JSON, then `--compare` the two files.

Counted with Django's CaptureQueriesContext on the default connection:
  - page misses, rendered in-process by the test client with the page cache off: an
    article page (ARTICLES random published ones), the home page, a channel's list and
    its page 2, a tag's list; each "cold" (Django's cache cleared just before, so the
    fragments are read from the database) and "warm" (the same request again at once);
  - a new article (`actions.create_article`), then `actions.do_publish_article` and
    `do_unpublish_article` with everything that runs after their commits in this process
    (on main: the durable follow-up tasks stored, claimed, run and finished), ROUNDS
    times, with the pages it affects in the page cache so the purge has files to find.
The articles it files are deleted at the end.

    PYTHONPATH=<checkout> .venv/bin/python bench/query_counts.py --data-dir DIR --json out.json
    .venv/bin/python bench/query_counts.py --compare base.json main.json
"""

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ARTICLES = 5
ROUNDS = 3
CHANNEL = "guonei"


def tables(sql: str) -> str:
    """The first table a statement names (its subject), or its verb."""
    match = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_]+)"?', sql, re.I)
    if match:
        return match.group(1)
    return sql.split()[0].upper() if sql.split() else "?"


def measure(data_dir: Path) -> dict:
    os.environ["CITYDESK_DATA_DIR"] = str(data_dir)
    os.environ.pop("CITYDESK_DATABASE_URL", None)
    os.environ["CITYDESK_PAGE_CACHE_DIR"] = tempfile.mkdtemp(prefix="citydesk-qc-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "citydesk.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import citydesk
    from citydesk.content import actions
    from citydesk.content.actions import ArticleData
    from citydesk.content.models import Article, ArticleCredit, Channel, Tag

    out: dict = {"code": str(Path(citydesk.__file__).parent), "pages": {}, "writes": {}}
    print(f"citydesk from {out['code']}; data {data_dir}", flush=True)
    client = Client()

    channel = Channel.objects.get(slug=CHANNEL)
    in_channel = Article.channels.through.objects.filter(channel=channel)
    tag = Tag.objects.get(
        pk=Article.tags.through.objects.filter(article_id__in=in_channel.values("article_id"))
        .values("tag_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("tag_id", flat=True)[0]
    )
    people = (
        ArticleCredit.objects.values_list("person__name", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    writer, editor = people[0], people[1]
    ids = list(
        Article.objects.filter(status=Article.Status.PUBLISHED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    sample = random.Random(7).sample(ids, ARTICLES)

    def count(url: str) -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        if response.status_code != 200:
            raise LookupError(f"{url} answered {response.status_code}")
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]

    settings.CITYDESK_PAGE_CACHE = False
    client.get("/about/")  # warm-up: templates, connection, nav
    pages = {
        "article page": [f"/a/{pk}/" for pk in sample],
        "home /": ["/"],
        f"channel /{CHANNEL}/": [f"/{CHANNEL}/"],
        f"channel /{CHANNEL}/page/2/": [f"/{CHANNEL}/page/2/"],
        "tag list": [f"/tag/{tag.slug}/"],
    }
    for name, urls in pages.items():
        cold, warm, sqls = [], [], {}
        try:
            for url in urls:
                cache.clear()
                n, sql = count(url)
                cold.append(n)
                sqls["cold"] = sql
                n, sql = count(url)
                warm.append(n)
                sqls["warm"] = sql
        except LookupError as exc:  # a small site (the demo) has no page 2
            print(f"{name}: skipped, {exc}", flush=True)
            continue
        out["pages"][name] = {"cold": cold, "warm": warm, "sql": sqls}
        print(f"{name}: cold {cold}, warm {warm}", flush=True)

    def affected(article: Article) -> list[str]:
        return [
            "/",
            "/gundong/",
            f"/{CHANNEL}/",
            f"/{CHANNEL}/page/2/",
            f"/tag/{tag.slug}/",
            f"/people/{article.credits.get().person.slug}/",
            "/rss.xml",
            f"/{CHANNEL}/rss.xml",
            "/sitemap.xml",
        ]

    stamp = time.strftime("%H%M%S")
    created: list[int] = []
    writes: dict[str, list] = {
        "create_article": [],
        "do_publish_article": [],
        "do_unpublish_article": [],
    }
    try:
        for n in range(ROUNDS):
            data = ArticleData(
                title=f"查询计数{stamp}第{n + 1}条：运河夜游线路开通",
                body=[{"type": "paragraph", "text": "夜游线路今晚开通。"}],
                channels=[CHANNEL],
                tags=[tag.name],
                credits=[("writer", writer)],
                responsible_editor=editor,
            )
            with CaptureQueriesContext(connection) as ctx:
                draft = actions.create_article(data)
            created.append(draft.pk)
            writes["create_article"].append(ctx.captured_queries)
            for change in ("do_publish_article", "do_unpublish_article"):
                settings.CITYDESK_PAGE_CACHE = True
                for url in affected(draft):
                    client.get(url)  # cached, so the purge finds files
                if change == "do_unpublish_article":
                    client.get(draft.get_absolute_url())
                draft.refresh_from_db()
                with CaptureQueriesContext(connection) as ctx:
                    getattr(actions, change)(draft)
                writes[change].append(ctx.captured_queries)
            for name, rounds in writes.items():
                q = rounds[-1]
                print(f"round {n + 1} {name}: {len(q)} queries", flush=True)
    finally:
        for pk in created:
            article = Article.objects.filter(pk=pk).first()
            if article is None:
                continue
            if hasattr(actions, "delete_article"):
                actions.delete_article(article)
            else:
                article.delete()
    for name, rounds in writes.items():
        out["writes"][name] = {
            "counts": [len(q) for q in rounds],
            "by_table": [dict(Counter(tables(x["sql"]) for x in q)) for q in rounds],
            "sql": [x["sql"] for x in rounds[-1]],
        }
    return out


def spread(values: list[int]) -> str:
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}–{hi}"


def compare(base: dict, main: dict) -> str:
    rows = ["| what | baseline | main | change |", "|---|---:|---:|---:|"]
    for name in base["pages"]:
        if name not in main["pages"]:
            continue
        for state in ("cold", "warm"):
            b, m = base["pages"][name][state], main["pages"][name][state]
            delta = max(m) - max(b)
            rows.append(f"| {name}, miss, {state} | {spread(b)} | {spread(m)} | {delta:+d} |")
    for name in base["writes"]:
        b, m = base["writes"][name]["counts"], main["writes"][name]["counts"]
        rows.append(
            f"| `{name}` + after-commit work | {spread(b)} | {spread(m)} | {max(m) - max(b):+d} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--json", type=Path, help="write the counts (and SQL) here")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BASE", "MAIN"))
    args = parser.parse_args()
    if args.compare:
        base, main_ = (json.loads(p.read_text()) for p in args.compare)
        print(compare(base, main_))
        for name in base["writes"]:
            for label, d in (("baseline", base), ("main", main_)):
                print(f"{name} {label} by table (last round): {d['writes'][name]['by_table'][-1]}")
        return 0
    if args.data_dir is None:
        # `make bench` runs every script bare: this one compares two checkouts by hand.
        print("skipped: give --data-dir (and --json) per checkout, then --compare")
        return 0
    out = measure(args.data_dir.resolve())
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
