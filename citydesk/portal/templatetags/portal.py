"""Small formatting helpers for the reader site's templates."""

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.core.paginator import Page
from django.utils import dateformat, timezone
from django.utils.encoding import escape_uri_path
from django.utils.safestring import SafeString, mark_safe

from citydesk.portal.views import list_page_path

register = template.Library()

# The portal is a Suzhou paper: its times are Beijing time whatever TIME_ZONE a host sets.
SHANGHAI = ZoneInfo("Asia/Shanghai")


@register.filter
def shanghai(value: datetime | None, fmt: str = "Y-m-d H:i:s") -> str:
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = value.astimezone(SHANGHAI)
    return dateformat.format(value, fmt)


@register.filter
def byline_prefix(organization: str) -> str:
    """苏报融媒 -> 苏报融媒记者, as the reference page prints it; a title already there
    (…记者, …评论员, …通讯员) is kept as it is."""
    return organization if organization.endswith(("记者", "员")) else organization + "记者"


@register.filter
def wan(value: int | None) -> str:
    """A count the way Chinese sites print it: 9876, 1.2万, 35万."""
    n = int(value or 0)
    if n < 10_000:
        return str(n)
    if n < 100_000:
        return f"{n / 10_000:.1f}".rstrip("0").rstrip(".") + "万"
    return f"{n // 10_000}万"


@register.simple_tag
def page_numbers(page: Page) -> list[int | str]:
    """Page numbers around the current one, with "…" for the gaps."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


@register.simple_tag(takes_context=True)
def page_href(context: dict[str, Any], number: int) -> str:
    """A link to page `number` of this list, by path (/suzhou/page/2/): one address per
    page, which a purge reaches (the lists' old ?page=N only redirects here)."""
    return escape_uri_path(list_page_path(context["request"].path, int(number)))


@register.simple_tag(takes_context=True)
def absolute_url(context: dict[str, Any], path: str) -> str:
    """Share cards (WeChat, Open Graph) need a full URL, not a path."""
    return str(context["request"].build_absolute_uri(path))


@register.simple_tag(takes_context=True)
def nav_links(context: Any) -> SafeString:
    """The nav's <li>s, the current channel (or section) marked.

    In Python rather than a template loop: every page draws it, and the loop's missing
    variables (`channel` on most pages) cost the template engine ~0.4 ms a page. The
    standard library's escape: Django's adds a lazy-string wrapper per call.
    """
    channels = context.get("nav_channels") or []
    if callable(channels):
        channels = channels()
    current = context.get("channel")
    current_pk = getattr(current, "pk", None)
    section = context.get("section")
    items = []
    for c in channels:
        on = c.pk == current_pk or (section and section == c.kind)
        mark = ' class="on" aria-current="page"' if on else ""
        items.append(
            f'<li><a href="{escape(c.get_absolute_url())}"{mark}>{escape(c.name)}</a></li>'
        )
    return mark_safe("\n".join(items))


@register.simple_tag(takes_context=True)
def article_blocks(context: Any, blocks: list[dict[str, Any]]) -> SafeString:
    """An article body's blocks as HTML: paragraphs and headings here, figures (image,
    video) through portal/_figure.html.

    Paragraphs are most of a body, and a template loop testing each block's type cost
    ~1 ms a page miss. Their text is safe HTML: `clean_blocks` sanitised it when the
    article was written.
    """
    parts = []
    figure = None
    for block in blocks:
        kind = block.get("type")
        if kind == "paragraph":
            parts.append(f"<p>{block.get('text', '')}</p>")
        elif kind == "heading":
            parts.append(f"<h2>{block.get('text', '')}</h2>")
        elif kind in ("image", "video"):
            if figure is None:
                figure = context.template.engine.get_template("portal/_figure.html")
            with context.push(b=block):
                parts.append(figure.render(context))
    return mark_safe("\n".join(parts))
