"""The sensitive-word check (敏感词检查) run before a piece is submitted or published.

The list is the SensitiveWord table, kept in the admin by chief editors and administrators.
Matching is literal and ignores Latin case and full-width forms (Ｘ matches x); a word
in both simplified and traditional characters is listed in both. A hit stops 送审 and
签发 unless a chief editor lets it through with a reason (citydesk.newsroom.actions), which
the audit trail keeps.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from citydesk.content.models import Article
from citydesk.content.sanitize import clean_text
from citydesk.newsroom.models import SensitiveWord

CONTEXT = 12  # characters shown either side of a hit


@dataclass(frozen=True)
class Hit:
    word: str
    where: str  # 标题, 正文第3段, 图片说明 …
    snippet: SafeString  # the hit in its context, the word in <mark>


def _pattern(words: list[str]) -> re.Pattern[str] | None:
    # Longest first, so a word inside a longer listed one is reported as the longer.
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def _fold(text: str) -> str:
    # NFKC per character keeps every offset, so a hit's place is its place in the text.
    return "".join(unicodedata.normalize("NFKC", ch)[:1] or ch for ch in text)


def _snippet(text: str, start: int, end: int) -> SafeString:
    before = text[max(0, start - CONTEXT) : start]
    after = text[end : end + CONTEXT]
    return mark_safe(
        ("…" if start > CONTEXT else "")
        + escape(before)
        + f"<mark>{escape(text[start:end])}</mark>"
        + escape(after)
        + ("…" if end + CONTEXT < len(text) else "")
    )


def texts(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, plain text) for every part of a piece that readers read."""
    found = [
        ("标题", str(fields.get("title") or "")),
        ("副标题", str(fields.get("subtitle") or "")),
        ("摘要", str(fields.get("summary") or "")),
    ]
    paragraph = 0
    for block in fields.get("body") or []:
        kind = block.get("type")
        if kind in ("paragraph", "heading"):
            paragraph += 1
            label = f"正文第{paragraph}段" if kind == "paragraph" else f"小标题（第{paragraph}段）"
            found.append((label, clean_text(block.get("text", ""))))
        elif kind in ("image", "video"):
            found.append(("图片说明" if kind == "image" else "视频说明", block.get("caption", "")))
    return [(where, text) for where, text in found if text]


def check(fields: dict[str, Any], words: list[str] | None = None) -> list[Hit]:
    """Every listed word in the piece's text, where it is, in context."""
    if words is None:
        words = list(SensitiveWord.objects.values_list("word", flat=True))
    pattern = _pattern([_fold(w) for w in words])
    if pattern is None:
        return []
    hits = []
    for where, text in texts(fields):
        for match in pattern.finditer(_fold(text)):
            hits.append(
                Hit(text[match.start() : match.end()], where, _snippet(text, *match.span()))
            )
    return hits


FIELDS = ("title", "subtitle", "summary", "body")  # what readers read of an article


def check_article(article: Article) -> list[Hit]:
    return check({name: getattr(article, name) for name in FIELDS})
