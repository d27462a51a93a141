"""一次采集、多元生成: where an article went besides the site, and how it stands there."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citydesk.content.models import Article


class Distribution(models.Model):
    """One article on one outlet (the app's push, the 公众号): its state, what the
    outlet answered, and the last error, kept until a retry succeeds. Written by the
    outlet's task only; the article itself is never changed by a delivery."""

    class Outlet(models.TextChoices):
        APP = "app", _("App 推送")
        WECHAT = "wechat", _("公众号")

    class State(models.TextChoices):
        QUEUED = "queued", _("等待发送")
        SENT = "sent", _("已推送")
        DRAFTED = "drafted", _("已存公众号草稿")
        SUBMITTED = "submitted", _("公众号发布中")
        PUBLISHED = "published", _("公众号已发布")
        FAILED = "failed", _("失败")

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="distributions", verbose_name=_("稿件")
    )
    outlet = models.CharField(_("渠道"), max_length=12, choices=Outlet.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices)
    remote_id = models.CharField(_("对方编号"), max_length=200, blank=True)
    # What the outlet answered along the way (the 公众号's media_id, publish_id,
    # article_id and article_url).
    remote = models.JSONField(_("对方回复"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    requested_by = models.CharField(_("操作人"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "outlet"], name="distribution_once")
        ]
        verbose_name = _("分发")
        verbose_name_plural = _("分发")

    def __str__(self) -> str:
        return f"{self.article_id} {self.get_outlet_display()}: {self.get_state_display()}"
