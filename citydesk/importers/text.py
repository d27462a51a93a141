"""导入文章页的文本形式 (article pages of the portal, saved as text)

The page's text, top to bottom (see ../shared/data/seed/ for the reference page):

    名城苏州 滚动 苏州 ...                      nav: ignored
    苏州市委十二届十一次全会侧记                 title: the line before the time line
    时间:2020-12-29 16:41:08 来源:引力播       time (Beijing time) and an optional source
      paragraph                                 indented text
    引力播                                      a lone short name: a photo with that credit
      short line without end punctuation        a heading, between paragraphs
      last paragraph.(苏报融媒记者 朱琦/文 王亭川/摄)   trailing byline
    责编:吴昊                                   responsible editor
    本篇文章共有1页 当前为第 1                  pagination; more text after it is the next page
    欢迎关注...微信 / 今日推荐 / 热点排行        page furniture: the body ends

Nothing here is specific to one article: the rules are about the shape of lines.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import CommandError, CommandParser
from django.http import Http404

from citydesk.content import queries
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, ArticleCredit
from citydesk.content.sanitize import clean_blocks, text_to_html
from citydesk.importers.bylines import Byline, take_byline
from citydesk.importers.common import (
    Tally,
    Writer,
    add_page_arguments,
    expand,
    store_once,
    write_json_line,
    write_line,
)

# The portal prints Beijing time whatever the server's zone is.
PAGE_TIMEZONE = ZoneInfo("Asia/Shanghai")
MAX_FILE_BYTES = 10 * 1024 * 1024  # article pages are kilobytes; more is a wrong file
ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig also reads plain UTF-8

HEADING_MAX_CHARS = 40
CREDIT_MAX_CHARS = 12
TERMINAL_PUNCTUATION = set("。！？!?；;…，,、：:.")
CLOSING_MARKS = "”’\"'）)】」』》"

_INDENT = re.compile(r"^[ \t\u3000\xa0]+")
_META_LABEL = re.compile(r"(发布时间|时间|来源|作者|浏览次数|点击数|点击)\s*[:：]\s*")
_TIME_LINE = re.compile(r"^\s*(?:发布)?时间\s*[:：]")
_TIME = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})\s*秒?)?)?$"
)
_EDITOR = re.compile(r"^[(（【\[]?\s*(?:责编|责任编辑)\s*[:：]\s*(.+?)\s*[)）】\]]?$")
_PAGINATION = re.compile(r"^本篇文章共有\s*(\d+)\s*页\s*当前为第\s*(\d+)")
_FOLLOW_BOX = re.compile(r"^欢迎关注.{0,30}微信")
# Sidebar widgets follow the article; from the first of them on nothing is body.
WIDGET_TITLES = frozenset({"今日推荐", "热点排行", "相关新闻", "相关阅读", "推荐阅读", "热门推荐"})

_LABELLED_CREDIT = re.compile(
    r"^[(（]?(?:图片来源|图片|图源|摄影|图)\s*[:：/／]\s*([^\s(（)）]{1,20})[)）]?$"
)
_SIGNED_CREDIT = re.compile(r"^[(（]?([^\s(（)）/／]{1,20})\s*[/／]?\s*摄[)）]?$")
_BARE_NAME = re.compile(r"^[\w·•]+$")

Role = ArticleCredit.Role


class PageError(ValueError):
    """A file that cannot be imported; the message is the one-line reason."""


@dataclass
class Page:
    article: ArticleData
    declared_pages: int  # what the pagination line says; 0 when there is none

    @property
    def page_count(self) -> int:
        return Article(body=self.article.body).page_count


@dataclass
class _Line:
    text: str  # stripped
    indented: bool


_PAGEBREAK = _Line("", False)  # sentinel between pages


# Reading -------------------------------------------------------------------------------


def read_page(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PageError(f"文件过大 (file larger than {MAX_FILE_BYTES // 1024 // 1024} MiB)")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PageError("文件不存在 (no such file)") from None
    except OSError as exc:
        raise PageError(f"无法读取 (cannot read): {exc.strerror or exc}") from None
    if not raw.strip():
        raise PageError("文件为空 (empty file)")
    if b"\x00" in raw:
        raise PageError("不是文本文件 (binary file)")
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PageError("编码无法识别 (neither UTF-8 nor GB18030)")


# Parsing -------------------------------------------------------------------------------


def parse_time(value: str) -> datetime:
    m = _TIME.match(value.strip())
    if m is None:
        raise PageError(f"时间无法解析 (unparseable time): {value.strip()!r}")
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in m.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=PAGE_TIMEZONE)
    except ValueError:
        raise PageError(f"时间无法解析 (impossible time): {value.strip()!r}") from None


def parse_meta(line: str) -> dict[str, str]:
    """`时间:… 来源:…` as {label: value}; a value runs up to the next label."""
    pieces = _META_LABEL.split(line.strip())
    return {label: value.strip() for label, value in zip(pieces[1::2], pieces[2::2], strict=True)}


def _split_header(lines: list[str]) -> tuple[str, dict[str, str], int]:
    """(title, meta fields, index of the first body line)."""
    for i, line in enumerate(lines):
        if _TIME_LINE.match(line):
            before = [text.strip() for text in lines[:i] if text.strip()]
            if not before:
                raise PageError("不是文章页 (not an article page): 时间行前没有标题 (no title)")
            return before[-1], parse_meta(line), i + 1
    raise PageError("不是文章页 (not an article page): 没有“时间:”行 (no 时间: line)")


def _body_lines(lines: list[str], header: set[str]) -> tuple[list[_Line], str, int]:
    """The body's lines with page furniture taken out: (lines, editor, declared pages)."""
    out: list[_Line] = []
    editor, declared = "", 0
    in_footer = next_page = False
    for raw in lines:
        text = raw.strip()
        if not text:
            continue
        if text in WIDGET_TITLES:
            break
        if m := _EDITOR.match(text):
            editor, in_footer = m.group(1), True
            continue
        if m := _PAGINATION.match(text):
            total, current = int(m.group(1)), int(m.group(2))
            declared, in_footer, next_page = max(declared, total), True, current < total
            continue
        if _FOLLOW_BOX.match(text):
            in_footer = True
            continue
        if in_footer:
            if not next_page:
                continue  # furniture between the footer and the widgets
            in_footer = next_page = False
            out.append(_PAGEBREAK)
        if out and out[-1] is _PAGEBREAK and text in header:
            continue  # a later page repeats the nav, title and time lines
        out.append(_Line(text, bool(_INDENT.match(raw))))
    return out, editor, declared


def _ends_open(text: str) -> bool:
    """No sentence-ending punctuation at the end (closing quotes looked through)."""
    core = text.rstrip(CLOSING_MARKS)
    return bool(core) and core[-1] not in TERMINAL_PUNCTUATION


def parse_page(text: str) -> Page:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title, meta, start = _split_header(lines)
    time_value = meta.get("发布时间") or meta.get("时间") or ""
    published_at = parse_time(time_value)
    source = meta.get("来源", "")
    header = {line.strip() for line in lines[:start] if line.strip()}
    body_lines, editor, declared = _body_lines(lines[start:], header)

    # Indentation only tells headings from credits where the page indents its paragraphs.
    long_lines = [line for line in body_lines if len(line.text) > 20]
    page_indents = bool(long_lines) and 2 * sum(x.indented for x in long_lines) >= len(long_lines)

    def byline_only(line: _Line) -> bool:
        rest, byline = take_byline(line.text)
        return byline is not None and not rest

    def credit_of(line: _Line) -> str | None:
        if len(line.text) > 24:
            return None
        # "(图：张三)" under a photo is its credit, though it would also read as a byline;
        # "(张三/摄)" on a line of its own is the article's byline.
        if m := _LABELLED_CREDIT.match(line.text):
            return m.group(1)
        if byline_only(line):
            return None
        if m := _SIGNED_CREDIT.match(line.text):
            return m.group(1)
        bare = len(line.text) <= CREDIT_MAX_CHARS and _BARE_NAME.match(line.text)
        if bare and (line.text == source or (page_indents and not line.indented)):
            return line.text
        return None

    def heading_shaped(line: _Line) -> bool:
        return (
            len(line.text) <= HEADING_MAX_CHARS
            and _ends_open(line.text)
            and (line.indented or not page_indents)
            and not byline_only(line)
        )

    blocks: list[dict[str, Any]] = []
    for i, line in enumerate(body_lines):
        if line is _PAGEBREAK:
            blocks.append({"type": "pagebreak"})
            continue
        credit = credit_of(line)
        if credit is not None:
            blocks.append({"type": "image", "credit": credit})
            continue
        nxt = body_lines[i + 1] if i + 1 < len(body_lines) else None
        is_heading = (
            heading_shaped(line)
            and bool(blocks)
            and blocks[-1]["type"] in ("paragraph", "image")
            and nxt is not None
            and nxt is not _PAGEBREAK
            and credit_of(nxt) is None
            and not heading_shaped(nxt)
        )
        blocks.append({"type": "heading" if is_heading else "paragraph", "text": line.text})

    byline = _take_byline(blocks) or Byline()
    if not any(b["type"] == "paragraph" for b in blocks):
        raise PageError("正文为空 (no body text)")
    body = clean_blocks(
        [{**b, "text": text_to_html(b["text"])} if "text" in b else b for b in blocks]
    )
    article = ArticleData(
        title=title,
        body=body,
        published_at=published_at,
        source=source,
        organization=byline.organization,
        credits=byline.credits,
        responsible_editor=editor or byline.responsible_editor,
        external_id=external_id(title, published_at),
    )
    return Page(article=article, declared_pages=declared)


def _take_byline(blocks: list[dict[str, Any]]) -> Byline | None:
    """Cut the byline off the end of the last paragraph, dropping a paragraph it was all of."""
    paragraphs = [i for i, block in enumerate(blocks) if block["type"] == "paragraph"]
    if not paragraphs:
        return None
    last = paragraphs[-1]
    rest, byline = take_byline(blocks[last]["text"])
    if rest:
        blocks[last]["text"] = rest
    else:
        del blocks[last]
    return byline


def external_id(title: str, published_at: datetime) -> str:
    """Stable across re-imports of the same page, whatever the file is called."""
    key = f"{title.strip()}\n{published_at.isoformat()}"
    return "text:" + hashlib.sha1(key.encode()).hexdigest()


def article_json(page: Page) -> dict[str, Any]:
    data = page.article
    byline: dict[str, Any] = {
        "organization": data.organization,
        "writers": data.names(Role.WRITER),
        "photographers": data.names(Role.PHOTOGRAPHER),
    }
    if video := data.names(Role.VIDEO_EDITOR):
        byline["video_editors"] = video
    return {
        "title": data.title,
        "published_at": data.published_at.isoformat() if data.published_at else None,
        "source": data.source,
        "byline": byline,
        "responsible_editor": data.responsible_editor,
        "page_count": page.page_count,
        "body": data.body,
        "external_id": data.external_id,
    }


# The command ---------------------------------------------------------------------------


def add_arguments(parser: CommandParser) -> None:
    add_page_arguments(parser, "文本文件")


def _summary_line(page: Page, article_id: int | None) -> str:
    data = page.article
    counts = {kind: sum(b["type"] == kind for b in data.body) for kind in ("paragraph", "heading")}
    images = sum(b["type"] == "image" for b in data.body)
    when = data.published_at.isoformat() if data.published_at else "-"
    ident = f"#{article_id}" if article_id else "-"
    return (
        f"{ident}\t{when}\t{data.title}\t{counts['paragraph']} 段 {counts['heading']} 小标题 "
        f"{images} 图 {page.page_count} 页"
    )


def run(options: dict[str, Any], stdout: Writer, stderr: Writer) -> int:
    dry_run: bool = options["dry_run"]
    as_json = options["format"] == "json"
    verbose = options.get("verbosity", 1) >= 1
    channel: str = options["channel"]
    if not dry_run:
        try:
            queries.channel_by_slug(channel)
        except Http404:
            raise CommandError(f"栏目不存在 (no such channel): {channel}") from None

    tally = Tally(dry_run=dry_run)
    seen: set[str] = set()
    for name, path in expand(options["paths"], {".txt"}):
        if path is None:
            tally.fail(stderr, name, "目录中没有 .txt 文件 (no .txt files in folder)")
            continue
        try:
            page = parse_page(read_page(path))
        except PageError as exc:
            tally.fail(stderr, name, str(exc))
            continue
        data = page.article
        data.channels = [channel]
        if page.declared_pages > page.page_count:
            write_line(
                stderr,
                f"注意 (warning) {name}: 页面声明 {page.declared_pages} 页, 文件中只有 "
                f"{page.page_count} 页 (file holds only part of the article)",
            )

        article_id: int | None = None
        if dry_run:
            created = data.external_id not in seen
            seen.add(data.external_id or "")
        else:
            try:
                article, created = store_once(data, status=Article.Status.PUBLISHED)
            except Exception as exc:  # one bad file must not stop the run
                if options.get("traceback"):
                    raise
                tally.fail(stderr, name, f"无法保存 (cannot store): {type(exc).__name__}: {exc}")
                continue
            article_id = article.pk

        if not created:
            tally.skipped += 1
            if verbose:
                already = f" #{article_id}" if article_id else ""
                write_line(stderr, f"跳过重复 (skipped duplicate) {name}: 已导入{already}")
            continue
        tally.imported += 1
        if as_json:
            obj = article_json(page)
            if article_id:
                obj["id"] = article_id
            write_json_line(stdout, obj)
        else:
            write_line(stdout, _summary_line(page, article_id))
        if verbose:
            done = "已解析 (parsed)" if dry_run else f"已导入 (imported) #{article_id}"
            write_line(stderr, f"{done} {name}: {data.title}")

    write_line(stderr, tally.summary())
    return tally.failed
