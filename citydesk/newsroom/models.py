from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citydesk.content.models import Article


class Transition(models.Model):
    """One step of an article's workflow: who moved it, when, from which state to which,
    and why. Written by citydesk.newsroom.workflow and never changed afterwards."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("文章")
    )
    # The name is kept as well: the record outlives the account.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=12, choices=Article.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Article.Status.choices)
    stage = models.PositiveSmallIntegerField(_("审核进度"), default=0)
    comment = models.TextField(_("意见"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("流程记录")
        verbose_name_plural = _("流程记录")

    def __str__(self) -> str:
        return f"{self.actor_name}: {self.from_status} → {self.to_status}"
