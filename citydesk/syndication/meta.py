"""What other sites read about a page: absolute URLs, dates, plain descriptions, JSON-LD."""

import html
import json
from datetime import datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from django.conf import settings
from django.templatetags.static import static
from django.utils.encoding import iri_to_uri
from django.utils.html import strip_tags
from django.utils.text import Truncator

from citydesk.content.models import Article, ArticleCredit, LiveCoverage, LiveUpdate, Person

# A Suzhou paper dates everything in Beijing time, whatever TIME_ZONE a host sets.
SHANGHAI = ZoneInfo("Asia/Shanghai")
LOGO = "syndication/logo.png"
LOGO_SIZE = 512


def absolute_url(url: str) -> str:
    """`url` (a path, or already absolute) made absolute on SITE_URL.

    SITE_URL and never the request's host: one cached file is served to every host name
    the site answers to, so the URLs inside it must not depend on who asked first.
    """
    base = settings.SITE_URL.rstrip("/")
    if url.startswith("/") and not url.startswith("//"):
        return iri_to_uri(base + url)  # what urljoin gives a path, at a tenth of its cost
    return iri_to_uri(urljoin(base + "/", url))


def in_shanghai(value: datetime) -> datetime:
    return value.astimezone(SHANGHAI)


def w3c(value: datetime) -> str:
    """2024-03-05T16:30:00+08:00: the form sitemaps, Atom and schema.org expect."""
    return in_shanghai(value).replace(microsecond=0).isoformat()


def modified_at(article: Article) -> datetime:
    """When the article's page last changed: an edit, or going live (a scheduled piece
    goes live after its last save)."""
    if article.published_at is None:
        return article.updated_at
    return max(article.updated_at, article.published_at)


def plain(inline_html: str) -> str:
    return " ".join(html.unescape(strip_tags(inline_html)).split())


def description(article: Article, limit: int = 200) -> str:
    """The summary, or else the first paragraph with text, as plain text."""
    text = plain(article.summary)
    if not text:
        paragraphs = (
            plain(b.get("text", "")) for b in article.body if b.get("type") == "paragraph"
        )
        text = next((p for p in paragraphs if p), "")
    return Truncator(text).chars(limit)


def images(article: Article) -> list[str]:
    """Absolute URLs of the article's pictures: the cover first, then the body's."""
    urls = [article.cover.url] if article.cover else []
    for block in article.body:
        if block.get("type") == "image" and block.get("src"):
            urls.append(block["src"])
        elif block.get("type") == "video" and block.get("poster"):
            urls.append(block["poster"])
    return list(dict.fromkeys(absolute_url(url) for url in urls))


def writers(article: Article) -> list[Person]:
    # credits.all(), not a filter: the reader's and the feed's queries prefetch them.
    return [c.person for c in article.credits.all() if c.role == ArticleCredit.Role.WRITER]


def byline(article: Article) -> str:
    """The names a feed gives as the author: the writers, else everyone credited."""
    people = writers(article) or [c.person for c in article.credits.all()]
    return "、".join(dict.fromkeys(p.name for p in people))


def publisher() -> dict[str, Any]:
    return {
        "@type": "Organization",
        "name": settings.SITE_NAME,
        "url": absolute_url("/"),
        "logo": {
            "@type": "ImageObject",
            "url": absolute_url(static(LOGO)),
            "width": LOGO_SIZE,
            "height": LOGO_SIZE,
        },
    }


def news_article(
    article: Article, *, page_url: str, section: str = "", summary: str | None = None
) -> dict[str, Any]:
    """schema.org NewsArticle for one page of an article; `page_url` is that page's
    absolute canonical URL, `summary` its `description()` if the caller has it."""
    people = writers(article)
    author: list[dict[str, str]] = [
        {"@type": "Person", "name": p.name, "url": absolute_url(p.get_absolute_url())}
        for p in people
    ] or [
        {
            "@type": "Organization",
            "name": article.byline_organization or article.source or settings.SITE_NAME,
        }
    ]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": description(article) if summary is None else summary,
        "url": absolute_url(article.get_absolute_url()),
        "mainEntityOfPage": {"@type": "WebPage", "@id": page_url},
        "author": author,
        "publisher": publisher(),
        "image": images(article),
        "articleSection": section,
        "keywords": [t.name for t in article.tags.all()],
        "inLanguage": "zh-CN",
    }
    if article.published_at is not None:
        data["datePublished"] = w3c(article.published_at)
    data["dateModified"] = w3c(modified_at(article))
    # Search engines flag empty values; leave out what the article does not have.
    return {key: value for key, value in data.items() if value not in ("", [])}


def live_blog_posting(
    article: Article, coverage: LiveCoverage, updates: list[LiveUpdate], **news: Any
) -> dict[str, Any]:
    """schema.org LiveBlogPosting of a live article (Google's live coverage): its
    NewsArticle with the coverage's times and its updates as they were at render time."""
    data = news_article(article, **news)
    page_url = data["mainEntityOfPage"]["@id"]
    data["@type"] = "LiveBlogPosting"
    data["coverageStartTime"] = w3c(coverage.starts_at)
    if coverage.ends_at is not None:
        data["coverageEndTime"] = w3c(coverage.ends_at)
    data["liveBlogUpdate"] = [
        {
            "@type": "BlogPosting",
            "headline": (update.text or data["headline"])[:110],
            "articleBody": update.text,
            "datePublished": w3c(update.posted_at),
            "url": f"{page_url}#u{update.pk}",
            **({"dateModified": w3c(update.edited_at)} if update.edited_at else {}),
            **({"image": absolute_url(update.image.file.url)} if update.image else {}),
        }
        for update in updates
    ]
    return data


# What json.dumps leaves as it is but an HTML parser reads inside <script>: "</script>"
# ends the element, "<!--" opens a comment. Escaped, they are the same JSON string.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_for_script(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)
