"""Body blocks and their sanitising.

An article body is a list of blocks, each a dict with a "type":

- paragraph: {"type": "paragraph", "text": inline HTML}
- heading:   {"type": "heading", "text": inline HTML}
- image:     {"type": "image", "src": URL, "image_id": int, "caption": str, "credit": str}
- video:     {"type": "video", "src": URL, "poster": URL, "caption": str}
- pagebreak: {"type": "pagebreak"}

Whatever path a body arrives by (admin, importer, API), `clean_blocks` is the one gate it
passes: unknown types and keys are dropped, inline HTML is cleaned with nh3 and plain
fields lose every tag.
"""

import html
from typing import Any

import nh3
from django.utils.html import escape

BLOCK_TYPES = ("paragraph", "heading", "image", "video", "pagebreak")

INLINE_TAGS = {"a", "b", "strong", "em", "i", "u", "br", "sub", "sup", "span", "mark", "s"}
INLINE_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}

_BLOCK_FIELDS: dict[str, dict[str, str]] = {
    # field -> kind: "html" keeps inline tags, "text" keeps none, "url" must be safe, "int"
    "paragraph": {"text": "html"},
    "heading": {"text": "html"},
    "image": {"src": "url", "image_id": "int", "caption": "text", "credit": "text", "alt": "text"},
    "video": {"src": "url", "poster": "url", "caption": "text"},
    "pagebreak": {},
}


class BodyError(ValueError):
    """A body that cannot be read as a list of blocks."""


def clean_html(value: str) -> str:
    return nh3.clean(
        value,
        tags=INLINE_TAGS,
        attributes=INLINE_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


def clean_text(value: str) -> str:
    # nh3 with no allowed tags strips markup but keeps entities escaped; unescape back so
    # the template layer does the one and only escaping.
    return html.unescape(nh3.clean(value, tags=set())).strip()


def clean_url(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if value.startswith("/") and not value.startswith("//"):
        return value
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    return value if scheme in {"http", "https"} else ""


def text_to_html(value: str) -> str:
    """Plain text (from an importer) as safe inline HTML."""
    return escape(value.strip())


def clean_blocks(blocks: Any) -> list[dict[str, Any]]:
    if not isinstance(blocks, list):
        raise BodyError("正文必须是内容块列表")
    cleaned: list[dict[str, Any]] = []
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            continue
        kind = block["type"]
        out: dict[str, Any] = {"type": kind}
        for field, field_kind in _BLOCK_FIELDS[kind].items():
            value = block.get(field)
            if value in (None, ""):
                continue
            if field_kind == "int":
                try:
                    out[field] = int(value)
                except (TypeError, ValueError):
                    continue
                continue
            value = str(value)
            if field_kind == "html":
                value = clean_html(value)
            elif field_kind == "text":
                value = clean_text(value)
            else:
                value = clean_url(value)
            if value:
                out[field] = value
        if kind in ("paragraph", "heading") and "text" not in out:
            continue
        cleaned.append(out)
    return cleaned
