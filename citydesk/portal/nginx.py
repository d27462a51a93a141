"""Run a private nginx with the site config: for the tests and the benchmarks.

Production uses the distribution's nginx with `citydesk nginx_config` in its sites; this
starts one under a temporary prefix on a free port, with nothing outside that prefix.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from citydesk.core.testing import stop_process, wait_for_port
from citydesk.portal.management.commands.nginx_config import BROTLI_MODULE

MIME_TYPES = Path("/etc/nginx/mime.types")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def brotli_available() -> bool:
    return BROTLI_MODULE.exists()


def main_config(prefix: Path, site_config: str, *, workers: str = "1") -> str:
    """A whole nginx.conf around the site config, everything under `prefix`."""
    load = f"load_module {BROTLI_MODULE};" if brotli_available() else ""
    types = (
        f"include {MIME_TYPES};"
        if MIME_TYPES.exists()
        else "types { text/html html; text/plain txt; text/css css; "
        "application/javascript js; image/jpeg jpg jpeg; image/png png; }"
    )
    # As root the workers would otherwise run as nobody and could not read a private
    # temporary folder; as anyone else nginx ignores the line.
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{load}
{user}
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    {site_config}
}}
"""


@contextmanager
def running_nginx(
    prefix: Path, site_config: str, port: int, *, workers: str = "1"
) -> Iterator[str]:
    """nginx with this site config, listening on `port`; yields its base URL."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, site_config, workers=workers))
    command = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx rejected the config:\n{check.stderr}")
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        wait_for_port(port, process, "nginx", seconds=10)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)
