"""The <head> of reader pages: canonical URL, feed links, OpenGraph, Twitter, JSON-LD."""

from datetime import datetime
from typing import Any

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe

from citydesk.content import queries
from citydesk.content.models import Channel, Topic
from citydesk.core.urls import reverse
from citydesk.syndication import meta

register = template.Library()


@register.filter
def w3c(value: datetime | None) -> str:
    return meta.w3c(value) if value else ""


@register.simple_tag(takes_context=True)
def canonical_url(context: dict[str, Any]) -> str:
    """This page's one absolute address: its path on SITE_URL, without a query string
    (list pages number their pages in the path, so the path alone names the page)."""
    request = context.get("request")
    return meta.absolute_url(request.path if request is not None else "/")


@register.inclusion_tag("syndication/feed_links.html")
def feed_links(obj: Channel | Topic | None = None) -> dict[str, str]:
    """RSS and Atom links of the site, or of a channel or topic."""
    if isinstance(obj, Channel):
        names, args, title = "channel_", [obj.slug], f"{settings.SITE_NAME} - {obj.name}"
    elif isinstance(obj, Topic):
        names, args, title = "topic_", [obj.slug], f"{settings.SITE_NAME} - 专题：{obj.title}"
    else:
        names, args, title = "", [], str(settings.SITE_NAME)
    return {
        "title": title,
        "rss": meta.absolute_url(reverse(f"syndication:{names}rss", args=args)),
        "atom": meta.absolute_url(reverse(f"syndication:{names}atom", args=args)),
    }


@register.inclusion_tag("syndication/article_meta.html", takes_context=True)
def article_meta(context: dict[str, Any]) -> dict[str, Any]:
    """OpenGraph, Twitter card and NewsArticle JSON-LD of the article page in `context`
    (the portal's article view: `article`, `channel`)."""
    article = context["article"]
    channel = context.get("channel")
    url = canonical_url(context)
    section = channel.name if channel else ""
    images = meta.images(article)
    summary = meta.description(article)
    news = {"page_url": url, "section": section, "summary": summary}
    live = context.get("live")
    if live is not None:
        data = meta.live_blog_posting(article, live, queries.live_updates(live), **news)
    else:
        data = meta.news_article(article, **news)
    json_ld = meta.json_for_script(data)
    return {
        "article": article,
        "site_name": settings.SITE_NAME,
        "url": url,
        "description": summary,
        "image": images[0] if images else "",
        "published": meta.w3c(article.published_at) if article.published_at else "",
        "modified": meta.w3c(meta.modified_at(article)),
        "section": section,
        "tags": [tag.name for tag in article.tags.all()],
        # Safe: json_for_script escapes every character that could end the <script>.
        "json_ld": mark_safe(json_ld),
    }
