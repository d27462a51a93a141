"""Titles and snippets with the query's words in <mark>: escaped first, marked after."""

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from citydesk.core.text import highlight_spans

SNIPPET_CHARS = 110


def _marked(text: str, spans: Sequence[tuple[int, int, str]], start: int, end: int) -> str:
    out: list[str] = []
    position = start
    for s, e, _word in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(text[position:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        position = e
    out.append(escape(text[position:end]))
    # Two words side by side read as one marked run.
    return "".join(out).replace("</mark><mark>", "")


def mark(text: str, words: Sequence[str]) -> SafeString:
    """The whole text, escaped, with every occurrence of the words marked."""
    return mark_safe(_marked(text, highlight_spans(text, words), 0, len(text)))


def snippet(
    text: str, spans: Sequence[tuple[int, int, str]], *, size: int = SNIPPET_CHARS
) -> SafeString:
    """About `size` characters of `text` around the place where most of the query's
    different words occur (`spans`, from `highlight_spans(text, words)`: the caller has
    them, and finding them folds the whole text), escaped and marked; the start of the
    text when none does."""
    # The first few hundred places are plenty to choose from, even in a long article.
    spans = spans[:300]
    if not spans:
        cut = text[:size]
        return mark_safe(escape(cut) + ("…" if len(text) > size else ""))
    best_start, best_count = 0, -1
    for s, _e, _w in spans:
        start = max(0, min(s - size // 5, len(text) - size))
        count = len({w for s2, e2, w in spans if s2 >= start and e2 <= start + size})
        if count > best_count:
            best_start, best_count = start, count
    end = min(len(text), best_start + size)
    html = _marked(text, spans, best_start, end)
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + html + suffix)
