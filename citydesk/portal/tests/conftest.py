"""Fixtures of the portal's serving tests."""

from pathlib import Path

import pytest

from citydesk.core.testing import free_port, require_service
from citydesk.portal.management.commands.nginx_config import render
from citydesk.portal.nginx import brotli_available, nginx_binary, running_nginx


@pytest.fixture
def nginx(live_server, tmp_path, settings):
    """A real nginx with `citydesk nginx_config`'s config (from the settings as they are
    when it starts) in front of the live server; its port."""
    require_service(nginx_binary() is not None, "nginx is not installed (apt-get install nginx)")
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = render(
        upstream=f"{live_server.thread.host}:{live_server.thread.port}",
        listen=f"127.0.0.1:{port}",
        page_cache_dir=settings.PAGE_CACHE_DIR,
        static_root=settings.STATIC_ROOT,
        media_root=settings.MEDIA_ROOT,
        brotli=brotli_available(),
    )
    with running_nginx(tmp_path / "nginx", config, port):
        yield port
