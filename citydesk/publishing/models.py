"""What operators see of the page cache's health: its latest failures (see `health`)."""

from datetime import datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Value, When
from django.utils.translation import gettext_lazy as _

# After this long without a recorded failure the page cache counts as healthy again, and
# a new failure starts a new count. Longer than health.INTERVAL, so that a process still
# failing (it records at most once a minute) keeps the state failing.
QUIET_AFTER = timedelta(minutes=10)


class CacheFailure(models.Model):
    """The latest failure of one kind (write, read, purge), summed over every process.

    In the database, not in a file beside the cache: when the cache's disk is full or
    read-only, a file there could not be written either. Each process updates its row
    at most once a minute, so a full disk costs the database one write a minute.
    """

    class Kind(models.TextChoices):
        WRITE = "write", _("写入")
        READ = "read", _("读取")
        PURGE = "purge", _("清除")

    kind = models.CharField(_("操作"), max_length=16, choices=Kind.choices, unique=True)
    last_error = models.TextField(_("最近的错误"))
    failed_at = models.DateTimeField(_("最近失败时间"))
    since = models.DateTimeField(_("本轮首次失败"))
    failures = models.PositiveBigIntegerField(_("本轮失败次数"), default=0)

    class Meta:
        ordering = ["-failed_at"]
        verbose_name = _("页面缓存故障")
        verbose_name_plural = _("页面缓存故障")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.last_error}"

    @classmethod
    def record(cls, kind: str, error: str, count: int, now: datetime) -> None:
        """Add `count` failures, the latest `error` at `now`, in one UPDATE, so that
        processes recording at once all count. A row quiet for QUIET_AFTER starts over."""
        recent = models.Q(failed_at__gte=now - QUIET_AFTER)
        for _attempt in range(2):
            updated = cls.objects.filter(kind=kind).update(
                failures=Case(When(recent, then=F("failures") + count), default=Value(count)),
                since=Case(When(recent, then=F("since")), default=Value(now)),
                last_error=error,
                failed_at=now,
            )
            if updated:
                return
            try:
                with transaction.atomic():
                    cls.objects.create(
                        kind=kind, last_error=error, failed_at=now, since=now, failures=count
                    )
                return
            except IntegrityError:  # another process created it first: update that one
                continue
