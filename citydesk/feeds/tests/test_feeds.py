"""Feed ingest against feeds served by a local HTTP server, one of which changes between
polls: RSS 2.0 and Atom, drafts or published, de-duplication by GUID, link and content,
conditional GETs, and bad feeds and items that fail alone."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from citydesk.content.models import Article
from citydesk.core import tasks
from citydesk.core.testing import QuietHandler, http_server
from citydesk.feeds import actions
from citydesk.feeds import tasks as feed_tasks
from citydesk.feeds.models import Feed, FeedItem

pytestmark = pytest.mark.django_db


class Served:
    """What the local server answers: path -> (body, content type); ETag support."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.base = ""


@pytest.fixture
def server():
    served = Served()

    class Handler(QuietHandler):
        def do_GET(self):
            if self.path not in served.pages:
                self.send_error(404)
                return
            body, kind = served.pages[self.path]
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with http_server(Handler) as served.base:
        yield served


def rss(*items: str, title: str = "合作伙伴快讯") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{title}</title><link>https://partner.example.cn/</link>"
        f"<description>测试</description>{''.join(items)}</channel></rss>"
    ).encode()


def item(guid: str, title: str, text: str, link: str = "", extra: str = "") -> str:
    link = link or f"https://partner.example.cn/{guid}.html"
    return (
        f"<item><guid>{guid}</guid><title>{title}</title><link>{link}</link>"
        "<pubDate>Mon, 30 Nov 2026 08:00:00 +0800</pubDate><dc:creator>林晓</dc:creator>"
        f"<description>{title}的摘要</description>"
        f"<content:encoded><![CDATA[<p>{text}</p>{extra}]]></content:encoded></item>"
    )


def test_an_rss_feed_becomes_drafts_once_however_it_changes(server):
    server.pages["/rss.xml"] = (
        rss(
            item(
                "a1",
                "古城墙修缮完工",
                "历时两年的修缮工程完工。",
                extra='<script>alert(1)</script><figure><img src="https://partner.example.cn/wall.jpg">'
                "<figcaption>修缮后的城墙 | 摄影 周宁</figcaption></figure>",
            ),
            item("a2", "运河夜游增开班次", "夜游航线本周起增开班次。"),
        ),
        "application/rss+xml; charset=utf-8",
    )
    feed = actions.add_feed(server.base + "/rss.xml", "suzhou")
    first = actions.poll(feed)
    assert (len(first.imported), first.duplicates, first.failed) == (2, 0, [])
    wall = Article.objects.get(title="古城墙修缮完工")
    assert wall.status == Article.Status.DRAFT and wall.channels.get().slug == "suzhou"
    assert wall.body == [
        {"type": "paragraph", "text": "历时两年的修缮工程完工。"},
        {
            "type": "image",
            "src": "https://partner.example.cn/wall.jpg",  # kept as a link to the file
            "caption": "修缮后的城墙",
            "credit": "摄影 周宁",
        },
    ]
    assert wall.source_url == "https://partner.example.cn/a1.html"
    assert wall.source == "合作伙伴快讯"  # the feed's own title
    assert [c.person.name for c in wall.credits.all()] == ["林晓"]
    assert wall.published_at == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)

    again = actions.poll(feed)  # unchanged: the server answers 304
    assert again.not_modified and not again.imported and Article.objects.count() == 2

    server.pages["/rss.xml"] = (
        rss(
            item("a3", "平江路新开书店", "一家老字号书店重新开张。"),  # new
            item("a2", "运河夜游增开班次", "夜游航线本周起增开班次。"),  # same GUID
            item(
                "a1-v2", "古城墙修缮完工（更新）", "改", link="https://partner.example.cn/a1.html"
            ),
            item("b9", "运河夜游增开班次", "夜游航线本周起增开班次。", link="https://x.cn/9"),
        ),
        "application/rss+xml",
    )
    changed = actions.poll(feed)
    assert [Article.objects.get(pk=pk).title for pk in changed.imported] == ["平江路新开书店"]
    assert changed.duplicates == 3 and changed.failed == []  # by GUID, by link, by content
    assert Article.objects.count() == 3
    assert FeedItem.objects.filter(feed=feed).count() == 5


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>城市快报</title><id>urn:x</id>
<updated>2026-11-30T10:00:00Z</updated>
<entry><id>urn:e1</id><title>地铁新线试运行</title><link href="https://atom.example.cn/e1"/>
<updated>2026-11-30T09:30:00Z</updated><author><name>顾远</name></author>
<content type="html">&lt;h2&gt;首班车&lt;/h2&gt;&lt;p&gt;早上六点发车。&lt;/p&gt;</content></entry>
<entry><id>urn:e2</id><title></title><content type="text">没有标题的条目</content></entry>
<entry><id>urn:e3</id><title>纯文本条目</title><content type="text">第一行
第二行 &lt;b&gt;不是标签&lt;/b&gt;</content></entry>
</feed>"""


def test_an_atom_feed_published_at_once_and_a_bad_item_fails_alone(server, client):
    server.pages["/atom"] = (ATOM.encode(), "application/atom+xml")
    feed = actions.add_feed(server.base + "/atom", "suzhou", publish=True)
    result = actions.poll(feed)
    assert len(result.imported) == 2 and len(result.failed) == 1
    assert "条目没有标题" in result.failed[0]
    metro = Article.objects.get(title="地铁新线试运行")
    assert metro.is_live and client.get(metro.get_absolute_url()).status_code == 200
    assert metro.body == [
        {"type": "heading", "text": "首班车"},
        {"type": "paragraph", "text": "早上六点发车。"},
    ]
    plain = Article.objects.get(title="纯文本条目")
    assert plain.body == [
        {"type": "paragraph", "text": "第一行"},
        {"type": "paragraph", "text": "第二行 &lt;b&gt;不是标签&lt;/b&gt;"},
    ]
    assert feed.last_error.startswith("urn:e2") or "条目没有标题" in feed.last_error


def test_feeds_that_cannot_be_read_are_reported(server):
    missing = actions.add_feed(server.base + "/gone.xml", "suzhou")
    result = actions.poll(missing)
    assert result.failed == ["订阅源返回 HTTP 404"] and missing.last_error
    server.pages["/page.html"] = (b"\x00\xff\xfe garbage <html><body>not a feed", "text/html")
    garbage = actions.add_feed(server.base + "/page.html", "suzhou")
    assert "不是 RSS 或 Atom 订阅源" in actions.poll(garbage).failed[0]
    refused = actions.add_feed("http://127.0.0.1:9/feed", "suzhou")  # nothing listens
    assert "无法读取订阅源" in actions.poll(refused).failed[0]
    assert not Article.objects.exists()


def test_adding_a_feed_checks_what_it_is_given():
    with pytest.raises(actions.FeedError, match="http:// 或 https://"):
        actions.add_feed("ftp://x.cn/feed", "suzhou")
    with pytest.raises(actions.FeedError, match="没有栏目“nowhere”"):
        actions.add_feed("https://x.cn/feed", "nowhere")
    actions.add_feed("https://x.cn/feed", "suzhou")
    with pytest.raises(actions.FeedError, match="已经添加过"):
        actions.add_feed("https://x.cn/feed", "suzhou")


def test_feeds_are_due_on_their_interval():
    now = timezone.now()
    fresh = actions.add_feed("https://x.cn/a", "suzhou", interval=15)
    recent = actions.add_feed("https://x.cn/b", "suzhou", interval=15)
    recent.last_polled_at = now - timedelta(minutes=5)
    recent.save()
    old = actions.add_feed("https://x.cn/c", "suzhou", interval=15)
    old.last_polled_at = now - timedelta(minutes=16)
    old.save()
    Feed.objects.create(url="https://x.cn/d", channel=fresh.channel, active=False)
    assert [f.url for f in actions.due(now)] == ["https://x.cn/a", "https://x.cn/c"]


def test_the_command_adds_polls_and_fails_with_a_summary(server, capsys):
    server.pages["/rss.xml"] = (rss(item("c1", "命令行导入", "正文。")), "application/rss+xml")
    call_command("feeds", "add", server.base + "/rss.xml", "--channel", "suzhou", "--publish")
    call_command("feeds", "add", server.base + "/missing.xml", "--channel", "suzhou")
    with pytest.raises(CommandError) as failed:
        call_command("feeds", "poll")
    assert failed.value.returncode == 1
    out, err = capsys.readouterr()
    assert "导入 1，重复 0，失败 0" in out and "导入 0，重复 0，失败 1" in out
    assert "订阅源返回 HTTP 404" in err
    assert Article.objects.get(title="命令行导入").is_live
    call_command("feeds", "list")
    assert "suzhou\t直接发布" in capsys.readouterr().out
    with pytest.raises(CommandError, match="没有栏目"):
        call_command("feeds", "add", "https://x.cn/z", "--channel", "nowhere")


def test_the_worker_polls_the_feeds_that_are_due(server):
    from citydesk.worker import queue

    server.pages["/rss.xml"] = (rss(item("w1", "后台抓取", "正文。")), "application/rss+xml")
    feed = actions.add_feed(server.base + "/rss.xml", "suzhou")
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    queue.run_forever(stop)  # queues the due feed's poll and runs it
    assert Article.objects.filter(title="后台抓取").exists()
    assert actions.enqueue_due() == []  # queued once
    feed.refresh_from_db()
    assert feed.last_polled_at is not None
    assert actions.due() == []  # not again until its interval has passed


def test_a_feed_that_breaks_oddly_does_not_stop_the_others(server, monkeypatch):
    server.pages["/rss.xml"] = (rss(item("k1", "照常抓取", "正文。")), "application/rss+xml")
    odd = actions.add_feed("https://news.example.cn/新闻/rss.xml", "suzhou")  # not ASCII
    broken = actions.add_feed(server.base + "/broken.xml", "suzhou")
    actions.add_feed(server.base + "/rss.xml", "suzhou")
    real_poll = actions.poll

    def poll(feed, **kwargs):
        if feed.pk == broken.pk:
            raise RuntimeError("unforeseen")
        return real_poll(feed, **kwargs)

    monkeypatch.setattr(actions, "poll", poll)
    assert len(actions.enqueue_due()) == 3
    tasks.run_pending()  # the polls, and what the imported article sets off
    polls = DBTaskResult.objects.filter(task_path=feed_tasks.poll_feed.module_path)
    assert [row.status for row in polls] == ["SUCCESSFUL"] * 3
    assert tasks.failing() == []  # recorded on the feeds, where their editors look
    assert Article.objects.filter(title="照常抓取").exists()
    odd.refresh_from_db()
    broken.refresh_from_db()
    assert "无法读取订阅源" in odd.last_error and "unforeseen" in broken.last_error
    assert broken.last_polled_at is not None


def test_a_failed_item_is_tried_again_next_time(server):
    server.pages["/rss.xml"] = (
        rss(item("f1", "", "没有标题。"), item("f2", "有标题", "正文。")),
        "application/rss+xml",
    )
    feed = actions.add_feed(server.base + "/rss.xml", "suzhou")
    assert len(actions.poll(feed).failed) == 1
    feed.refresh_from_db()
    assert feed.etag == ""  # so the next poll reads the feed again instead of a 304
    again = actions.poll(feed)
    assert not again.not_modified and again.duplicates == 1 and len(again.failed) == 1
