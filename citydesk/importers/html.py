"""`citydesk import html PATH_OR_DIR...`: saved news pages (GBK, GB2312, GB18030, UTF-8 with
or without BOM), read by citydesk.importers.extract: title, time, authors, 来源, 责任编辑 and
the body; the pages of one article, given together, become one article with page breaks.
"""

import hashlib
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from citydesk.content import actions as content
from citydesk.content import images, queries
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, ArticleCredit
from citydesk.content.sanitize import clean_blocks, text_to_html
from citydesk.importers import extract
from citydesk.importers.common import (
    Tally,
    Writer,
    add_page_arguments,
    expand,
    store_once,
    write_json_line,
    write_line,
)
from citydesk.importers.text import Page, article_json

MAX_BYTES = 20 * 1024 * 1024  # a saved news page is far smaller; a larger file is not one
SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}


class PageError(ValueError):
    """A file that cannot be imported; the message is the one-line reason."""


def read(path: Path) -> extract.Extracted:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise PageError(f"文件太大 (too large): {size // 1024 // 1024} MB")
    try:
        return extract.extract(extract.decode(path.read_bytes()))
    except extract.ExtractError as exc:
        raise PageError(str(exc)) from exc


_PAGE_NUMBER = re.compile(r"^(.*?)[_-](\d{1,3})$")


def page_number(path: Path) -> int:
    """name_3.html → 3; a name without a number is page 1."""
    m = _PAGE_NUMBER.match(path.stem)
    return int(m.group(2)) if m else 1


def continuation_of(first: Path, page: extract.Extracted, others: set[Path]) -> list[Path]:
    """The files among `others` that the page's pagination links to, in page order: the
    article's later pages, saved beside it (name_2.html, name_3.html …)."""
    number = page_number

    found = []
    for href in page.next_pages:
        name = Path(unquote(urlsplit(href).path)).name
        if not name or "\x00" in name:
            continue  # "?page=2", "/": not a file saved beside this one
        candidate = first.with_name(name)
        # Later pages only: page 2 links back to page 1 as well.
        if candidate in others and candidate not in found and number(candidate) > number(first):
            found.append(candidate)
    return sorted(found, key=number)


def external_id(title: str, published_at: datetime | None) -> str:
    key = f"{title.strip()}\n{published_at.isoformat() if published_at else ''}"
    return "html:" + hashlib.sha1(key.encode()).hexdigest()


def picture(block: dict[str, Any], page_path: Path, *, store: bool) -> dict[str, Any] | None:
    """An image block as stored: a file saved beside the page goes into the image library
    (when storing), a web address stays a link, anything else is dropped."""
    src = str(block.get("src", ""))
    if src.startswith("//"):
        src = "https:" + src
    if src.lower().startswith(("http://", "https://")):
        return {**block, "src": src}
    parts = urlsplit(src)
    if not src or parts.scheme or parts.netloc or src.startswith("/"):
        return None  # file://, a root path of the original site: nothing of ours
    folder = page_path.parent.resolve()
    try:
        local = (folder / unquote(parts.path)).resolve()
        # Only files saved with the page: a page must not pull in /etc/… or ../../…
        if not local.is_relative_to(folder) or not local.is_file():
            return None
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system
        return None
    if not store:
        return {**block, "src": str(local)}
    try:
        image = content.create_image(
            local.name,
            local.read_bytes(),
            caption=block.get("caption", ""),
            credit=block.get("credit", ""),
        )
    except (images.ImageError, OSError):
        return None  # not a picture after all: the text is imported without it
    return {**block, "src": image.file.url, "image_id": image.pk}


def to_article(
    pages: list[extract.Extracted], paths: list[Path], *, store: bool
) -> tuple[ArticleData, list[str]]:
    first = pages[0]
    body: list[dict[str, Any]] = []
    for number, (page, path) in enumerate(zip(pages, paths, strict=True)):
        if number:
            body.append({"type": "pagebreak"})
        for block in page.blocks:
            if block["type"] == "image":
                kept = picture(block, path, store=store)
                if kept is not None:
                    body.append(kept)
                continue
            body.append({**block, "text": text_to_html(block["text"])})
    published_at = first.published_at
    if published_at is not None and timezone.is_naive(published_at):
        published_at = timezone.make_aware(published_at)  # a Chinese page: Beijing time
    credits = [(str(ArticleCredit.Role.WRITER), name) for name in first.authors]
    data = ArticleData(
        title=first.title,
        body=clean_blocks(body),
        published_at=published_at,
        source=first.source,
        credits=credits,
        responsible_editor=first.editor,
        external_id=external_id(first.title, published_at),
    )
    return data, first.authors


def add_arguments(parser: CommandParser) -> None:
    add_page_arguments(parser, "网页文件")
    parser.add_argument("--drafts", action="store_true", help="导入为草稿 (default: published)")


def run(options: dict[str, Any], stdout: Writer, stderr: Writer) -> int:
    dry_run: bool = options["dry_run"]
    as_json = options["format"] == "json"
    verbose = options.get("verbosity", 1) >= 1
    channel: str = options["channel"]
    status = Article.Status.DRAFT if options.get("drafts") else Article.Status.PUBLISHED
    if not dry_run:
        try:
            queries.channel_by_slug(channel)
        except Http404:
            raise CommandError(f"栏目不存在 (no such channel): {channel}") from None

    tally = Tally(dry_run=dry_run)
    items = expand(options["paths"], SUFFIXES)
    given = {path for _, path in items if path is not None}
    read_pages: dict[Path, extract.Extracted] = {}
    failed_reading: dict[Path, str] = {}
    for _name, path in items:
        if path is None or path in read_pages or path in failed_reading:
            continue
        try:
            read_pages[path] = read(path)
        except (PageError, OSError) as exc:
            failed_reading[path] = str(exc)
    # A page another given page's pagination leads to is part of that article, followed
    # page to page (page 1 may link only to page 2, page 2 to page 3).
    links = {
        path: [p for p in continuation_of(path, page, given) if p in read_pages]
        for path, page in read_pages.items()
    }
    later: dict[Path, list[Path]] = {}
    for path in read_pages:
        chain: list[Path] = []
        queue = list(links[path])
        while queue:
            nxt = queue.pop(0)
            if nxt not in chain and nxt != path:
                chain.append(nxt)
                queue += links.get(nxt, [])
        later[path] = sorted(chain, key=page_number)
    continuations = {p for pages in later.values() for p in pages}

    seen: set[str] = set()
    for name, path in items:
        if path is None:
            tally.fail(stderr, name, "目录中没有网页文件 (no .html files in folder)")
            continue
        if path in failed_reading:
            tally.fail(stderr, name, failed_reading[path])
            continue
        if path in continuations:
            continue  # imported with its first page
        files = [path, *later[path]]
        pages = [read_pages[p] for p in files]
        article_id: int | None = None
        if dry_run:
            data, authors = to_article(pages, files, store=False)
            created = data.external_id not in seen
            seen.add(data.external_id or "")
        else:
            try:
                # One transaction: a duplicate or a failure leaves no images behind.
                with transaction.atomic():
                    data, authors = to_article(pages, files, store=True)
                    data.channels = [channel]
                    article, created = store_once(data, status=status)
                    if not created:
                        transaction.set_rollback(True)
            except Exception as exc:  # one bad file must not stop the run
                if options.get("traceback"):
                    raise
                tally.fail(stderr, name, f"无法保存 (cannot store): {type(exc).__name__}: {exc}")
                continue
            article_id = article.pk
        item = Page(article=data, declared_pages=len(files))
        if not created:
            tally.skipped += 1
            if verbose:
                write_line(stderr, f"跳过重复 (skipped duplicate) {name}")
            continue
        tally.imported += 1
        if as_json:
            obj = article_json(item)
            obj["authors"] = authors
            obj["path"] = name
            obj["pages"] = [str(p) for p in files]
            if article_id:
                obj["id"] = article_id
            write_json_line(stdout, obj)
        else:
            ident = f"#{article_id}" if article_id else "-"
            write_line(stdout, f"{ident}\t{data.title}\t{len(files)} 页\t{name}")
        if verbose:
            done = "已解析 (parsed)" if dry_run else f"已导入 (imported) #{article_id}"
            write_line(stderr, f"{done} {name}: {data.title}")
    write_line(stderr, tally.summary())
    return tally.failed
