"""`citydesk feeds add URL --channel SLUG [--publish]`, `citydesk feeds list`,
`citydesk feeds poll [ID ...]`: partners' feeds. The worker polls them on their interval;
`poll` polls now (every active feed, or the ones named) and prints what it did."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citydesk.feeds import actions
from citydesk.feeds.models import Feed


class Command(BaseCommand):
    help = "订阅源 (partners' RSS and Atom feeds): add, list, poll"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = sub.add_parser("add", help="添加订阅源 (add a feed)")
        add.add_argument("url")
        add.add_argument("--channel", required=True, help="栏目 slug, e.g. suzhou")
        mode = add.add_mutually_exclusive_group()
        mode.add_argument("--publish", action="store_true", help="直接发布 (publish items at once)")
        mode.add_argument(
            "--drafts", action="store_true", help="导入为草稿，由编辑审核 (the default)"
        )
        add.add_argument("--title", default="", help="名称 (default: the feed's own title)")
        add.add_argument("--interval", type=int, default=15, help="抓取间隔，分钟 (minutes)")
        sub.add_parser("list", help="列出订阅源 (list feeds)")
        poll = sub.add_parser("poll", help="立即抓取 (poll now)")
        poll.add_argument("ids", nargs="*", type=int, help="订阅源编号 (default: all active)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            try:
                feed = actions.add_feed(
                    options["url"],
                    options["channel"],
                    publish=options["publish"],
                    title=options["title"],
                    interval=options["interval"],
                )
            except actions.FeedError as exc:
                raise CommandError(str(exc)) from exc
            mode = "直接发布" if feed.publish else "导入为草稿"
            self.stdout.write(f"已添加订阅源 {feed.pk}: {feed.url} → {feed.channel.name}（{mode}）")
        elif options["action"] == "list":
            for feed in Feed.objects.select_related("channel"):
                mode = "直接发布" if feed.publish else "草稿"
                polled = feed.last_polled_at.isoformat() if feed.last_polled_at else "未抓取"
                error = f"  错误: {feed.last_error}" if feed.last_error else ""
                self.stdout.write(
                    f"{feed.pk}\t{feed.url}\t{feed.channel.slug}\t{mode}\t{polled}{error}"
                )
        else:
            feeds = Feed.objects.filter(active=True)
            if options["ids"]:
                feeds = Feed.objects.filter(pk__in=options["ids"])
                missing = set(options["ids"]) - set(feeds.values_list("pk", flat=True))
                if missing:
                    raise CommandError(f"没有编号为 {sorted(missing)} 的订阅源")
            failed = 0
            for feed in feeds:
                result = actions.poll(feed)
                for line in result.failed:
                    self.stderr.write(f"失败 (failed) {feed.url}: {line}")
                failed += len(result.failed)
                state = "未变化 (not modified)" if result.not_modified else ""
                self.stdout.write(
                    f"{feed.url}: 导入 {len(result.imported)}，重复 {result.duplicates}，"
                    f"失败 {len(result.failed)} {state}".rstrip()
                )
            if failed:
                raise CommandError(f"{failed} 项失败 ({failed} item(s) failed)", returncode=1)
