"""`citydesk serve` and `citydesk worker` refuse to start on a misconfigured cluster,
with one line naming the setting (core/startup.py); a replica pointing at the primary is
tested with the real standby in test_replica.py."""

import json
import os
import socket
from collections.abc import Iterator

import pytest

from citydesk.core import startup
from citydesk.core.testing import free_port, redis_server, run_citydesk
from citydesk.publishing.backends import purge_backends
from citydesk.rankings import backends as ranking_backends

VARNISH = "citydesk.publishing.backends.http.HttpPurgeBackend"


def errors() -> list[str]:
    return [problem.msg for problem in startup.problems() if problem.is_serious()]


@pytest.fixture
def purge_settings(settings) -> Iterator[object]:
    yield settings
    purge_backends.reset()


def test_an_unreachable_cache_server_is_refused_and_a_listening_one_is_not(purge_settings):
    dead = free_port()
    with socket.create_server(("127.0.0.1", 0)) as listening:
        alive = listening.getsockname()[1]
        purge_settings.PURGE_BACKENDS = [
            {"BACKEND": VARNISH, "OPTIONS": {"SERVERS": [f"http://127.0.0.1:{alive}"]}}
        ]
        assert errors() == []
        purge_settings.PURGE_BACKENDS = [
            {
                "BACKEND": VARNISH,
                "OPTIONS": {"SERVERS": [f"http://127.0.0.1:{alive}", f"http://127.0.0.1:{dead}"]},
            }
        ]
        (message,) = errors()
    assert message.startswith(f"CITYDESK_PURGE_BACKENDS: cannot reach http://127.0.0.1:{dead} (")
    assert str(alive) not in message and "\n" not in message


@pytest.fixture(scope="module")
def guarded_redis(tmp_path_factory) -> Iterator[int]:
    """A redis-server of our own that asks for a password."""
    with redis_server(tmp_path_factory.mktemp("redis"), "--requirepass", "right-password") as port:
        yield port


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_a_redis_that_refuses_the_password_is_refused(settings, guarded_redis, password):
    url = f"redis://:{password}@127.0.0.1:{guarded_redis}/0"
    settings.RANKING_BACKENDS = {"default": {"BACKEND": "redis", "OPTIONS": {"URL": url}}}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    ranking_backends.reset()
    try:
        found = errors()
        assert len(found) == 2, found
        rankings, cache = sorted(found, key=lambda m: "CACHE" in m)
        assert rankings.startswith(f"CITYDESK_REDIS_URL: Redis at 127.0.0.1:{guarded_redis}/0")
        assert "AuthenticationError" in rankings
        assert cache.startswith("CITYDESK_CACHE_URL: Redis refused (AuthenticationError")
        if password:
            assert not any(password in m for m in found)  # never printed
        good = f"redis://:right-password@127.0.0.1:{guarded_redis}/0"
        settings.RANKING_BACKENDS = {"default": {"BACKEND": "redis", "OPTIONS": {"URL": good}}}
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": good}
        }
        ranking_backends.reset()
        assert errors() == []
    finally:
        ranking_backends.reset()


def test_a_misconfigured_backend_is_refused_and_an_unreachable_cdn_only_warned(
    purge_settings, monkeypatch
):
    purge_settings.PURGE_BACKENDS = [{"BACKEND": VARNISH, "OPTIONS": {"SERVERS": "http://x"}}]
    (message,) = errors()
    assert message.startswith("CITYDESK_PURGE_BACKENDS: HttpPurgeBackend needs")
    # A CDN's purge API on the internet that does not answer (made so here: this
    # machine's network answers any address): a warning, the start goes on.
    from citydesk.publishing.backends import http

    def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(http.socket, "create_connection", refused)
    purge_settings.PURGE_BACKENDS = [
        {
            "BACKEND": VARNISH,
            "OPTIONS": {"SERVERS": ["https://1.1.1.1/purge", "http://127.0.0.1:9"]},
        }
    ]
    purge_backends.reset()
    (error,) = errors()
    assert error == "CITYDESK_PURGE_BACKENDS: cannot reach http://127.0.0.1:9 (Connection refused)"
    (warning,) = [p.msg for p in startup.problems() if not p.is_serious()]
    assert warning == (
        "CITYDESK_PURGE_BACKENDS: cannot reach https://1.1.1.1:443 (Connection refused) now"
    )


def test_serve_refuses_to_start_before_it_listens(tmp_path):
    dead, port = free_port(), free_port()
    env = {
        **os.environ,
        "CITYDESK_DATA_DIR": str(tmp_path),
        "CITYDESK_PURGE_BACKENDS": json.dumps(
            [{"BACKEND": VARNISH, "OPTIONS": {"SERVERS": [f"http://127.0.0.1:{dead}"]}}]
        ),
    }
    env.pop("CITYDESK_DATABASE_URL", None)  # its own empty SQLite: refused before migrating
    started = run_citydesk(env, "serve", "--port", str(port), check=False, timeout=60)
    assert started.returncode == 1
    assert started.stderr.strip() == (
        f"拒绝启动: CITYDESK_PURGE_BACKENDS: cannot reach http://127.0.0.1:{dead}"
        " (Connection refused)"
    )
    assert "正在运行" not in started.stdout
