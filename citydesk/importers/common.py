"""What every importer shares: output streams, one-line failures, the run summary, and
storing an item at most once."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.core.management.base import CommandParser
from django.db import IntegrityError, transaction

from citydesk.content import queries
from citydesk.content.actions import ArticleData, create_article
from citydesk.content.models import Article


class Writer(Protocol):
    """stdout/stderr as a command hands them over (Django's OutputWrapper or a file)."""

    def write(self, msg: str, /) -> object: ...


def write_line(out: Writer, line: str) -> None:
    # Always end with a newline ourselves: a plain file adds none, OutputWrapper adds
    # one only when it is missing.
    out.write(line + "\n")


def write_json_line(out: Writer, obj: dict[str, Any]) -> None:
    write_line(out, json.dumps(obj, ensure_ascii=False))


def one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Tally:
    """Counts of one run; `failed` is what the importer's `run` returns."""

    dry_run: bool = False
    imported: int = 0
    skipped: int = 0
    failed: int = 0

    def fail(self, err: Writer, name: str, reason: str) -> None:
        self.failed += 1
        write_line(err, one_line(f"失败 (failed) {name}: {reason}"))

    def summary(self) -> str:
        head = "试运行, 未写入 (dry run, nothing stored): 可导入 (would import)"
        if not self.dry_run:
            head = "导入 (imported)"
        return (
            f"{head} {self.imported}, 跳过重复 (skipped duplicate) {self.skipped}, "
            f"失败 (failed) {self.failed}"
        )


def store_once(data: ArticleData, *, status: str) -> tuple[Article, bool]:
    """Create the article unless one with its external_id exists: (article, created).

    Everything for one item happens in one transaction, so a failure leaves nothing behind.
    """
    if data.external_id:
        existing = queries.article_by_external_id(data.external_id)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            return create_article(data, status=status), True
    except IntegrityError:
        # Another process stored the same item between our look-up and our insert.
        existing = queries.article_by_external_id(data.external_id or "")
        if existing is None:
            raise
        return existing, False


def add_page_arguments(parser: CommandParser, files: str) -> None:
    """The arguments of the importers that read page files (`files`: what they are)."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help=f"{files}, 或其所在的目录")
    parser.add_argument(
        "--dry-run", action="store_true", help="只解析并输出, 不写入 (parse only, store nothing)"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="stdout 输出格式; json: 每篇一行 JSON, 其余信息走 stderr",
    )
    parser.add_argument(
        "--channel", default="suzhou", metavar="SLUG", help="归入的栏目 (default: suzhou)"
    )


def expand(paths: list[str], suffixes: set[str]) -> list[tuple[str, Path | None]]:
    """Each file to import by its display name; a folder stands for its files with one of
    `suffixes` (None: a folder without any, which the run reports)."""
    out: list[tuple[str, Path | None]] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in suffixes)
            out += [(str(f), f) for f in files] or [(name, None)]
        else:
            out.append((name, path))
    return out
