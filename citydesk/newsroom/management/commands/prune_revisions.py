from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citydesk.newsroom import revisions


class Command(BaseCommand):
    help = (
        "Delete article revisions older than --days beyond each article's newest --keep "
        "(run daily, e.g. from cron)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=revisions.KEEP_DAYS)
        parser.add_argument("--keep", type=int, default=revisions.KEEP_LATEST)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 0 or options["keep"] < 1:
            raise CommandError("--days must be 0 or more and --keep at least 1")
        deleted = revisions.prune(keep_days=options["days"], keep_latest=options["keep"])
        self.stdout.write(f"deleted {deleted} revisions")
