"""稿费: the rate table the chief editor sets. What a piece earns is worked out from it
when a report is asked for (citydesk.pay.report), never stored."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")


def money(label: str, default: str = "0") -> models.DecimalField:
    return models.DecimalField(
        _(label), max_digits=10, decimal_places=2, default=Decimal(default),
        validators=[MinValueValidator(ZERO)],
    )  # fmt: skip


def multiplier(label: str, default: str) -> models.DecimalField:
    return models.DecimalField(
        _(label), max_digits=5, decimal_places=2, default=Decimal(default),
        validators=[MinValueValidator(ZERO)],
    )  # fmt: skip


class RateTable(models.Model):
    """稿费标准, in yuan. A piece is paid by the table in force on its day of
    publication: the newest whose `effective_from` is not after it."""

    class Share(models.TextChoices):
        EQUAL = "equal", _("平分")
        LEAD = "lead", _("第一作者按比例，其余平分")

    effective_from = models.DateField(_("起用日期"), unique=True)
    per_piece = money("每篇")
    per_thousand_chars = money("每千字")
    per_photo = money("每张图片")
    per_video = money("每条视频")
    headline_multiplier = multiplier("头条系数", "1.5")
    original_multiplier = multiplier("原创系数", "1.2")
    share = models.CharField(
        _("多人署名分配"), max_length=8, choices=Share.choices, default=Share.EQUAL
    )
    lead_percent = models.PositiveSmallIntegerField(
        _("第一作者比例（%）"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("设定人"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("设定时间"), default=timezone.now)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("稿费标准")
        verbose_name_plural = _("稿费标准")

    def __str__(self) -> str:
        return f"{self.effective_from} 起"
