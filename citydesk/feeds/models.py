from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citydesk.content.models import Article, Channel


class Feed(models.Model):
    """A partner's RSS 2.0 or Atom feed, polled by the worker; its new items become
    articles in `channel`, as drafts for the newsroom or published at once."""

    url = models.URLField(_("订阅地址"), max_length=500, unique=True)
    title = models.CharField(_("名称"), max_length=200, blank=True)
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="feeds", verbose_name=_("栏目")
    )
    publish = models.BooleanField(_("直接发布"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    interval_minutes = models.PositiveIntegerField(
        _("抓取间隔（分钟）"), default=15, validators=[MinValueValidator(1)]
    )
    # The server's validators from the last answer, sent back so an unchanged feed costs
    # a 304 and no parsing.
    etag = models.CharField(max_length=200, blank=True)
    modified = models.CharField(max_length=100, blank=True)
    last_polled_at = models.DateTimeField(_("上次抓取"), null=True, blank=True)
    last_error = models.TextField(_("上次错误"), blank=True)
    created_at = models.DateTimeField(_("添加时间"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("订阅源")
        verbose_name_plural = _("订阅源")

    def __str__(self) -> str:
        return self.title or self.url


class FeedItem(models.Model):
    """An item seen in a feed: what identifies it (GUID, link, content hash) and the
    article it became, so it is imported once however the feed repeats or reorders it."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="items")
    guid = models.CharField(max_length=500)
    link = models.CharField(max_length=500, blank=True, db_index=True)
    content_hash = models.CharField(max_length=64, db_index=True)
    article = models.ForeignKey(Article, null=True, on_delete=models.SET_NULL, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed", "guid"], name="feed_item_once_per_guid")
        ]

    def __str__(self) -> str:
        return self.guid
