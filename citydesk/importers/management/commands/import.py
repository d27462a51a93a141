"""`citydesk import KIND ...`: one command, one sub-command per importer module."""

from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

# kind -> module with `add_arguments(parser)` and `run(options, stdout, stderr) -> int`
IMPORTERS = {
    "text": "citydesk.importers.text",
    "jsonl": "citydesk.importers.jsonl",
    "html": "citydesk.importers.html",
}


class Command(BaseCommand):
    help = "导入稿件 (import articles): text, jsonl, html"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
        for kind, module in IMPORTERS.items():
            importer = import_module(module)
            importer.add_arguments(
                sub.add_parser(kind, help=(importer.__doc__ or kind).splitlines()[0])
            )

    def handle(self, *args: Any, **options: Any) -> None:
        importer = import_module(IMPORTERS[options["kind"]])
        failed: int = importer.run(options, self.stdout, self.stderr)
        if failed:
            raise CommandError(f"{failed} 项导入失败 ({failed} item(s) failed)", returncode=1)
