"""`citydesk serve`: the whole site from one command, at close to static-file speed.

Granian (a Rust HTTP server) runs `citydesk.portal.server.PageCacheFront` in each
worker process: page-cache hits are answered without Django, everything else (misses,
the newsroom, static files through whitenoise, media) by Django on a thread pool.
"""

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from granian.constants import Interfaces, Loops, RuntimeModes
from granian.log import LogLevels
from granian.server import Server

from citydesk.core import startup
from citydesk.worker.embedded import embedded_worker


class Command(BaseCommand):
    help = "提供网站服务 (serve the site)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("CITYDESK_WORKERS", os.cpu_count() or 1)),
            help="worker processes (default: one per CPU)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("CITYDESK_THREADS", 4)),
            help="Django threads per worker, for pages not in the page cache",
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_false",
            dest="collectstatic",
            help="serve static files as they are (whitenoise finds them in the apps)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        startup.refuse_misconfiguration(self.stderr)
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stderr.write("数据库尚未迁移 (run `citydesk migrate` first)")
            raise SystemExit(1)
        if options["collectstatic"]:
            # Collected, precompressed static files let whitenoise answer without a lookup.
            call_command("collectstatic", interactive=False, verbosity=0)
        connection.close()  # each worker opens its own connection after the fork
        # Read by create_app in each worker process.
        os.environ["CITYDESK_THREADS"] = str(options["threads"])
        address = f"{options['host']}:{options['port']}"
        self.stdout.write(
            f"citydesk 正在运行: http://{address}/  (newsroom: http://{address}/newsroom/)"
        )
        self.stdout.flush()
        server = Server(
            "citydesk.portal.server:create_app",
            factory=True,
            address=options["host"],
            port=options["port"],
            interface=Interfaces.RSGI,
            workers=options["workers"],
            # One Rust thread per worker: the Python code is the bottleneck, and a
            # single-threaded runtime measured ~10% faster than the threaded one here.
            runtime_mode=RuntimeModes.st,
            loop=Loops.uvloop,
            websockets=False,
            log_level=LogLevels.warning,
            log_access=False,
            respawn_failed_workers=True,
            workers_kill_timeout=10,  # graceful: renders in flight get this long
        )
        # Scheduled articles go live on time with no other process to run (unless
        # CITYDESK_EMBEDDED_WORKER=0); the worker stops when the server does.
        with embedded_worker():
            server.serve()
