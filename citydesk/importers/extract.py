"""Reading a saved Chinese news page: its encoding, title, time, authors, source, editor
and body blocks, with navigation, ads, related links and comments left out.

No rule here names a site: the body is found the way a reader's eye finds it, as the block
of the page with the most running prose (long text with Chinese sentence punctuation, few
links), the way GNE's text density and trafilatura's heuristics do; the metadata comes
from the page's own meta tags, then from the labelled lines (来源：, 作者：, 责任编辑：)
Chinese news pages print around the headline.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import lxml.html
from lxml import etree


class ExtractError(ValueError):
    """A page that cannot be read as an article; the message says why."""


ENCODINGS = ("utf-8", "gb18030")  # gb18030 is a superset of GBK and GB2312
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)


def decode(data: bytes) -> str:
    """The page's text: BOM, then the declared charset, then UTF-8, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if b"\x00" in data[:2000] and not data.lstrip().startswith(b"<"):
        raise ExtractError("不是网页：二进制内容")
    declared = _META_CHARSET.search(data[:4096])
    candidates: list[str] = []
    if declared:
        name = declared.group(1).decode("ascii", "ignore").lower()
        if name in ("gb2312", "gbk", "gb_2312-80", "x-gbk", "gb18030"):
            name = "gb18030"
        candidates.append(name)
    candidates += [e for e in ENCODINGS if e not in candidates]
    for name in candidates:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    # Mostly one encoding with a few broken bytes (a truncated save): the best fit wins.
    best = min(ENCODINGS, key=lambda e: data.decode(e, errors="replace").count("\ufffd"))
    text = data.decode(best, errors="replace")
    if text.count("\ufffd") > max(20, len(text) // 50):
        raise ExtractError("无法识别网页的编码")
    return text


_DROP = (
    "script", "style", "noscript", "iframe", "button", "select", "textarea",
    "nav", "footer", "aside", "svg", "canvas", "template", "object", "embed",
)  # fmt: skip
# Words in class or id that mark page furniture on any site.
_FURNITURE = re.compile(
    r"comment|footer|\bfoot\b|\bnav|menu|sidebar|side-bar|\bside\b|share|related|recommend"
    r"|\bad\b|\bads\b|advert|banner|breadcrumb|copyright|toolbar|pagination-list|hot-?news"
    r"|\blogin|\bsearch|subscribe|reply|jubao|report|tags?-?list|\bmore\b",
    re.I,
)
_SENTENCE = re.compile(r"[。！？；，、：“”]")
_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})(?:[-/.]|\s*年\s*)(\d{1,2})(?:[-/.]|\s*月\s*)(\d{1,2})(?!\d)\s*日?"
    r"(?:\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)
_LABEL = r"[：:]\s*"
_SOURCE = re.compile(r"来源" + _LABEL + r"([^\s|｜/　]{2,30})")
_EDITOR = re.compile(r"(?:责任编辑|责编)" + _LABEL + r"([^\s|｜/　\]）)]{2,20})")
# A Chinese name, ended by a space, "、", "/", a bracket or the end, never by more text.
_NAME = r"[\u4e00-\u9fa5·]{2,4}(?=$|[\s、/／）)\]】])"
_NAMES = rf"({_NAME}(?:[\s、]+{_NAME})*)"
# The bylines Chinese news pages print, most explicit first.
_BYLINES = [
    re.compile(r"(?:作者|撰文|(?<![\u4e00-\u9fa5])文)\s*[：:]\s*" + _NAMES),
    re.compile(r"作者\s*[：:]\s*([A-Za-z][\w .-]{1,30}?)(?=\s{2}|$|\s[\u4e00-\u9fa5])"),
    re.compile(r"(?:(?<!小)记者|通讯员|实习生)[：:]?\s*" + _NAMES),
    re.compile(r"[（(]" + _NAMES + r"\s*[\u4e00-\u9fa5]{0,8}报道[）)]"),
    re.compile(_NAMES + r"\s*[/／]\s*[文摄]"),
    re.compile(r"\d{1,2}[:：]\d{2}(?:[:：]\d{2})?\s*\[\s*" + _NAMES + r"\s*\]"),
]


def _authors(*texts: str) -> list[str]:
    """The names of the first byline found, searching each text in turn."""
    for pattern in _BYLINES:
        for text in texts:
            names: list[str] = []
            for match in pattern.finditer(text):
                for name in re.split(r"[\s、]+", match.group(1).strip()):
                    name = re.sub(r"^(?:本报)?(?:记者|通讯员|实习生)", "", name)
                    if len(name) >= 2 and name not in names:
                        names.append(name)
            if names:
                return names
    return []


_META_DATE = (
    "article:published_time", "og:article:published_time", "pubdate", "publishdate",
    "publish_date", "publishtime", "pubtime", "date", "dc.date", "dc.date.issued",
    "weibo:article:create_at", "og:release_date", "release_date",
)  # fmt: skip


@dataclass
class Extracted:
    title: str = ""
    published_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    source: str = ""
    editor: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)  # in-article pagination links


def _text(node: Any) -> str:
    return " ".join("".join(node.itertext()).split())


def _link_text(node: Any) -> int:
    return sum(len(_text(a)) for a in node.iter("a"))


def _score(node: Any) -> float:
    """How much running prose the node holds: text with sentence punctuation, not links."""
    text = _text(node)
    if len(text) < 20:
        return 0.0
    links = _link_text(node)
    punct = len(_SENTENCE.findall(text))
    density = 1 - links / max(len(text), 1)
    return (len(text) - links) * density * (1 + punct) ** 0.5


def _clean(root: Any) -> None:
    """Drop what is never the article: scripts and their like, comments, and blocks whose
    class or id names page furniture, unless such a block holds the prose."""
    for node in root.xpath("//comment() | //processing-instruction()"):
        if node.getparent() is not None:
            node.drop_tree()  # keeps the text that follows it
    for node in list(root.iter(*_DROP)):
        if node.getparent() is not None:
            node.drop_tree()
    for node in list(root.iter()):
        if not isinstance(node.tag, str) or node.getparent() is None:
            continue
        if node.tag in ("html", "body"):
            continue
        marker = f"{node.get('class', '')} {node.get('id', '')}"
        # A form (ASP.NET pages wrap the whole page in one) or a block marked as furniture
        # goes, unless it holds the prose.
        if (node.tag == "form" or (marker.strip() and _FURNITURE.search(marker))) and _score(
            node
        ) < 2000:
            node.drop_tree()


def _meta(root: Any, *names: str) -> str:
    for name in names:
        for attr in ("property", "name", "itemprop", "http-equiv"):
            found = root.xpath(
                f'//meta[translate(@{attr}, "ABCDEFGHIJKLMNOPQRSTUVWXYZ",'
                f' "abcdefghijklmnopqrstuvwxyz")="{name}"]/@content'
            )
            if found and found[0].strip():
                return str(found[0]).strip()
    return ""


def _title(root: Any) -> str:
    page_title = _text(root.find(".//title")) if root.find(".//title") is not None else ""
    og = _meta(root, "og:title", "twitter:title")
    heads = [_text(h) for tag in ("h1", "h2") for h in root.iter(tag)]
    heads = [h for h in heads if 4 <= len(h) <= 80]

    def overlap(candidate: str) -> int:
        return sum(1 for ch in set(candidate) if ch in page_title)

    if heads and page_title:
        best = max(heads, key=lambda h: (overlap(h) / max(len(set(h)), 1), len(h)))
        if overlap(best) >= 0.6 * len(set(best)):
            return best
    if og:
        return og
    if page_title:
        return re.split(r"\s*[_|｜—–-]\s*", page_title)[0].strip() or page_title
    return heads[0] if heads else ""


def _date(value: str) -> tuple[datetime | None, bool]:
    m = _DATE.search(value)
    if not m:
        return None, False
    y, mo, d, h, mi, s = m.groups()
    try:
        return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0)), bool(h)
    except ValueError:
        return None, False


def _best_date(*texts: str) -> tuple[datetime | None, bool]:
    """The first date with a time of day in the first text that has one (the line under
    the headline, then the body's opening, then the page), else the first date at all."""
    fallback: tuple[datetime | None, bool] = (None, False)
    for text in texts:
        for match in _DATE.finditer(text):
            found = _date(match.group(0))
            if found[0] is None:
                continue
            if found[1]:
                return found
            if fallback[0] is None:
                fallback = found
        if fallback[0] is not None:
            return fallback
    return fallback


_RUN_INLINE = {"span", "font", "b", "strong", "em", "i", "u", "sup", "sub", "big", "small"}


def _paragraphs(node: Any) -> list[dict[str, Any]]:
    """The body node as blocks: headings, images with captions, and paragraphs, which are
    its <p>s, or runs of text between <br>s where the page has no <p>."""
    blocks: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add_text(text: str, kind: str = "paragraph") -> None:
        text = " ".join(text.split())
        if text and text not in seen:
            seen.add(text)
            blocks.append({"type": kind, "text": text})

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            add_text(_text(el), "heading")
            return
        if tag == "img":
            # Kept as written (a relative path too): the importer decides what it becomes.
            src = (el.get("data-src") or el.get("data-original") or el.get("src") or "").strip()
            if src and not src.startswith(("data:", "javascript:")):
                block: dict[str, Any] = {"type": "image", "src": src}
                if el.get("alt", "").strip():
                    block["alt"] = el.get("alt").strip()
                blocks.append(block)
            return
        if tag == "figcaption" and blocks and blocks[-1]["type"] == "image":
            blocks[-1]["caption"] = _text(el)
            return
        if tag in ("p", "li", "blockquote") and not el.xpath(".//p|.//div"):
            text = _text(el)
            if text:
                for img in el.iter("img"):
                    walk(img)
                if _link_text(el) < 0.6 * len(text):
                    add_text(text)
            else:
                for img in el.iter("img"):
                    walk(img)
            return
        # Text that sits directly in a container, split at <br>s; inline markup is part of
        # the run (a link in such a run is most often a related link, and left out).
        pieces = [el.text or ""]
        for child in el:
            child_tag = child.tag if isinstance(child.tag, str) else ""
            if child_tag == "br":
                pieces.append("\n")
            elif child_tag in _RUN_INLINE and not child.xpath(".//p|.//div|.//img|.//br"):
                pieces.append(_text(child))
            elif child_tag != "a" or child.xpath(".//img"):
                flush(pieces)
                pieces = []
                walk(child)
            pieces.append(child.tail or "")
        flush(pieces)

    def flush(pieces: list[str]) -> None:
        for line in "".join(pieces).split("\n"):
            if len(line.strip()) >= 2:
                add_text(line)

    walk(node)
    return blocks


def _body_node(root: Any) -> Any:
    best, best_score = None, 0.0
    for node in root.iter("div", "article", "section", "td", "main", "body", "font", "span"):
        score = _score(node)
        if score <= 0:
            continue
        # Paragraph children mark the article block itself: its parents hold the same
        # prose plus furniture, and score lower for it.
        kids = [c for c in node if isinstance(c.tag, str)]
        paragraphs = sum(1 for c in kids if c.tag in ("p", "br")) + len(node.findall("p"))
        score *= 1 + min(paragraphs, 30) / 10
        if score > best_score:
            best, best_score = node, score
    return best


_NEXT = re.compile(r"^(?:\d{1,3}|下一页|下页|第\s*\d{1,3}\s*页|next)$", re.I)


def _pagination(root: Any) -> list[str]:
    """The links of an in-article pager ("1 2 3 下一页"): targets of anchors so labelled."""
    links: list[str] = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        label = _text(a).strip("[]【】 ")
        wanted = href and not href.startswith(("#", "javascript:")) and _NEXT.match(label)
        if wanted and href not in links:
            links.append(href)
    return links


def extract(html: str) -> Extracted:
    if not html.strip():
        raise ExtractError("空文件")
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"无法解析网页：{exc}") from exc
    out = Extracted(title=_title(root))
    meta_date: tuple[datetime | None, bool] = (None, False)
    for name in _META_DATE:
        value = _meta(root, name)
        if value and (meta_date := _date(value))[0] is not None:
            break
    author_meta = _meta(root, "author", "article:author", "byl")
    out.next_pages = _pagination(root)
    _clean(root)
    body = _body_node(root)
    if body is None:
        raise ExtractError("网页中没有正文")
    out.blocks = [b for b in _paragraphs(body) if b.get("text") != out.title]
    if sum(len(b.get("text", "")) for b in out.blocks) < 20:
        raise ExtractError("网页中没有正文")
    # Labelled lines: the page's text before the body, then the body's tail.
    head_text = _text(root)
    body_text = _text(body)
    cut = head_text.find(body_text[:30]) if body_text else -1
    before = head_text[max(0, cut - 600) : cut] if cut > 0 else head_text[:1500]
    # The line under the headline is what the newsroom printed; a meta date is often a
    # template's (midnight, or the crawl's day), so it decides only when the text has none
    # or agrees with it.
    text_date = _best_date(before, body_text[:200], head_text)
    meta_at = meta_date[0]
    if meta_at is None or (
        text_date[0] is not None
        and (text_date[1] or meta_at.time() == datetime.min.time())
        and text_date[0].date() != meta_at.date()
    ):
        out.published_at = text_date[0]
    else:
        out.published_at = meta_date[0]
    if m := _SOURCE.search(before) or _SOURCE.search(head_text):
        out.source = m.group(1)
    if m := _EDITOR.search(head_text):
        out.editor = m.group(1)
    out.authors = _authors(before, body_text)
    if not out.authors and author_meta and len(author_meta) <= 20 and "," not in author_meta:
        out.authors = [author_meta.strip()]
    return out
