"""The one way a rate table is stored: checked, with a message for each refusal."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from citydesk.pay.models import RateTable

AMOUNTS = (
    "per_piece",
    "per_thousand_chars",
    "per_photo",
    "per_video",
    "headline_multiplier",
    "original_multiplier",
)


class RatesRefused(ValueError):
    """A rate table that cannot be stored; the message says why, in Chinese."""


def set_rates(user: User | None, effective_from: date, **fields: Any) -> RateTable:
    """The table in force from `effective_from` (replacing one from the same day)."""
    for name in AMOUNTS:
        if name not in fields:
            continue
        label = getattr(RateTable._meta.get_field(name), "verbose_name", name)
        try:
            value = Decimal(str(fields[name]))
        except InvalidOperation:
            raise RatesRefused(f"{label}须是数字") from None
        if not value.is_finite():
            raise RatesRefused(f"{label}须是数字")
        if value < 0:
            raise RatesRefused(f"{label}不能为负数")
        if value >= Decimal("1e8"):
            raise RatesRefused(f"{label}太大")
        fields[name] = value.quantize(Decimal("0.01"))
    share = fields.get("share", RateTable.Share.EQUAL)
    if share not in RateTable.Share.values:
        raise RatesRefused("未知的分配方式")
    lead = int(fields.get("lead_percent", 60))
    if not 1 <= lead <= 100:
        raise RatesRefused("第一作者比例须在 1% 到 100% 之间")
    fields["lead_percent"] = lead
    with transaction.atomic():
        table, _ = RateTable.objects.update_or_create(
            effective_from=effective_from, defaults={**fields, "created_by": user}
        )
    return table
