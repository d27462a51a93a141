"""HTTP PURGE, as Varnish and nginx (with a purge module) accept it: `PURGE /a/26/`;
or, with KEY_HEADER, by surrogate key (publishing.keys): `PURGE /` with the keys in that
header, as deploy/varnish's VCL (xkey) and Fastly-style purge APIs take them.

OPTIONS:
  SERVERS     list of base URLs of the caching servers, e.g. ["http://10.0.0.5:6081"]
  HOST        Host header to send (the site's name); default: each server's own host
  TIMEOUT     seconds per connection and response (default 2)
  KEY_HEADER  purge by key, the keys in this header ("xkey-purge" for deploy/varnish,
              "Surrogate-Key" for Fastly, "Cache-Tag" for a comma-separated list)
  METHOD      the request's method (default PURGE; Fastly's API takes POST)
  HEADERS     extra headers, e.g. {"Fastly-Key": "..."}

One keep-alive connection per server sends every URL; a 404 means "was not cached" and
counts as done. A server that cannot be reached is reported once and skipped, so a dead
node costs one timeout, not one per URL.
"""

import http.client
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.encoding import iri_to_uri

from citydesk.publishing import keys as purge_keys
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
        self.method = str(self.options.get("METHOD", self.method))
        self.headers = dict(self.options.get("HEADERS") or {})
        self.key_header = str(self.options.get("KEY_HEADER") or "")
        self.by_key = bool(self.key_header)

    def purge(self, urls: list[str]) -> None:
        self._everywhere([(iri_to_uri(url), {}) for url in urls])

    def purge_keys(self, keys: list[str]) -> None:
        # To the server's own path (a purge API's endpoint), or to /.
        batches = _batches(keys, self.key_header)
        self._everywhere([("", {self.key_header: batch}) for batch in batches])

    def unreachable(self) -> tuple[list[str], list[str]]:
        own: list[str] = []
        public: list[str] = []
        for server in self.servers:
            port = server.port or (443 if server.scheme == "https" else 80)
            where = f"{server.scheme}://{server.hostname}:{port}"  # no user:password
            try:
                found = socket.getaddrinfo(server.hostname, port, type=socket.SOCK_STREAM)
            except OSError as exc:  # a name that does not resolve: a mistake, not an outage
                own.append(f"{where} ({exc.strerror or exc})")
                continue
            try:
                socket.create_connection((server.hostname, port), timeout=self.timeout).close()
            except OSError as exc:
                addresses = [ipaddress.ip_address(str(a[4][0]).split("%")[0]) for a in found]
                remote = any(address.is_global for address in addresses)
                (public if remote else own).append(f"{where} ({exc.strerror or exc})")
        return own, public

    def _everywhere(self, requests: list[tuple[str, dict[str, str]]]) -> None:
        failures = []
        for server in self.servers:
            try:
                failures += self._purge_on(server, requests)
            except (OSError, http.client.HTTPException) as exc:
                failures.append(f"{server.geturl()}: {exc!r}")
        if failures:
            raise PurgeError("; ".join(failures[:10]))

    def _purge_on(self, server: Any, requests: list[tuple[str, dict[str, str]]]) -> list[str]:
        connection_class = (
            http.client.HTTPSConnection if server.scheme == "https" else http.client.HTTPConnection
        )
        conn = connection_class(server.hostname, server.port, timeout=self.timeout)
        headers = {**self.headers, "Host": self.host or server.netloc}
        prefix = server.path.rstrip("/")
        failures = []
        try:
            for path, extra in requests:
                target = prefix + path or "/"
                status = self._send(conn, target, {**headers, **extra})
                if status not in DONE:
                    failures.append(f"{server.geturl()}{target} {extra}: HTTP {status}"[:300])
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


# Keys per request: well under the 8 kB a request header may take in Varnish's defaults.
BATCH_BYTES = 4000


def _batches(keys: list[str], header: str) -> list[str]:
    """The keys joined as the header takes them, in batches of at most BATCH_BYTES."""
    batches: list[list[str]] = [[]]
    size = 0
    for key in keys:
        if batches[-1] and size + len(key) + 1 > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(key)
        size += len(key) + 1
    return [purge_keys.joined(batch, header) for batch in batches if batch]
