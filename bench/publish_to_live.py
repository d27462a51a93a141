"""Publish-to-live with the full xwlb and sina corpora (~87,000 articles) in the database.

From the publish action until every URL it affects serves the new content, through a
running `citydesk serve`:

  1. the pages a new article will change are cached by requesting them from the server
     (home; pages 1..N of 滚动, of its channel, tag, writer and 责编; feeds; sitemaps),
     with a few it will not change (another channel, an old article, the topic list);
  2. the article is published here, in this process, the way the newsroom does it
     (`actions.do_publish_article`); its after-commit purge runs before the call returns;
  3. every purged URL is requested from the server at once (CONCURRENCY connections) and
     checked: a page that shows the article must show it (its title or address), a later
     list page must differ from its cached copy. Publish-to-live ends at the last answer.

Then the same for taking the article down again (`do_unpublish_article`). Each is done
for ROUNDS new articles, filed under the corpus's biggest channel (国内, ~78,000
articles), a tag and a writer with many articles. The articles are deleted at the end.

    .venv/bin/python bench/publish_to_live.py [--rounds 5] [--list-pages 5]
"""

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _corpus import corpus_data_dir, corpus_env  # noqa: E402
from _report import DOC, free_port, machine, write_section  # noqa: E402

HEADING = "## Publish-to-live (`bench/publish_to_live.py`)"
TARGET_S = 1.0
CONCURRENCY = 8
CHANNEL = "guonei"


@dataclass
class Round:
    urls_cached: int = 0
    urls_purged: int = 0
    kept_ok: bool = True
    action_ms: float = 0.0  # the action, its commit and the purge that follows it
    live_ms: float = 0.0  # until the last affected URL served the new content
    slowest_url: str = ""
    slowest_ms: float = 0.0
    stale: list[str] = field(default_factory=list)


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", quote(path, safe="/:?=&%"), headers={"Accept-Encoding": "identity"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = corpus_env(data_dir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "citydesk", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"citydesk serve exited {proc.returncode}")
        try:
            if get(port, "/robots.txt")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("citydesk serve did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--list-pages", type=int, default=5, help="cached pages per list")
    parser.add_argument("--no-write", action="store_true", help="leave docs/benchmarks.md")
    args = parser.parse_args()

    data_dir = corpus_data_dir()
    if data_dir is None:
        print("skipped: ../shared/data/corpus is absent")
        return 0
    os.environ.update(corpus_env(data_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citydesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db.models import Count

    from citydesk.content import actions, queries
    from citydesk.content.actions import ArticleData
    from citydesk.content.models import Article, ArticleCredit, Channel, Tag
    from citydesk.publishing.cache import PageCache

    shutil.rmtree(settings.PAGE_CACHE_DIR, ignore_errors=True)
    cache = PageCache()
    articles_total = Article.objects.count()
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
    old_article = queries.live().filter(channels=channel).order_by("published_at").first()
    assert old_article is not None
    stamp = time.strftime("%H%M%S")

    def lists(url: str, count: int) -> list[str]:
        return [url] + [f"{url}page/{n}/" for n in range(2, count + 1)]

    def warm_set(article: Article) -> tuple[list[str], list[str]]:
        n = args.list_pages
        month = time.strftime("%Y-%m")
        affected = [
            article.get_absolute_url(),  # cached once live: unpublishing purges it
            "/",
            *lists("/gundong/", n),
            *lists(f"/{CHANNEL}/", n),
            *lists(f"/tag/{tag.slug}/", min(n, 3)),
            *lists(f"/people/{article.credits.get().person.slug}/", min(n, 3)),
            *lists(f"/people/{article.responsible_editor.slug}/", 2),  # type: ignore[union-attr]
            "/rss.xml",
            "/atom.xml",
            f"/{CHANNEL}/rss.xml",
            f"/{CHANNEL}/atom.xml",
            "/gundong/rss.xml",
            "/sitemap.xml",
            "/sitemaps/news.xml",
            f"/sitemaps/articles-{month}.xml",
        ]
        unaffected = [
            "/wenlv/",
            "/wenlv/page/2/",
            "/xuexi/",
            "/zhuanti/",
            "/about/",
            old_article.get_absolute_url(),
        ]
        return affected, unaffected

    def fetch_all(port: int, urls: list[str]) -> dict[str, tuple[int, bytes, float]]:
        def one(url: str) -> tuple[str, tuple[int, bytes, float]]:
            status, body = get(port, url)
            return url, (status, body, time.perf_counter())

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            return dict(pool.map(one, urls))

    def measure(
        port: int,
        article: Article,
        change: Callable[[], object],
        shows: Callable[[str, bytes], bool],
        *,
        may_vanish: bool = False,
    ) -> Round:
        affected, unaffected = warm_set(article)
        fetch_all(port, affected + unaffected)
        cached = {u: cache.read(u) for u in affected + unaffected}
        result = Round(urls_cached=sum(1 for b in cached.values() if b is not None))
        started = time.perf_counter()
        change()
        result.action_ms = (time.perf_counter() - started) * 1000
        purged = [u for u, body in cached.items() if body is not None and cache.read(u) is None]
        result.urls_purged = len(purged)
        result.kept_ok = all(cache.read(u) == cached[u] for u in unaffected)
        pending = list(purged)
        last = started
        for _attempt in range(20):
            answers = fetch_all(port, pending)
            pending = []
            for url, (status, body, done) in answers.items():
                fresh = status == 200 and shows(url, body) and body != cached[url]
                # Taken down: its page, or a month's sitemap left empty, is gone.
                fresh = fresh or (may_vanish and status == 404)
                if not fresh:
                    pending.append(url)
                    continue
                ms = (done - started) * 1000
                if ms > result.slowest_ms:
                    result.slowest_ms, result.slowest_url = ms, url
                last = max(last, done)
            if not pending:
                break
            result.stale += pending
            time.sleep(0.05)
        result.live_ms = (last - started) * 1000
        return result

    def lists_it(url: str) -> bool:
        # Later list pages shift by one, and the sitemap index only dates its months:
        # those must differ from their cached copies (checked for every URL).
        return "/page/" not in url and url != "/sitemap.xml"

    port = free_port()
    server = start_server(data_dir, port)
    published: list[Round] = []
    unpublished: list[Round] = []
    created: list[int] = []
    try:
        for n in range(args.rounds):
            draft = actions.create_article(
                ArticleData(
                    title=f"发布测试{stamp}第{n + 1}条：运河夜游线路开通",
                    body=[{"type": "paragraph", "text": "夜游线路今晚开通。"}],
                    channels=[CHANNEL],
                    tags=[tag.name],
                    credits=[("writer", writer)],
                    responsible_editor=editor,
                )
            )
            created.append(draft.pk)
            marks = (draft.title.encode(), draft.get_absolute_url().encode())

            def present(url: str, body: bytes, marks: tuple[bytes, ...] = marks) -> bool:
                return not lists_it(url) or any(m in body for m in marks)

            def absent(url: str, body: bytes, marks: tuple[bytes, ...] = marks) -> bool:
                return not any(m in body for m in marks)

            result = measure(port, draft, lambda d=draft: actions.do_publish_article(d), present)
            published.append(result)
            print(
                f"publish {n + 1}: {result.urls_purged} purged of {result.urls_cached} cached, "
                f"action+purge {result.action_ms:.0f} ms, live after {result.live_ms:.0f} ms "
                f"(slowest {result.slowest_url} {result.slowest_ms:.0f} ms)"
                + (f", STALE {result.stale}" if result.stale else "")
            )
            draft.refresh_from_db()
            result = measure(
                port,
                draft,
                lambda d=draft: actions.do_unpublish_article(d),
                absent,
                may_vanish=True,
            )
            unpublished.append(result)
            print(
                f"unpublish {n + 1}: {result.urls_purged} purged, "
                f"action+purge {result.action_ms:.0f} ms, live after {result.live_ms:.0f} ms "
                f"(slowest {result.slowest_url} {result.slowest_ms:.0f} ms)"
            )
        # Each affected page rendered alone (purged, then requested on its own): what the
        # time to live is made of.
        alone: list[tuple[float, str]] = []
        for url in warm_set(draft)[0]:
            get(port, url)
            cache.purge([url])
            started = time.perf_counter()
            status, _body = get(port, url)
            if status == 200:
                alone.append(((time.perf_counter() - started) * 1000, url))
        alone.sort(reverse=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        Article.objects.filter(pk__in=created).delete()

    def row(name: str, rounds: list[Round]) -> str:
        live = [r.live_ms for r in rounds]
        action = [r.action_ms for r in rounds]
        slow = max(rounds, key=lambda r: r.slowest_ms)
        return (
            f"| {name} | {rounds[0].urls_purged} of {rounds[0].urls_cached} | "
            f"{statistics.median(action):.0f} ms | **{statistics.median(live):.0f} ms** | "
            f"{max(live):.0f} ms | `{slow.slowest_url}` |"
        )

    worst = max(r.live_ms for r in published)
    median = statistics.median(r.live_ms for r in published)
    verdict = "meets" if median <= TARGET_S * 1000 else "MISSES"
    stale = sorted({u for r in published + unpublished for u in r.stale})
    kept = all(r.kept_ok for r in published + unpublished)
    section = "\n".join(
        [
            HEADING,
            "",
            f"Measured by `bench/publish_to_live.py` on {date.today().isoformat()}: {machine()}.",
            f"{articles_total:,} articles (the xwlb and sina corpora); `citydesk serve` with its",
            f"defaults; {CONCURRENCY} connections re-request the purged URLs at once. Each round",
            f"files a new article under /{CHANNEL}/ (the biggest channel), the tag with most",
            "articles there and the most credited writer, with the first",
            f"{args.list_pages} pages of each big list cached; {args.rounds} rounds each.",
            "",
            "| change | URLs purged (of cached) | action + purge, median | "
            "live, median | live, worst | slowest URL |",
            "|---|---:|---:|---:|---:|---|",
            row("publish", published),
            row("unpublish", unpublished),
            "",
            f"Publish-to-live median {median:.0f} ms, worst {worst:.0f} ms: {verdict} the "
            f"target of {TARGET_S:.0f} s. "
            + ("No URL served stale content after its purge. " if not stale else "")
            + (
                "Pages that do not show the article kept their cached files."
                if kept
                else "Some unaffected pages lost their cached files."
            ),
            "",
            "The purge itself (working out the URLs, listing the cached list pages, deleting",
            "the files) takes milliseconds; the time to live is the server rendering the purged",
            f"pages anew. The slowest of them, each rendered alone ({len(alone)} pages, "
            f"{sum(ms for ms, _ in alone) / 1000:.1f} s in all):",
            "",
            "| page | render alone |",
            "|---|---:|",
            *(f"| `{url}` | {ms:.0f} ms |" for ms, url in alone[:8]),
            "",
        ]
    )
    section += "\n" + "\n".join(
        [
            "What keeps those renders short at this size: partial indexes on the flags",
            "(headline, slides, picks, 置顶); lists read pinned-first as two queries; a",
            "channel's or tag's list is its own table, newest first (`ChannelListing`,",
            "`TagListing`: a page is a short index walk); lists count at most",
            "CITYDESK_LIST_MAX_PAGES pages; the sitemap index counts each month on the",
            "index; brotli variants at quality 5.",
            "",
        ]
    )
    if stale:
        section += f"\nServed stale at least once after the purge: {', '.join(stale)}.\n"
    section = section.rstrip("\n") + "\n\n"  # a blank line before the next section
    if not args.no_write:
        write_section(HEADING, section)
        print(f"wrote {DOC.relative_to(ROOT)}")
    else:
        print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
