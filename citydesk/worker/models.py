from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """A worker's last sign of life (every few seconds, from its housekeeping): what
    /healthz reads to say whether follow-ups (indexing, purges) are being run at all."""

    worker = models.CharField(_("工作进程"), max_length=100, primary_key=True)
    seen_at = models.DateTimeField(_("最近心跳"), db_index=True)

    class Meta:
        verbose_name = _("工作进程心跳")
        verbose_name_plural = _("工作进程心跳")

    def __str__(self) -> str:
        return f"{self.worker} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
