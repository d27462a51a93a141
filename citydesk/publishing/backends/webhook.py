"""A generic webhook for CDNs: POST the stale absolute URLs as JSON, signed.

OPTIONS:
  URL       the endpoint (your CDN's purge API, or a small relay in front of it)
  BASE_URL  the site's public origin (default: settings.SITE_URL)
  SECRET    the key of the HMAC-SHA256 signature
  TIMEOUT   seconds (default 5); BATCH: URLs per request (default 500)
  HEADERS   extra headers, e.g. {"Authorization": "Bearer ..."}

Body: {"urls": ["https://www.example.com/a/26/", ...]}. Headers:
  X-Citydesk-Timestamp: unix seconds
  X-Citydesk-Signature: sha256=HEX, HEX = HMAC-SHA256(SECRET, timestamp + "." + body)
A receiver recomputes the signature and rejects old timestamps, so a captured request
can be neither forged nor replayed later.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.encoding import iri_to_uri

from citydesk.publishing.backends.base import PurgeBackend, PurgeError

SIGNATURE_HEADER = "X-Citydesk-Signature"
TIMESTAMP_HEADER = "X-Citydesk-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookBackend(PurgeBackend):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        missing = [k for k in ("URL", "SECRET") if not self.options.get(k)]
        if missing:
            raise ImproperlyConfigured(f"WebhookBackend needs OPTIONS {missing}")
        self.url: str = self.options["URL"]
        self.base_url: str = (self.options.get("BASE_URL") or settings.SITE_URL).rstrip("/")
        self.secret: str = self.options["SECRET"]
        self.timeout = float(self.options.get("TIMEOUT", 5.0))
        self.batch = max(1, int(self.options.get("BATCH", 500)))
        self.headers: dict[str, str] = dict(self.options.get("HEADERS", {}))

    def purge(self, urls: list[str]) -> None:
        absolute = [self.base_url + iri_to_uri(url) for url in urls]
        for start in range(0, len(absolute), self.batch):
            self._post(absolute[start : start + self.batch])

    def _post(self, urls: list[str]) -> None:
        body = json.dumps({"urls": urls}, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                **self.headers,
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(self.secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise PurgeError(f"{self.url}: HTTP {exc.code} for {len(urls)} URLs") from exc
        except (OSError, ValueError) as exc:
            raise PurgeError(f"{self.url}: {exc!r}") from exc
