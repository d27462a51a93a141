"""`citydesk restore PATH`: a backup into an empty data folder or database."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citydesk.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = "从备份恢复站点到空的数据库和数据文件夹 (restore a backup into an empty site)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a folder made by `citydesk backup`")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = restore(Path(options["path"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{k} {v}" for k, v in manifest.counts.items())
        self.stdout.write(
            f"已恢复 {manifest.created_at} 的备份（{counts}）。"
            "运行 `citydesk migrate` 后即可启动；页面缓存会在访问时重建。"
        )
