"""Every purge backend passes one contract: the same tests, run against each.

The remote backends talk to small recording HTTP servers started here, the way a
Varnish node or a CDN's purge API would receive them.
"""

import hashlib
import hmac
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from citydesk.publishing.backends import load_backend, purge_backends
from citydesk.publishing.backends.base import PurgeBackend, PurgeError
from citydesk.publishing.backends.http import HttpPurgeBackend
from citydesk.publishing.backends.local import LocalFilesBackend
from citydesk.publishing.backends.webhook import WebhookBackend, signature
from citydesk.publishing.cache import PageCache
from citydesk.publishing.purge import PurgeFailed, purge_urls

URLS = ["/", "/a/26/", "/a/26/2/", "/suzhou/page/3/", "/people/李明/", "/rss.xml"]
SECRET = "s3cret-key"


class Recorder(ThreadingHTTPServer):
    """Answers every request with `status` and keeps (method, path, headers, body)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.status = 200
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Varnish and CDNs speak it
    server: Recorder

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.requests.append((self.command, self.path, dict(self.headers), body))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PURGE = do_POST = _record

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.stop()


class PurgeBackendContract:
    """What every backend promises. A subclass says how to build one and how to see, at
    its target, which URL paths were purged (decoded, as the portal names them)."""

    @pytest.fixture(autouse=True)
    def _target(self, tmp_path, recorder):
        self.tmp_path = tmp_path
        self.recorder = recorder

    def config(self) -> dict:
        raise NotImplementedError

    def seed(self, urls: list[str]) -> None:
        """Put copies of these pages where the backend purges them (if it keeps any)."""

    def purged(self) -> list[str]:
        raise NotImplementedError

    def break_target(self) -> None:
        raise NotImplementedError

    def backend(self) -> PurgeBackend:
        return load_backend(self.config())

    def test_is_a_purge_backend_loaded_from_settings(self, settings):
        settings.PURGE_BACKENDS = [self.config()]
        [backend] = purge_backends.all()
        assert isinstance(backend, PurgeBackend)
        assert type(backend) is type(self.backend())

    def test_every_url_is_purged(self):
        self.seed(URLS)
        self.backend().purge(URLS)
        assert sorted(self.purged()) == sorted(URLS)

    def test_an_empty_list_purges_nothing(self):
        self.seed(URLS)
        self.backend().purge([])
        assert self.purged() == []

    def test_a_large_purge_reaches_every_url(self):
        urls = [f"/a/{n}/" for n in range(1, 1201)]
        self.seed(urls)
        self.backend().purge(urls)
        assert sorted(self.purged()) == sorted(urls)

    def test_a_failure_raises_in_the_backend(self):
        self.break_target()
        with pytest.raises(Exception):  # noqa: B017 - each backend has its own error
            self.backend().purge(URLS)

    def test_a_failure_is_raised_once_every_backend_was_tried(self, settings, caplog, tmp_path):
        # A working local backend after the broken one still runs; the failure is raised
        # so that the purge task is retried.
        other = tmp_path / "other-cache"
        PageCache(other).write("/a/26/", b"old", rendered_since=time.time())
        settings.PURGE_BACKENDS = [
            self.config(),
            {
                "BACKEND": "citydesk.publishing.backends.local.LocalFilesBackend",
                "OPTIONS": {"LOCATION": str(other)},
            },
        ]
        self.break_target()
        with (
            caplog.at_level(logging.WARNING, logger="citydesk.publishing.purge"),
            pytest.raises(PurgeFailed, match="6 URLs not purged"),
        ):
            purge_urls(URLS)
        assert "failed to purge 6 URLs" in caplog.text
        assert PageCache(other).read("/a/26/") is None


class TestLocalFiles(PurgeBackendContract):
    def config(self) -> dict:
        return {
            "BACKEND": "citydesk.publishing.backends.local.LocalFilesBackend",
            "OPTIONS": {"LOCATION": str(self.tmp_path / "cache")},
        }

    def seed(self, urls: list[str]) -> None:
        self.seeded = list(urls)
        cache = PageCache(self.tmp_path / "cache")
        for url in urls:
            # The plain file only: compressing 1,200 pages would make this test slow.
            path = cache.path_for(url)
            assert path is not None
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"<p>page</p>")

    def purged(self) -> list[str]:
        cache = PageCache(self.tmp_path / "cache")
        return [url for url in getattr(self, "seeded", []) if cache.read(url) is None]

    def break_target(self) -> None:
        # The cache folder's place is taken by a file: nothing can be deleted under it.
        (self.tmp_path / "cache").write_text("not a folder")

    def test_precompressed_variants_go_too(self):
        cache = PageCache(self.tmp_path / "cache")
        assert cache.write("/a/26/", b"<p>page</p>", rendered_since=time.time())
        path = cache.path_for("/a/26/")
        assert path is not None and path.with_name("index.html.br").exists()
        self.backend().purge(["/a/26/"])
        assert not path.exists() and not path.with_name("index.html.gz").exists()
        assert not path.with_name("index.html.br").exists()

    def test_is_the_default(self, settings):
        del settings.PURGE_BACKENDS
        [backend] = purge_backends.all()
        assert isinstance(backend, LocalFilesBackend) and backend.location is None


class TestHttpPurge(PurgeBackendContract):
    def config(self) -> dict:
        return {
            "BACKEND": "citydesk.publishing.backends.http.HttpPurgeBackend",
            "OPTIONS": {"SERVERS": [self.recorder.url], "HOST": "news.example.com"},
        }

    def purged(self) -> list[str]:
        return [unquote(path) for method, path, _h, _b in self.recorder.requests]

    def break_target(self) -> None:
        self.recorder.status = 500

    def test_sends_purge_with_the_sites_host_and_encoded_paths(self):
        self.backend().purge(["/people/李明/"])
        [(method, path, headers, _body)] = self.recorder.requests
        assert method == "PURGE"
        assert path == "/people/%E6%9D%8E%E6%98%8E/"
        assert headers["Host"] == "news.example.com"

    def test_not_cached_is_not_a_failure(self):
        self.recorder.status = 404
        self.backend().purge(URLS)
        assert len(self.recorder.requests) == len(URLS)

    def test_every_server_is_purged_and_a_dead_one_is_reported_once(self):
        second = Recorder()
        dead = Recorder()
        dead_url = dead.url
        dead.stop()  # nothing listens on its port now
        try:
            backend = HttpPurgeBackend({"SERVERS": [self.recorder.url, dead_url, second.url]})
            started = time.monotonic()
            with pytest.raises(PurgeError) as failure:
                backend.purge(URLS)
            assert time.monotonic() - started < 2
            assert str(failure.value).count(dead_url) == 1
            assert len(self.recorder.requests) == len(URLS) == len(second.requests)
            # Without HOST, each server is asked under its own name.
            assert second.requests[0][2]["Host"] == urlsplit(second.url).netloc
        finally:
            second.stop()

    def test_needs_servers(self):
        with pytest.raises(ImproperlyConfigured):
            HttpPurgeBackend({})
        with pytest.raises(ImproperlyConfigured):
            HttpPurgeBackend({"SERVERS": ["ftp://example.com"]})


class TestWebhook(PurgeBackendContract):
    base = "https://news.example.com"

    def config(self) -> dict:
        return {
            "BACKEND": "citydesk.publishing.backends.webhook.WebhookBackend",
            "OPTIONS": {
                "URL": self.recorder.url + "/purge",
                "BASE_URL": self.base + "/",
                "SECRET": SECRET,
                "HEADERS": {"Authorization": "Bearer cdn-token"},
            },
        }

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _m, _p, _h, body in self.recorder.requests]

    def purged(self) -> list[str]:
        urls = [url for body in self.bodies() for url in body["urls"]]
        assert all(url.startswith(self.base + "/") for url in urls)
        return [unquote(url[len(self.base) :]) for url in urls]

    def break_target(self) -> None:
        self.recorder.status = 503

    def test_posts_signed_json_of_absolute_urls(self):
        self.backend().purge(["/people/李明/", "/a/26/"])
        [(method, path, headers, body)] = self.recorder.requests
        assert method == "POST" and path == "/purge"
        assert headers["Content-Type"] == "application/json"
        assert headers["Authorization"] == "Bearer cdn-token"
        assert json.loads(body) == {
            "urls": [f"{self.base}/people/%E6%9D%8E%E6%98%8E/", f"{self.base}/a/26/"]
        }
        timestamp = headers["X-Citydesk-Timestamp"]
        assert abs(int(timestamp) - time.time()) < 60
        expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        assert headers["X-Citydesk-Signature"] == "sha256=" + expected.hexdigest()
        assert signature("another key", timestamp, body) != headers["X-Citydesk-Signature"]

    def test_large_purges_go_in_batches(self):
        options = {**self.config()["OPTIONS"], "BATCH": 2}
        WebhookBackend(options).purge(URLS)
        assert [len(body["urls"]) for body in self.bodies()] == [2, 2, 2]

    def test_base_url_defaults_to_the_site(self, settings):
        settings.SITE_URL = "https://www.example.org"
        WebhookBackend({"URL": self.recorder.url, "SECRET": SECRET}).purge(["/a/1/"])
        assert self.bodies() == [{"urls": ["https://www.example.org/a/1/"]}]

    def test_needs_an_endpoint_and_a_secret(self):
        with pytest.raises(ImproperlyConfigured):
            WebhookBackend({"URL": self.recorder.url})


def test_a_backend_that_is_not_one_is_refused(settings):
    from django.core import checks

    settings.PURGE_BACKENDS = [{"BACKEND": "citydesk.publishing.cache.PageCache"}]
    errors = [e for e in checks.run_checks() if e.id == "citydesk.publishing.E001"]
    assert errors and "not a PurgeBackend" in errors[0].msg
