from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citydesk.content.models import Article


def tomorrow() -> datetime:
    return timezone.now() + timedelta(days=1)


class Pick(models.Model):
    """An editor's pick for 今日推荐, shown until it expires."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="picks", verbose_name=_("稿件")
    )
    position = models.PositiveIntegerField(_("排序"), default=0)
    expires_at = models.DateTimeField(_("推荐截止"), default=tomorrow)
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("推荐人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["position", "-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="pick_expires")]
        verbose_name = _("今日推荐")
        verbose_name_plural = _("今日推荐")

    def __str__(self) -> str:
        return f"{self.article} (至 {self.expires_at:%Y-%m-%d %H:%M})"
