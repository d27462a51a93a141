"""The newsroom editor's HTML and the stored body blocks, both ways.

The editor (django-prose-editor, ProseMirror underneath) edits HTML of a fixed shape, and
the body is stored as blocks (citydesk.content.sanitize), so the page, the feeds, search
and the API never parse HTML. The shapes:

    <p>…</p>                                  paragraph (inline tags kept, then cleaned)
    <h2>…</h2>, <h3>…</h3>                    heading
    <figure><img src data-file="12" alt>
      <figcaption>说明 | 摄影 张三</figcaption></figure>
                                              image 12 (data-file: the library id); the
                                              caption's last "|" separates the credit
    <figure class="video"><video src poster></video>
      <figcaption>说明</figcaption></figure>  video
    <hr class="pagebreak">                   page break (any <hr>)

The standard library's parser is enough: the editor writes well-formed HTML, and whatever
else arrives is dropped or cleaned by `clean_blocks`, the one gate every body passes.
"""

import re
from html import escape
from html.parser import HTMLParser
from typing import Any

from citydesk.content.sanitize import INLINE_TAGS, clean_blocks, clean_text, clean_url

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Whose text is never the article's.
_SKIPPED = {"script", "style", "noscript", "template", "textarea", "select"}


def split_caption(text: str) -> tuple[str, str]:
    """ "说明 | 摄影 张三" → ("说明", "摄影 张三"); no "|": all caption."""
    caption, bar, credit = text.rpartition("|")
    if not bar:
        return text.strip(), ""
    return caption.strip(), credit.strip()


def parse_id(value: str | None) -> int | None:
    """An id as a page or a form writes it (data-file="12", ?left=3), or None for anything
    else: ASCII digits only, and short enough for any database's integer."""
    return int(value) if value and _ID.fullmatch(value) else None


_ID = re.compile(r"[0-9]{1,15}")  # ASCII digits only, and no number the database refuses
_FIGURES = ("image", "video")
# Block-level tags that end a paragraph of loose text (text not inside a <p>).
_BREAKS = {"div", "section", "article", "ul", "ol", "li", "table", "tr", "td", "blockquote"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[dict[str, Any]] = []
        # The block being read: its type, and the inline HTML or caption text gathered.
        self.current: dict[str, Any] | None = None
        self.parts: list[str] = []
        self.in_caption = False
        self.skipping = 0

    def _in_figure(self) -> bool:
        return self.current is not None and self.current["type"] in _FIGURES

    def _start_text_block(self, kind: str) -> None:
        self._finish_text_block()
        self.current = {"type": kind}
        self.parts = []

    def _finish_text_block(self) -> None:
        if self.current is not None and self.current["type"] in ("paragraph", "heading"):
            text = "".join(self.parts).strip()
            if text:
                self.blocks.append({**self.current, "text": text})
            self.current = None
            self.parts = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in _SKIPPED:
            self.skipping += 1
        elif self._in_figure() and tag not in ("img", "video", "source", "figcaption"):
            return  # <p>, <b> … inside a figure or its caption: only their text counts
        elif tag == "p":
            self._start_text_block("paragraph")
        elif tag in _HEADINGS:
            self._start_text_block("heading")
        elif tag in _BREAKS:
            self._finish_text_block()
        elif tag == "figure":
            self._finish_text_block()
            kind = "video" if "video" in a.get("class", "").split() else "image"
            self.current = {"type": kind}
            self.parts = []
        elif tag == "img" and self._in_figure():
            if self.current is not None and self.current["type"] == "image":
                self.current["src"] = a.get("src", "")
                if a.get("alt"):
                    self.current["alt"] = a["alt"]
                if (pk := parse_id(a.get("data-file"))) is not None:
                    self.current["image_id"] = pk
        elif tag == "img":  # an image outside a figure: a figure of its own
            if clean_url(a.get("src", "")):  # a lazy-loading placeholder is no picture
                self._finish_text_block()
                block: dict[str, Any] = {"type": "image", "src": a["src"]}
                if (pk := parse_id(a.get("data-file"))) is not None:
                    block["image_id"] = pk
                self.blocks.append(block)
        elif tag == "video" and self.current is not None and self.current["type"] == "video":
            self.current["src"] = a.get("src", "")
            if a.get("poster"):
                self.current["poster"] = a["poster"]
        elif tag == "source" and self.current is not None and self.current["type"] == "video":
            self.current.setdefault("src", a.get("src", ""))
        elif tag == "figcaption":
            self.in_caption = True
            self.parts = []
        elif tag == "hr":
            self._finish_text_block()
            self.blocks.append({"type": "pagebreak"})
        elif tag in INLINE_TAGS:
            if self.current is None:
                self._start_text_block("paragraph")  # inline markup in loose text
            if tag == "br":
                self.parts.append("<br>")
            else:
                kept = " ".join(f'{k}="{escape(v)}"' for k, v in a.items() if k in ("href",))
                self.parts.append(f"<{tag} {kept}>" if kept else f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "figcaption":
            self.in_caption = False
            if self.current is not None:
                text = " ".join("".join(self.parts).split())
                # An image's caption may carry its credit after the last "|"; a video's
                # caption is all caption.
                is_image = self.current["type"] == "image"
                caption, credit = split_caption(text) if is_image else (text, "")
                if caption:
                    self.current["caption"] = caption
                if credit:
                    self.current["credit"] = credit
            self.parts = []
        elif tag == "figure":
            # A figure with no picture left in it (its image deleted) is not kept.
            current = self.current
            if (
                current is not None
                and current["type"] in _FIGURES
                and clean_url(current.get("src", ""))
            ):
                self.blocks.append(current)
            self.current = None
            self.parts = []
        elif self._in_figure():
            return
        elif tag == "p" or tag in _HEADINGS or tag in _BREAKS:
            self._finish_text_block()
        elif tag in INLINE_TAGS and tag != "br" and self.current is not None:
            self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.in_caption:
            self.parts.append(data)
        elif self._in_figure():
            return
        elif self.current is not None:
            self.parts.append(escape(data, quote=False))
        elif data.strip():  # loose text between blocks: a paragraph of its own
            self._start_text_block("paragraph")
            self.parts.append(escape(data, quote=False))


def html_to_blocks(html: str) -> list[dict[str, Any]]:
    """The editor's HTML as clean body blocks."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader._finish_text_block()
    return clean_blocks(reader.blocks)


def _attr(value: Any) -> str:
    return escape(str(value), quote=True)


def blocks_to_html(blocks: list[dict[str, Any]]) -> str:
    """Body blocks as the editor's HTML (block text is already clean inline HTML)."""
    out: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "paragraph":
            out.append(f"<p>{block.get('text', '')}</p>")
        elif kind == "heading":
            out.append(f"<h2>{block.get('text', '')}</h2>")
        elif kind == "pagebreak":
            out.append('<hr class="pagebreak">')
        elif kind == "image":
            data_file = f' data-file="{block["image_id"]}"' if block.get("image_id") else ""
            caption = block.get("caption", "")
            if block.get("credit"):
                caption = f"{caption} | {block['credit']}"
            out.append(
                f'<figure><img src="{_attr(block.get("src", ""))}"{data_file}'
                f' alt="{_attr(block.get("alt", ""))}">'
                f"<figcaption>{escape(caption, quote=False)}</figcaption></figure>"
            )
        elif kind == "video":
            poster = f' poster="{_attr(block["poster"])}"' if block.get("poster") else ""
            out.append(
                f'<figure class="video"><video src="{_attr(block.get("src", ""))}"{poster}'
                f' controls preload="none"></video>'
                f"<figcaption>{escape(block.get('caption', ''), quote=False)}</figcaption>"
                "</figure>"
            )
    return "".join(out)


def char_count(blocks: list[dict[str, Any]]) -> int:
    """字数 as the editor counts it: the characters of the paragraphs and headings, without
    whitespace (captions and credits are not the article's words)."""
    return sum(
        len("".join(_text_of(block.get("text", "")).split()))  # split(): str.isspace's set
        for block in blocks
        if block.get("type") in ("paragraph", "heading")
    )


def _text_of(value: str) -> str:
    # Text with no markup and no entity is its own text: no need to parse it (the 稿费
    # report counts the 字 of a month's pieces at once).
    return value if "<" not in value and "&" not in value else clean_text(value)
