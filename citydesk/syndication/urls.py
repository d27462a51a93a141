"""Feeds, sitemaps and robots.txt, at the addresses the purge helper names (issue 3).

Included before the portal, whose `<slug>/` channel pattern would otherwise be tried first.
"""

from django.urls import path, re_path

from citydesk.publishing.decorators import page_cache
from citydesk.syndication import feeds, views

app_name = "syndication"

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", views.sitemap_index, name="sitemap_index"),
    path("sitemaps/pages.xml", views.pages_sitemap, name="pages_sitemap"),
    path("sitemaps/news.xml", views.news_sitemap, name="news_sitemap"),
    re_path(
        r"^sitemaps/articles-(?P<year>[0-9]{4})-(?P<month>[0-9]{2})\.xml$",
        views.articles_sitemap,
        name="articles_sitemap",
    ),
    # A month of more than 50,000 articles goes on in pages of its own address: a query
    # string (Django's ?p=) is not part of a cached page's address.
    re_path(
        r"^sitemaps/articles-(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<page>[2-9]|[1-9][0-9]+)\.xml$",
        views.articles_sitemap,
        name="articles_sitemap_page",
    ),
    path("rss.xml", page_cache(feeds.SiteFeed()), name="rss"),
    path("atom.xml", page_cache(feeds.SiteAtomFeed()), name="atom"),
    path("zhuanti/<slug:slug>/rss.xml", page_cache(feeds.TopicFeed()), name="topic_rss"),
    path("zhuanti/<slug:slug>/atom.xml", page_cache(feeds.TopicAtomFeed()), name="topic_atom"),
    path("<slug:slug>/rss.xml", page_cache(feeds.ChannelFeed()), name="channel_rss"),
    path("<slug:slug>/atom.xml", page_cache(feeds.ChannelAtomFeed()), name="channel_atom"),
]
