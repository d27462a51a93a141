"""`citydesk reindex`: rebuild the search index while the site goes on serving.

Articles are indexed again in batches, each in its own short transaction, into the index
readers are using; entries of articles no longer published are removed at the end.

    citydesk reindex                       every published article
    citydesk reindex --since 2026-01-01    changed or published since then
    citydesk reindex --containing 沪苏同城化 articles with that text (after a dictionary change)
"""

import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from citydesk.search import actions

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _when(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date/time: {value!r} (e.g. 2026-01-01)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


class Command(BaseCommand):
    help = "重建搜索索引 (rebuild the search index), in place, while the site serves"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="only articles changed or published since (date)")
        parser.add_argument("--containing", default="", help="only articles with this word")
        parser.add_argument(
            "--batch-size", type=int, default=actions.BATCH_SIZE, help="articles a transaction"
        )
        parser.add_argument(
            "--clear", action="store_true", help="empty the index first (searches find less)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _when(options["since"]) if options["since"] else None
        # The stream under Django's wrapper: rich writes its own line endings.
        console = Console(file=getattr(self.stderr, "_out", sys.stderr), highlight=False)
        progress = Progress(
            TextColumn("索引 (indexing)"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=options["no_progress"],
        )
        with progress:
            task = progress.add_task("reindex", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = actions.reindex(
                since=since,
                containing=options["containing"],
                clear=options["clear"],
                batch_size=options["batch_size"],
                progress=advance,
            )
        self.stdout.write(
            f"已索引 {result.indexed} 篇，移除 {result.removed} 篇 "
            f"(indexed {result.indexed}, removed {result.removed})"
        )
