"""Telling the world when news changes: partners' webhooks and Baidu's 普通收录 push.

A change of an article (content's `article_changed` announcement) becomes an event:
publish (live now, not before), update (live before and after), unpublish (live before,
not after) or retract (live before, 撤稿 now). The change stores one task for it; the
worker's fan-out stores one Delivery and one durable task per subscriber, and sends them,
so a publish never waits for a partner's server, however many there are. Each delivery
is retried with backoff and logged in the admin.

A delivery is a POST of JSON with these headers:

    X-Citydesk-Event:      publish | update | unpublish | retract
    X-Citydesk-Delivery:   the delivery's id (a UUID): the same on every retry
    X-Citydesk-Timestamp:  Unix seconds when this attempt was signed
    X-Citydesk-Signature:  sha256=HMAC-SHA256(secret, f"{timestamp}.{delivery}." + body), hex

`verify` is the receiver's side, as docs/api.md shows it: the signature, a timestamp
within five minutes, and a delivery id not seen before (replay protection).
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from citydesk.api import ninjs
from citydesk.api import queries as api_queries
from citydesk.api.models import Delivery, Event, PushDay, Subscription
from citydesk.content.models import Article
from citydesk.core.tasks import Failed
from citydesk.syndication.meta import absolute_url

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 300
TIMEOUT_SECONDS = 10
SHANGHAI = ZoneInfo("Asia/Shanghai")


def event_of(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """The event a change is, from the states before and after it; "" for none."""
    was = bool(before and before.get("live"))
    now = bool(after and after.get("live"))
    if now:
        return Event.UPDATE if was else Event.PUBLISH
    if not was:
        return ""
    retracted = after is not None and after.get("status") == Article.Status.RETRACTED
    return Event.RETRACT if retracted else Event.UNPUBLISH


def payload(event: str, article_id: int) -> dict[str, Any]:
    """What a delivery of `event` says (its `id`, the delivery's, filled in per
    subscriber)."""
    body: dict[str, Any] = {
        "id": "",
        "event": event,
        "occurredAt": timezone.now().isoformat(),
        "article": {"id": article_id, "api": absolute_url(f"/api/v1/articles/{article_id}/")},
    }
    item = api_queries.article(article_id)
    if item is not None:
        body["article"]["uri"] = absolute_url(item.article.get_absolute_url())
        if item.article.is_live:
            body["article"]["ninjs"] = ninjs.to_ninjs(item, full=False)
    return body


def fan_out(article_id: int, event: str) -> list[uuid.UUID]:
    """A Delivery and its task for each active subscriber to `event`; returns their ids."""
    from citydesk.api import tasks

    subscriptions = [s for s in Subscription.objects.filter(is_active=True) if event in s.events]
    if not subscriptions:
        return []
    common = payload(event, article_id)  # the same article for every subscriber
    deliveries = [
        Delivery(
            id=(delivery_id := uuid.uuid4()),
            subscription=subscription,
            event=event,
            article_id=article_id,
            payload={**common, "id": str(delivery_id)},
        )
        for subscription in subscriptions
    ]
    with transaction.atomic():
        Delivery.objects.bulk_create(deliveries)
        for delivery in deliveries:
            tasks.deliver.enqueue(delivery_id=str(delivery.id))
    return [d.id for d in deliveries]


def sign(secret: str, timestamp: int, delivery: str, body: bytes) -> str:
    message = f"{timestamp}.{delivery}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    seen: Callable[[str], bool],
    now: float | None = None,
) -> str:
    """The receiver's check; returns "" when the delivery is genuine and new, else why
    not. `seen(delivery_id)` says whether that delivery was handled before (record an
    id once handled: a delivery answered with an error comes again with its id)."""
    lower = {k.lower(): v for k, v in headers.items()}
    delivery = lower.get("x-citydesk-delivery", "")
    try:
        timestamp = int(lower.get("x-citydesk-timestamp", ""))
    except ValueError:
        return "no timestamp"
    expected = sign(secret, timestamp, delivery, body)
    if not hmac.compare_digest(expected, lower.get("x-citydesk-signature", "")):
        return "bad signature"
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        return "timestamp too old or too new"
    if seen(delivery):
        return "replayed"
    return ""


class DeliveryFailed(Exception):
    pass


def deliver(delivery_id: str, *, final_attempt: int) -> None:
    """One attempt: sign now, POST, record. Raises DeliveryFailed (the task retries)."""
    delivery = Delivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.state == Delivery.State.DELIVERED:
        return
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(
        delivery.subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "citydesk-webhooks",
            "X-Citydesk-Event": delivery.event,
            "X-Citydesk-Delivery": str(delivery.pk),
            "X-Citydesk-Timestamp": str(timestamp),
            "X-Citydesk-Signature": sign(
                delivery.subscription.secret, timestamp, str(delivery.pk), body
            ),
        },
    )
    delivery.attempts += 1
    status, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        error = str(getattr(exc, "reason", exc))
    delivery.last_status, delivery.last_error = status, error
    if status is not None and 200 <= status < 300:
        delivery.state, delivery.delivered_at = Delivery.State.DELIVERED, timezone.now()
    elif delivery.attempts >= final_attempt:
        delivery.state = Delivery.State.FAILED
    delivery.save()
    if delivery.state != Delivery.State.DELIVERED:
        raise DeliveryFailed(f"{delivery.subscription.url}: {error or status}")


# Baidu 普通收录 ----------------------------------------------------------------------


class PushDeferred(Exception):
    """Not pushed now (the day's quota is spent, or Baidu failed): retried later."""


class PushRefused(Failed):
    """Baidu refused the token or the site: retrying will not help until fixed."""


def baidu_enabled() -> bool:
    return bool(settings.CITYDESK_BAIDU_TOKEN)


def today() -> datetime:
    return timezone.now().astimezone(SHANGHAI)


def push_to_baidu(urls: list[str]) -> dict[str, Any]:
    """POST the URLs to Baidu's 普通收录 endpoint (one per line, text/plain), as its
    documentation describes, and record the day's quota from the reply. While a day's
    quota is spent nothing is sent that day (PushDeferred: the task waits for tomorrow);
    a refused token or site fails loudly."""
    day, _ = PushDay.objects.get_or_create(day=today().date())
    if day.exhausted:
        raise PushDeferred(f"the quota of {day.day} is spent")
    site = settings.CITYDESK_BAIDU_SITE or settings.SITE_URL
    query = urllib.parse.urlencode({"site": site, "token": settings.CITYDESK_BAIDU_TOKEN})
    request = urllib.request.Request(
        f"{settings.CITYDESK_BAIDU_PUSH_URL}?{query}",
        data="\n".join(urls).encode(),
        method="POST",
        headers={"Content-Type": "text/plain", "User-Agent": "citydesk"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            raw = response.read(100_000)
    except urllib.error.HTTPError as exc:
        raw = exc.read(100_000)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise PushDeferred(f"Baidu did not answer: {exc}") from exc
    try:
        reply = json.loads(raw)
    except ValueError as exc:
        raise PushDeferred(f"Baidu's reply is not JSON: {raw[:200]!r}") from exc
    day.last_reply = json.dumps(reply, ensure_ascii=False)[:2000]
    if "error" in reply:
        message = str(reply.get("message", ""))
        if "quota" in message:
            day.exhausted = True
            day.save()
            raise PushDeferred(f"over quota on {day.day}")
        day.save()
        raise PushRefused(f"Baidu refused the push: {reply['error']} {message}")
    day.pushed += int(reply.get("success", 0))
    day.remain = int(reply.get("remain", 0))
    day.exhausted = day.remain <= 0
    day.save()
    for kind in ("not_same_site", "not_valid"):
        if reply.get(kind):
            log.warning("Baidu push: %s: %s", kind, reply[kind])
    return reply
