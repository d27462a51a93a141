"""`citydesk demo`: fill the site with an original demo of a Suzhou city news portal."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, ProgrammingError

from citydesk.demo import build, desk, logins


class Command(BaseCommand):
    help = "生成演示站点 (build the demo site): 文章、专题、图片、视频与编辑账号"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="网站地址，仅用于提示 (the site's address, for the printed hint)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            result = build.build()
        except (build.DemoError, OperationalError, ProgrammingError) as exc:
            raise CommandError(f"{exc}；请先运行 citydesk migrate (run migrate first)") from exc
        accounts = logins.ensure_logins()
        desk.ensure_desk(logins.editor())
        url = options["url"].rstrip("/")
        out = self.stdout.write
        out(
            f"演示站点已就绪 (demo site ready): 新建 {result.articles_created} 篇文章、"
            f"{result.topics_created} 个专题，已有 {result.articles_existing} 篇 "
            f"(created {result.articles_created} articles, {result.topics_created} topics; "
            f"{result.articles_existing} already there), "
            f"用时 {time.monotonic() - started:.1f} 秒 (seconds)"
        )
        if not result.videos_playable:
            out("视频 (video): 未安装 PyAV，视频只显示封面 (PyAV not installed: posters only)")
        out(f"网站 (site): {url}/")
        for account in accounts:
            role = "管理员 (administrator)" if account.superuser else "编辑部 (newsroom)"
            where = f"{url}/admin/" if account.superuser else f"{url}/newsroom/"
            if account.password:
                out(f"{role}: {where}  用户名 {account.username}  密码 {account.password}")
            else:
                out(
                    f"{role}: {where}  用户名 {account.username}  "
                    "(账号原已存在，密码未改动 / existing account, password unchanged)"
                )
        out(f"登录信息保存在 (logins saved in) {logins.login_file()}")
