"""App push (头条推送): a headline alert through a pluggable backend, chosen by
CITYDESK_PUSH_BACKEND: "log" (development: the alert is logged), "webhook" (a POST of
JSON to CITYDESK_PUSH_WEBHOOK_URL, signed as the API's webhooks are, for the app's own
push service or a vendor's gateway), or "" (none: the outlet is not offered)."""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core import checks

from citydesk.core import startup

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Alert:
    article_id: int
    title: str
    summary: str
    url: str


class PushError(Exception):
    """The push was not accepted; the message says why (shown to editors)."""


class PushBackend:
    def send(self, alert: Alert) -> str:
        """Send the alert; what the service calls it (an id), or ""."""
        raise NotImplementedError


class LogBackend(PushBackend):
    def send(self, alert: Alert) -> str:
        log.info("app push: %s %s", alert.title, alert.url)
        return f"log-{alert.article_id}"


class WebhookBackend(PushBackend):
    """X-Citydesk-Timestamp and X-Citydesk-Signature: sha256=HMAC-SHA256(secret,
    f"{timestamp}." + body) in hex, when CITYDESK_PUSH_SECRET is set."""

    def send(self, alert: Alert) -> str:
        body = json.dumps(asdict(alert), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "citydesk"}
        secret = settings.CITYDESK_PUSH_SECRET
        if secret:
            stamp = str(int(time.time()))
            digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
            headers |= {
                "X-Citydesk-Timestamp": stamp,
                "X-Citydesk-Signature": f"sha256={digest.hexdigest()}",
            }
        request = urllib.request.Request(
            settings.CITYDESK_PUSH_WEBHOOK_URL, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                raw = response.read(10_000)
        except urllib.error.HTTPError as exc:
            raise PushError(f"推送服务返回 HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise PushError(f"推送服务无法连接：{exc}") from exc
        try:
            reply = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise PushError(f"推送服务的回复不是 JSON：{raw[:100]!r}") from None
        return str(reply.get("id", "")) if isinstance(reply, dict) else ""


BACKENDS: dict[str, type[PushBackend]] = {"log": LogBackend, "webhook": WebhookBackend}


def backend() -> PushBackend | None:
    """The configured backend, or None where app push is off."""
    chosen = BACKENDS.get(settings.CITYDESK_PUSH_BACKEND)
    return chosen() if chosen is not None else None


@startup.register
def check_push(**kwargs: Any) -> list[checks.CheckMessage]:
    """An unknown backend, or a webhook with nowhere to send, is refused at start-up."""
    chosen = settings.CITYDESK_PUSH_BACKEND
    if chosen and chosen not in BACKENDS:
        known = ", ".join(BACKENDS)
        message = f"CITYDESK_PUSH_BACKEND: {chosen!r} is not one of {known}"
        return [checks.Error(message, id="citydesk.distribution.E001")]
    url = settings.CITYDESK_PUSH_WEBHOOK_URL
    if chosen == "webhook" and not url.startswith(("https://", "http://")):
        message = (
            "CITYDESK_PUSH_WEBHOOK_URL: CITYDESK_PUSH_BACKEND=webhook needs an http(s) address"
        )
        return [checks.Error(message, id="citydesk.distribution.E002")]
    return []
