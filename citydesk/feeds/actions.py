"""Feed ingest: partners' RSS 2.0 and Atom feeds become articles.

feedparser reads the feed (both formats, their dates and their many dialects); the item's
HTML becomes body blocks through citydesk.content.richtext, which keeps what a body may
hold and cleans it (images stay links to the partner's files). An item is imported once:
it is known by its GUID in its feed, and across every feed by its link and by the hash of
its title and text, so a partner that reissues an item under a new GUID, or two feeds
carrying one story, add nothing.
"""

import calendar
import hashlib
import http.client
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

import feedparser
from django.db import transaction
from django.utils import timezone

from citydesk.content import actions as content
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, ArticleCredit, Channel
from citydesk.content.richtext import html_to_blocks
from citydesk.content.sanitize import clean_text
from citydesk.feeds.models import Feed, FeedItem

logger = logging.getLogger("citydesk.feeds")

MAX_BYTES = 10 * 1024 * 1024  # a feed is text; anything larger is not one
TIMEOUT_SECONDS = 20
USER_AGENT = "citydesk-feeds/1.0"


class FeedError(ValueError):
    """A feed that cannot be added or read; the message says why, in Chinese."""


@dataclass
class PollResult:
    feed: Feed
    imported: list[int] = field(default_factory=list)
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)  # one line per item that failed
    not_modified: bool = False


def add_feed(
    url: str, channel: str, *, publish: bool = False, title: str = "", interval: int = 15
) -> Feed:
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        raise FeedError(f"订阅地址必须以 http:// 或 https:// 开头：{url}")
    found = Channel.objects.filter(slug=channel).first()
    if found is None:
        slugs = "、".join(Channel.objects.values_list("slug", flat=True))
        raise FeedError(f"没有栏目“{channel}”（可用：{slugs}）")
    if interval < 1:
        raise FeedError("抓取间隔至少 1 分钟")
    if Feed.objects.filter(url=url).exists():
        raise FeedError(f"这个订阅源已经添加过：{url}")
    return Feed.objects.create(
        url=url, channel=found, publish=publish, title=title, interval_minutes=interval
    )


def fetch(feed: Feed) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers); 304 when the feed has not changed since the last poll."""
    request = urllib.request.Request(feed.url, headers={"User-Agent": USER_AGENT})
    if feed.etag:
        request.add_header("If-None-Match", feed.etag)
    if feed.modified:
        request.add_header("If-Modified-Since", feed.modified)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(MAX_BYTES + 1)
            headers = {k.lower(): v for k, v in response.headers.items()}
            status = response.status
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, b"", {}
        raise FeedError(f"订阅源返回 HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        # Unreachable, timed out, cut short, or an address urllib cannot send (non-ASCII).
        reason = getattr(exc, "reason", exc)
        raise FeedError(f"无法读取订阅源：{reason}") from exc
    if len(body) > MAX_BYTES:
        raise FeedError(f"订阅源超过 {MAX_BYTES // 1024 // 1024} MB，不像是订阅源")
    return status, body, headers


def _when(entry: Any, now: datetime) -> datetime:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return now
    at = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)  # feedparser gives UTC
    # A partner's clock ahead of ours must not schedule its item for later.
    return min(at, now)


def _body(entry: Any) -> tuple[list[dict[str, Any]], str]:
    """The item's blocks, and the summary when the feed gives one beside the content."""
    summary = clean_text(entry.get("summary", ""))
    contents = entry.get("content") or []
    if contents:
        value, kind = contents[0].get("value", ""), contents[0].get("type", "text/html")
    else:
        value, kind = entry.get("summary", ""), entry.get("summary_detail", {}).get("type", "")
        summary = ""
    if kind == "text/plain":
        value = "".join(f"<p>{escape(line)}</p>" for line in value.splitlines() if line.strip())
    return html_to_blocks(value), summary


def content_hash(title: str, blocks: list[dict[str, Any]]) -> str:
    text = "".join(clean_text(b.get("text", "")) for b in blocks if "text" in b)
    normal = "".join((title + text).split())  # whitespace and line breaks do not count
    return hashlib.sha256(normal.encode()).hexdigest()


def _import(feed: Feed, entry: Any, now: datetime) -> int | None:
    """The new article's id, or None for an item already imported (by any of its ids)."""
    title = clean_text(entry.get("title", ""))
    link = str(entry.get("link", "")).strip()[:500]
    blocks, summary = _body(entry)
    digest = content_hash(title, blocks)
    guid = str(entry.get("id") or link or digest)[:500]
    if FeedItem.objects.filter(feed=feed, guid=guid).exists():
        return None
    twin = None
    if link:
        twin = FeedItem.objects.filter(link=link).first()
        if twin is None and Article.objects.filter(source_url=link).exists():
            twin = FeedItem(article=Article.objects.filter(source_url=link).first())
    if twin is None:
        twin = FeedItem.objects.filter(content_hash=digest).first()
    if twin is not None:
        FeedItem.objects.create(
            feed=feed, guid=guid, link=link, content_hash=digest, article=twin.article
        )
        return None
    if not title:
        raise FeedError("条目没有标题")
    if not blocks and not summary:
        raise FeedError(f"《{title}》没有正文")
    authors = [a.get("name", "").strip() for a in entry.get("authors", []) if a.get("name")]
    article = content.create_article(
        ArticleData(
            title=title,
            body=blocks or [{"type": "paragraph", "text": escape(summary)}],
            summary=summary[:500],
            published_at=_when(entry, now),
            source=feed.title[:100],
            source_url=link if link.startswith(("http://", "https://")) else "",
            credits=[(ArticleCredit.Role.WRITER, name) for name in authors],
            channels=[feed.channel.slug],
            external_id=f"feed:{feed.pk}:{hashlib.sha1(guid.encode()).hexdigest()}",
        ),
        status=Article.Status.PUBLISHED if feed.publish else Article.Status.DRAFT,
    )
    FeedItem.objects.create(feed=feed, guid=guid, link=link, content_hash=digest, article=article)
    return article.pk


def poll(feed: Feed, *, now: datetime | None = None) -> PollResult:
    """Fetch the feed and import its new items; an item that fails is reported and the
    others go on, and nothing stored changes because of it."""
    now = now or timezone.now()
    result = PollResult(feed)
    try:
        status, body, headers = fetch(feed)
        if status == 304:
            result.not_modified = True
        else:
            parsed = feedparser.parse(body)
            if parsed.bozo and not parsed.entries:
                raise FeedError(f"不是 RSS 或 Atom 订阅源：{parsed.get('bozo_exception', '')}")
            if not feed.title:
                feed.title = clean_text(parsed.feed.get("title", ""))[:200]
            for number, entry in enumerate(parsed.entries, 1):
                try:
                    with transaction.atomic():
                        pk = _import(feed, entry, now)
                except Exception as exc:  # one bad item must not stop the feed
                    label = entry.get("title") or entry.get("id") or f"第{number}条"
                    result.failed.append(f"{label}: {exc}")
                    continue
                if pk is None:
                    result.duplicates += 1
                else:
                    result.imported.append(pk)
            if not result.failed:
                # Kept only when every item went in: else the next poll would get a 304
                # and never try the failed ones again.
                feed.etag = headers.get("etag", "")[:200]
                feed.modified = headers.get("last-modified", "")[:100]
        feed.last_error = "；".join(result.failed)[:2000]
    except FeedError as exc:
        result.failed.append(str(exc))
        feed.last_error = str(exc)
    feed.last_polled_at = now
    # Only what polling decides: an editor may have changed the feed meanwhile.
    feed.save(update_fields=["title", "etag", "modified", "last_error", "last_polled_at"])
    if result.imported or result.failed:
        logger.info(
            "feed %s: %d imported, %d duplicates, %d failed",
            feed.url,
            len(result.imported),
            result.duplicates,
            len(result.failed),
        )
    return result


def due(now: datetime | None = None) -> list[Feed]:
    now = now or timezone.now()
    feeds = Feed.objects.filter(active=True)
    return [
        f
        for f in feeds
        if f.last_polled_at is None
        or f.last_polled_at + timedelta(minutes=f.interval_minutes) <= now
    ]


def poll_recorded(feed: Feed, *, now: datetime | None = None) -> PollResult | None:
    """Poll `feed` (the worker's task); a failure nobody foresaw is logged and recorded on
    the feed, where its editors see it, and is not raised: the feed is due again after
    its interval, and one broken feed must never stop the others."""
    try:
        return poll(feed, now=now)
    except Exception as exc:
        logger.exception("feed %s failed", feed.url)
        Feed.objects.filter(pk=feed.pk).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            last_polled_at=now or timezone.now(),
        )
        return None


def enqueue_due(now: datetime | None = None) -> list[int]:
    """Store a poll task for every feed that is due (the worker calls this every few
    seconds); the ids of the feeds queued. Marking the feed as polled now, in the same
    transaction and only if no one else did, keeps two workers from queueing it twice."""
    from citydesk.feeds import tasks

    now = now or timezone.now()
    queued = []
    for feed in due(now):
        with transaction.atomic():
            taken = Feed.objects.filter(pk=feed.pk, last_polled_at=feed.last_polled_at).update(
                last_polled_at=now
            )
            if taken:
                tasks.poll_feed.enqueue(feed_id=feed.pk)
                queued.append(feed.pk)
    return queued
