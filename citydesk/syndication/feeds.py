"""RSS 2.0 and Atom feeds of the site, each channel and each topic: the 20 newest items.

Every URL in a feed is absolute on SITE_URL (see `meta.absolute_url`), every date is in
Beijing time, and an item's guid is its article's canonical URL.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.html import escape, format_html
from django.utils.xmlutils import SimplerXMLGenerator

from citydesk.content import queries as content_queries
from citydesk.content.models import Article, Channel, Topic
from citydesk.core.urls import reverse
from citydesk.syndication import meta, queries

FEED_SIZE = 20


class RssFeed(Rss201rev2Feed):
    """RSS 2.0 with the full text in content:encoded, as feed readers expect it."""

    def rss_attributes(self) -> dict[str, str]:
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class AtomFeed(Atom1Feed):
    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


def content_html(article: Article) -> str:
    """The whole body as one HTML page: inline HTML was cleaned when it was stored, and
    every picture and clip gets an absolute URL so that it shows in a feed reader."""
    parts = []
    for block in article.body:
        kind = block.get("type")
        if kind == "paragraph":
            parts.append(f"<p>{block.get('text', '')}</p>")
        elif kind == "heading":
            parts.append(f"<h2>{block.get('text', '')}</h2>")
        elif kind == "image" and block.get("src"):
            caption = " ".join(filter(None, [block.get("caption"), block.get("credit")]))
            parts.append(
                format_html(
                    '<figure><img src="{}" alt="{}"><figcaption>{}</figcaption></figure>',
                    meta.absolute_url(block["src"]),
                    block.get("caption", ""),
                    caption,
                )
            )
        elif kind == "video" and block.get("src"):
            parts.append(
                format_html(
                    '<p><video controls src="{}"></video><br><a href="{}">{}</a></p>',
                    meta.absolute_url(block["src"]),
                    meta.absolute_url(article.get_absolute_url()),
                    block.get("caption") or "观看视频",
                )
            )
    return "\n".join(parts)


class ArticleFeed(Feed):
    """The newest live articles of `articles(obj)`; subclasses say which and where."""

    feed_type: type[SyndicationFeed] = RssFeed
    format = "rss"
    language = "zh-CN"

    def articles(self, obj: Any) -> QuerySet[Article]:
        raise NotImplementedError

    def page_path(self, obj: Any) -> str:
        """The reader page that this feed follows."""
        raise NotImplementedError

    def feed_path(self, obj: Any) -> str:
        raise NotImplementedError

    def title(self, obj: Any) -> str:
        return str(settings.SITE_NAME)

    def description(self, obj: Any) -> str:
        return f"{settings.SITE_NAME}最新稿件"

    def subtitle(self, obj: Any) -> str:
        return self.description(obj)

    def link(self, obj: Any) -> str:
        return meta.absolute_url(self.page_path(obj))

    def feed_url(self, obj: Any) -> str:
        return meta.absolute_url(self.feed_path(obj))

    def author_name(self, obj: Any) -> str:
        # Atom wants an author for every entry; the site stands in where no byline does.
        return str(settings.SITE_NAME)

    def items(self, obj: Any) -> list[Article]:
        return list(queries.for_feed(self.articles(obj))[:FEED_SIZE])

    def item_title(self, item: Article) -> str:
        # Plain text, escaped once by the XML writer: Django's default escapes a second
        # time, and feed readers (feedparser among them) then show "&amp;" for "&".
        return item.title

    def item_description(self, item: Article) -> str:
        # Plain text, escaped once more because readers take a description as HTML.
        return escape(meta.description(item))

    def item_link(self, item: Article) -> str:
        return meta.absolute_url(item.get_absolute_url())

    def item_guid(self, item: Article) -> str:
        return self.item_link(item)

    item_guid_is_permalink = True

    def item_pubdate(self, item: Article) -> datetime | None:
        if item.published_at is None:
            return None
        return meta.in_shanghai(item.published_at).replace(microsecond=0)

    def item_updateddate(self, item: Article) -> datetime:
        return meta.in_shanghai(meta.modified_at(item)).replace(microsecond=0)

    def item_author_name(self, item: Article) -> str | None:
        return meta.byline(item) or None

    def item_categories(self, item: Article) -> list[str]:
        return [tag.name for tag in item.tags.all()]

    def item_extra_kwargs(self, item: Article) -> dict[str, Any]:
        return {"content": content_html(item)}


class AtomMixin:
    feed_type: type[SyndicationFeed] = AtomFeed
    format = "atom"


class SiteFeed(ArticleFeed):
    def articles(self, obj: None) -> QuerySet[Article]:
        return content_queries.live()

    def page_path(self, obj: None) -> str:
        return reverse("portal:home")

    def feed_path(self, obj: None) -> str:
        return reverse(f"syndication:{self.format}")


class SiteAtomFeed(AtomMixin, SiteFeed):
    pass


class ChannelFeed(ArticleFeed):
    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Channel:
        channel = content_queries.channel_by_slug(kwargs["slug"])
        if channel.kind == Channel.Kind.TOPICS:
            # 专题 in the nav is the topic list, not a channel with articles: each topic
            # has its own feed at /zhuanti/<slug>/rss.xml.
            raise Http404("专题没有自己的订阅")
        return channel

    def articles(self, obj: Channel) -> QuerySet[Article]:
        return content_queries.channel_articles(obj)

    def title(self, obj: Channel) -> str:
        return f"{settings.SITE_NAME} - {obj.name}"

    def description(self, obj: Channel) -> str:
        return obj.description or f"{settings.SITE_NAME}{obj.name}频道最新稿件"

    def page_path(self, obj: Channel) -> str:
        return obj.get_absolute_url()

    def feed_path(self, obj: Channel) -> str:
        return reverse(f"syndication:channel_{self.format}", args=[obj.slug])


class ChannelAtomFeed(AtomMixin, ChannelFeed):
    pass


class TopicFeed(ArticleFeed):
    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Topic:
        return content_queries.topic_by_slug(kwargs["slug"])

    def articles(self, obj: Topic) -> QuerySet[Article]:
        return queries.topic_feed_articles(obj)

    def title(self, obj: Topic) -> str:
        return f"{settings.SITE_NAME} - 专题：{obj.title}"

    def description(self, obj: Topic) -> str:
        return meta.plain(obj.intro) or f"{settings.SITE_NAME}专题“{obj.title}”最新稿件"

    def page_path(self, obj: Topic) -> str:
        return obj.get_absolute_url()

    def feed_path(self, obj: Topic) -> str:
        return reverse(f"syndication:topic_{self.format}", args=[obj.slug])


class TopicAtomFeed(AtomMixin, TopicFeed):
    pass
