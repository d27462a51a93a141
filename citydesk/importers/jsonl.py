"""导入 JSON 行语料 (import JSON-lines corpora: xwlb, sina; plain or .xz)

`citydesk import jsonl PATH [PATH ...]` reads one JSON object per line. Each line is
recognised by its fields, not by the file's name, as one of the forms in `FORMS`:

- xwlb (CCTV 新闻联播): id, broadcast_date, pub_time, title, source, keywords, hl_tag,
  brief, url, order, body
- sina: id, category, source_folder, source_file, title, date_hint, body

The import is built to be run again: every item carries an external id ("xwlb:<id>",
"sina:<id>") and items already stored are skipped, so a second run adds nothing and a
run stopped half-way (Ctrl-C, a crash) goes on where it stopped. Lines are stored in
batches, each batch in its own transaction, so an interrupt loses at most one batch.

Batches are stored by content's batch door (citydesk.content.actions.batch.BulkWriter):
a handful of bulk inserts a batch, the same article builder as `create_article`.
"""

import argparse
import io
import json
import lzma
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO, cast
from zoneinfo import ZoneInfo

from django.core.management.base import CommandError, OutputWrapper
from django.db import IntegrityError, connection
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from citydesk.content.actions import ArticleData
from citydesk.content.actions.batch import BulkWriter
from citydesk.content.models import (
    Article,
    ArticleCredit,
    ChannelListing,
    Person,
    Tag,
    TagListing,
)
from citydesk.content.sanitize import clean_blocks, text_to_html
from citydesk.importers.bylines import Byline, take_byline

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_BATCH_SIZE = 1000
XZ_MAGIC = b"\xfd7zXZ\x00"


class LineError(ValueError):
    """A line that cannot become an article; the message is the reason shown to the user."""


# ---------------------------------------------------------------------------------------
# Bodies: the byline taken off the end, then one paragraph per line.


def _take_byline(body: str) -> tuple[list[str], Byline]:
    """The body's lines without the byline at its end, and the byline (empty if none)."""
    body, byline = take_byline(body)
    return body.splitlines(), byline or Byline()


def body_blocks(lines: Sequence[str]) -> list[dict[str, Any]]:
    """One paragraph block per non-empty line, escaped, through the one sanitising gate."""
    return clean_blocks(
        [{"type": "paragraph", "text": text_to_html(line)} for line in lines if line.strip()]
    )


# ---------------------------------------------------------------------------------------
# Forms: each knows its fields, its external id and how a line becomes an ArticleData.


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    return value.strip() if isinstance(value, str) else ""


def _local_time(value: str, fmt: str) -> datetime:
    return datetime.strptime(value, fmt).replace(tzinfo=SHANGHAI)


class Form:
    name = ""
    # A line is of this form when it has every one of these keys; title is left out so
    # that a line without one is reported as "missing title", not as an unknown form.
    fields: frozenset[str] = frozenset()

    def __init__(self, *, undated_at: datetime | None = None) -> None:
        self.undated_at = undated_at

    def matches(self, record: dict[str, Any]) -> bool:
        return self.fields <= record.keys()

    def external_id(self, record: dict[str, Any]) -> str:
        item_id = record.get("id")
        if isinstance(item_id, int) and not isinstance(item_id, bool):
            item_id = str(item_id)
        if not isinstance(item_id, str) or not item_id.strip():
            raise LineError("missing id")
        return f"{self.name}:{item_id.strip()}"

    def article_data(self, record: dict[str, Any]) -> ArticleData:
        raise NotImplementedError


class XwlbForm(Form):
    """CCTV 新闻联播 transcripts: national news, so every item is filed under 国内."""

    name = "xwlb"
    fields = frozenset({"id", "broadcast_date", "pub_time"})
    default_channel = "guonei"
    # Section (hl_tag) -> extra channel; every section is also kept as a tag, so the ones
    # without a channel of their own (国际资讯, 中国经济, ...) can still be browsed.
    section_channels: dict[str, str] = {
        "央视评论": "pinglun",  # commentary
        "人民领袖": "xuexi",  # leadership and party theory: the 学习 channel
        "新时代": "xuexi",
        "十九大": "xuexi",
        "从严治党": "xuexi",
        "民生": "chengshi",  # everyday life: jobs, housing, prices
    }

    def published_at(self, record: dict[str, Any]) -> datetime:
        try:
            return _local_time(_text(record, "pub_time"), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            pass
        try:  # the broadcast goes out at 19:00 Beijing time
            return _local_time(_text(record, "broadcast_date") + " 19:00", "%Y-%m-%d %H:%M")
        except ValueError:
            raise LineError("bad pub_time and broadcast_date") from None

    def article_data(self, record: dict[str, Any]) -> ArticleData:
        lines, byline = _take_byline(_text(record, "body"))
        sections = [s.strip() for s in re.split(r"[,，]", _text(record, "hl_tag")) if s.strip()]
        channels = [self.default_channel]
        channels += [self.section_channels[s] for s in sections if s in self.section_channels]
        keywords = record.get("keywords")
        keywords = [k for k in keywords if isinstance(k, str)] if isinstance(keywords, list) else []
        body = body_blocks(lines)
        return ArticleData(
            title=_text(record, "title"),
            body=body,
            published_at=self.published_at(record),
            summary=_text(record, "brief"),
            source=_text(record, "source") or "央视网",
            source_url=_text(record, "url"),
            organization=byline.organization,
            credits=byline.credits,
            responsible_editor=byline.responsible_editor,
            channels=list(dict.fromkeys(channels)),
            tags=keywords + sections,
            # Text transcripts stay articles; an item with no text is the full-broadcast
            # recording (新闻联播完整版视频), which is a video and nothing else.
            kind=Article.Kind.ARTICLE if body else Article.Kind.VIDEO,
        )


class SinaForm(Form):
    """Sina articles by category, autumn 2018; only a guessed date (date_hint), if any."""

    name = "sina"
    fields = frozenset({"id", "category", "date_hint"})
    # Category -> channel. There is no sports/tech/health channel on the site, so each
    # category goes where a city portal's readers would look for it; the category itself
    # is also kept as a tag (体育, 科技, ...) so the finer grouping is not lost.
    category_channels: dict[str, tuple[str, str]] = {
        "entertainment": ("wenlv", "娱乐"),  # culture and leisure
        "fashion": ("wenlv", "时尚"),
        "sports": ("chengshi", "体育"),  # city life: games, fitness, schools, clinics
        "education": ("chengshi", "教育"),
        "health": ("chengshi", "健康"),
        "tech": ("guonei", "科技"),  # industry and policy news from across the country
    }
    # Undated items (about two thirds of the corpus) get the start of the season it was
    # collected in: "now" would push thousands of old pieces to the top of 滚动, while an
    # early date files them below the dated ones, still listed and searchable.
    # `--undated-at` sets another.
    default_undated_at = datetime(2018, 10, 1, tzinfo=SHANGHAI)

    def published_at(self, record: dict[str, Any]) -> datetime:
        hint = _text(record, "date_hint")
        try:
            return _local_time(hint, "%Y-%m-%d")
        except ValueError:  # a wrong guess ("2018-11-74") is no better than none
            return self.undated_at or self.default_undated_at

    def article_data(self, record: dict[str, Any]) -> ArticleData:
        lines, byline = _take_byline(_text(record, "body"))
        category = _text(record, "category").lower()
        channel, category_tag = self.category_channels.get(category, ("", ""))
        return ArticleData(
            title=_text(record, "title"),
            body=body_blocks(lines),
            published_at=self.published_at(record),
            source="新浪",
            organization=byline.organization,
            credits=byline.credits,
            responsible_editor=byline.responsible_editor,
            channels=[channel] if channel else [],
            tags=[category_tag] if category_tag else [],
        )


FORMS: tuple[type[Form], ...] = (XwlbForm, SinaForm)


# ---------------------------------------------------------------------------------------
# Reading files and running the import.


@dataclass
class Counts:
    imported: int = 0
    skipped: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (
            f"已导入 {self.imported}，跳过（重复）{self.skipped}，失败 {self.failed} "
            f"(imported {self.imported} / skipped (duplicate) {self.skipped} / "
            f"failed {self.failed})"
        )


@dataclass
class _Line:
    number: int
    form: Form
    external_id: str
    record: dict[str, Any]


def open_lines(path: Path) -> tuple[BinaryIO, Iterator[bytes]]:
    """The raw file (its tell() is the progress) and its lines, xz or plain by content."""
    raw = path.open("rb")
    if raw.read(len(XZ_MAGIC)) == XZ_MAGIC:
        raw.seek(0)
        return raw, iter(lzma.LZMAFile(raw))
    raw.seek(0)
    return raw, iter(raw)


class JsonlImport:
    """One run over one or more files; `report` gets one line per failed input line."""

    def __init__(
        self,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        limit: int | None = None,
        status: str = Article.Status.PUBLISHED,
        undated_at: datetime | None = None,
        report: Callable[[str], None] = print,
    ) -> None:
        self.batch_size = max(1, batch_size)
        self.limit = limit
        self.forms = [form(undated_at=undated_at) for form in FORMS]
        self.report = report
        self.writer = BulkWriter(status=status)
        self.counts = Counts()

    def recognise(self, record: dict[str, Any]) -> Form:
        for form in self.forms:
            if form.matches(record):
                return form
        raise LineError("unknown form (fields: " + ", ".join(sorted(record)[:8]) + ")")

    def read(self, number: int, raw: bytes) -> _Line | None:
        if not raw.strip():
            return None
        try:
            record = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise LineError(f"invalid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise LineError("not a JSON object")
        form = self.recognise(record)
        if not _text(record, "title"):
            raise LineError("missing title")
        return _Line(number, form, form.external_id(record), record)

    def fail(self, path: Path, number: int, reason: str) -> None:
        self.counts.failed += 1
        self.report(f"{path}:{number}: {reason}")

    def store(self, path: Path, batch: list[_Line]) -> None:
        present = self.writer.existing([line.external_id for line in batch])
        items: list[ArticleData] = []
        for line in batch:
            if line.external_id in present:
                self.counts.skipped += 1
                continue
            present.add(line.external_id)  # the same id twice in one batch
            try:
                data = line.form.article_data(line.record)
            except LineError as exc:
                self.fail(path, line.number, str(exc))
                continue
            data.external_id = line.external_id
            items.append(data)
        if not items:
            return
        try:
            self.writer.write(items)
        except IntegrityError:
            # Another import stored some of these meanwhile: look again, store the rest.
            present = self.writer.existing(_ids(items))
            fresh = [d for d in items if d.external_id not in present]
            self.counts.skipped += len(items) - len(fresh)
            items = fresh
            if items:
                self.writer.write(items)
        self.counts.imported += len(items)

    def run_file(self, path: Path, progress: Callable[[int], None] | None = None) -> None:
        raw, lines = open_lines(path)
        batch: list[_Line] = []
        number = 0
        with raw:
            while self.limit is None or number < self.limit:
                try:
                    text = next(lines)
                except StopIteration:
                    break
                except (lzma.LZMAError, EOFError) as exc:
                    # A cut-off or damaged xz file: keep what was read, count the rest once.
                    self.fail(path, number + 1, f"unreadable xz data: {exc}")
                    break
                number += 1
                try:
                    line = self.read(number, text)
                except LineError as exc:
                    self.fail(path, number, str(exc))
                    continue
                if line is not None:
                    batch.append(line)
                if len(batch) >= self.batch_size:
                    self.store(path, batch)
                    batch = []
                    if progress:
                        progress(raw.tell())
            if batch:
                self.store(path, batch)
            if progress:
                progress(raw.tell())


def _ids(items: Sequence[ArticleData]) -> list[str]:
    return [d.external_id for d in items if d.external_id]


# ---------------------------------------------------------------------------------------
# The sub-command.


class _RawStream(io.TextIOBase):
    """Django's OutputWrapper appends a newline and colours every write; rich needs neither."""

    def __init__(self, out: TextIO | OutputWrapper) -> None:
        self.out = out

    def write(self, text: str) -> int:
        if isinstance(self.out, OutputWrapper):
            self.out.write(text, style_func=lambda s: s, ending="")
        else:
            self.out.write(text)
        return len(text)

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return self.out.isatty()


def _datetime(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date/time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".jsonl or .jsonl.xz")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"lines a transaction (default {DEFAULT_BATCH_SIZE}); an interrupt loses one",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="read only the first N lines of each file"
    )
    parser.add_argument(
        "--status",
        choices=[Article.Status.PUBLISHED, Article.Status.DRAFT],
        default=Article.Status.PUBLISHED,
        help="status of the imported articles (default published)",
    )
    parser.add_argument(
        "--undated-at",
        type=_datetime,
        default=None,
        help="publish time of items with no date (sina; default 2018-10-01 00:00, Asia/Shanghai)",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar (errors are still shown)"
    )


# After this many new articles the database's planner statistics are out of date: without
# them PostgreSQL plans a tags lookup as if the tables were empty (seconds, not a
# millisecond), until autovacuum gets round to them.
ANALYZE_AFTER = 1000


def refresh_statistics() -> None:
    """Update the planner's statistics on the tables an import fills."""
    tables = [
        model._meta.db_table for model in (Article, Article.tags.through, Article.channels.through)
    ]
    tables += [
        model._meta.db_table for model in (Tag, Person, ArticleCredit, ChannelListing, TagListing)
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")


def run(options: dict[str, Any], stdout: Any, stderr: Any) -> int:
    paths: list[Path] = options["paths"]
    for path in paths:
        if not path.is_file():
            raise CommandError(f"找不到文件 (no such file): {path}")
    stream = cast("TextIO", _RawStream(stderr))
    console = Console(
        file=stream,
        # A log file has no width: room for the bar's one final line instead of wrapping.
        width=None if stream.isatty() else 120,
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    job = JsonlImport(
        batch_size=options.get("batch_size") or DEFAULT_BATCH_SIZE,
        limit=options.get("limit"),
        status=options.get("status") or Article.Status.PUBLISHED,
        undated_at=options.get("undated_at"),
        report=console.print,
    )
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        DownloadColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=bool(options.get("no_progress")),
    )
    try:
        with progress:
            for path in paths:
                task = progress.add_task(path.name, total=path.stat().st_size, counts="")

                def advance(position: int, task: Any = task) -> None:
                    counts = job.counts
                    progress.update(
                        task,
                        completed=position,
                        counts=f"+{counts.imported} ={counts.skipped} !{counts.failed}",
                    )

                job.run_file(path, advance)
    except KeyboardInterrupt:
        console.print(str(job.counts))
        raise CommandError(
            "已中断，再次运行同一命令即可继续 (interrupted; run the same command again to resume)",
            returncode=130,
        ) from None
    if job.counts.imported >= ANALYZE_AFTER:
        refresh_statistics()
    console.print(str(job.counts))
    return job.counts.failed
