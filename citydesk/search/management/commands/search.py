"""`citydesk search QUERY`: search from a script or a terminal.

    citydesk search 营商环境 --limit 5 --json
    printf '苏州\n数字经济\n' | citydesk search --json --stdin

With --json each query prints one line: {"total": N, "results": [{"id", "title", "url",
"published_at", "score"}, ...]}, plus "message" when nothing was found and why.
"""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citydesk.search import queries


class Command(BaseCommand):
    help = "搜索文章 (search articles): citydesk search QUERY [--limit N] [--json] [--stdin]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", nargs="*", help="search words")
        parser.add_argument("--limit", type=int, default=10, help="results to print (default 10)")
        parser.add_argument("--json", action="store_true", help="one JSON object per query")
        parser.add_argument(
            "--stdin", action="store_true", help="read one query per line from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["limit"]
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        if options["stdin"]:
            if options["query"]:
                raise CommandError("give queries as arguments or on standard input, not both")
            for line in sys.stdin:
                self.answer(line.rstrip("\r\n"), limit, as_json=options["json"])
            return
        if not options["query"]:
            raise CommandError("no query: citydesk search QUERY, or --stdin")
        self.answer(" ".join(options["query"]), limit, as_json=options["json"])

    def answer(self, q: str, limit: int, *, as_json: bool) -> None:
        data = queries.search_for_script(q, limit=limit)
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            self.stdout.flush()
            return
        if data.get("message"):
            self.stdout.write(data["message"])
        self.stdout.write(f"共 {data['total']} 篇 (total {data['total']})")
        for rank, hit in enumerate(data["results"], 1):
            when = (hit["published_at"] or "")[:16].replace("T", " ")
            self.stdout.write(f"{rank:>3}. {hit['title']}  {when}  {hit['url']}")
