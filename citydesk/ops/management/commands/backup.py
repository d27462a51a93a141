"""`citydesk backup PATH`: a consistent backup of the site, while it runs."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citydesk.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份站点：数据库快照、媒体文件、密钥和清单 (back up the site into a new folder)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a new (or empty) folder for the backup")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(Path(options["path"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{k} {v}" for k, v in manifest.counts.items())
        size = sum(f["bytes"] for f in manifest.files.values())
        self.stdout.write(
            f"已备份到 {options['path']}：{len(manifest.files)} 个文件，"
            f"{size / 1e6:.1f} MB（{counts}）"
        )
