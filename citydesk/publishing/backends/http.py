"""HTTP PURGE, as Varnish and nginx (with a purge module) accept it: `PURGE /a/26/`.

OPTIONS:
  SERVERS  list of base URLs of the caching servers, e.g. ["http://10.0.0.5:6081"]
  HOST     Host header to send (the site's name); default: each server's own host
  TIMEOUT  seconds per connection and response (default 2)

One keep-alive connection per server sends every URL; a 404 means "was not cached" and
counts as done. A server that cannot be reached is reported once and skipped, so a dead
node costs one timeout, not one per URL.
"""

import http.client
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.encoding import iri_to_uri

from citydesk.publishing.backends.base import PurgeBackend, PurgeError

DONE = {200, 201, 202, 204, 404}


class HttpPurgeBackend(PurgeBackend):
    method = "PURGE"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        servers = self.options.get("SERVERS") or []
        if isinstance(servers, str) or not servers:
            raise ImproperlyConfigured("HttpPurgeBackend needs OPTIONS['SERVERS'], a list")
        self.servers = [urlsplit(s) for s in servers]
        for server in self.servers:
            if server.scheme not in ("http", "https") or not server.hostname:
                raise ImproperlyConfigured(f"not an http(s) server URL: {server.geturl()}")
        self.host: str | None = self.options.get("HOST")
        self.timeout = float(self.options.get("TIMEOUT", 2.0))

    def purge(self, urls: list[str]) -> None:
        failures = []
        for server in self.servers:
            try:
                failures += self._purge_on(server, urls)
            except (OSError, http.client.HTTPException) as exc:
                failures.append(f"{server.geturl()}: {exc!r}")
        if failures:
            raise PurgeError("; ".join(failures[:10]))

    def _purge_on(self, server: Any, urls: list[str]) -> list[str]:
        connection_class = (
            http.client.HTTPSConnection if server.scheme == "https" else http.client.HTTPConnection
        )
        conn = connection_class(server.hostname, server.port, timeout=self.timeout)
        headers = {"Host": self.host or server.netloc}
        prefix = server.path.rstrip("/")
        failures = []
        try:
            for url in urls:
                target = prefix + iri_to_uri(url)
                status = self._send(conn, target, headers)
                if status not in DONE:
                    failures.append(f"{server.geturl()}{target}: HTTP {status}")
        finally:
            conn.close()
        return failures

    def _send(self, conn: http.client.HTTPConnection, target: str, headers: dict[str, str]) -> int:
        for attempt in (1, 2):
            try:
                conn.request(self.method, target, headers=headers)
                response = conn.getresponse()
                response.read()
                return response.status
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed the keep-alive connection between two requests.
                conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
