"""`citydesk serve`: the site on gunicorn, a production-grade WSGI server.

Static files come from whitenoise and media from Django's file view (or from nginx when
CITYDESK_SERVE_MEDIA=0), so one command serves the whole site with no other server.
"""

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from citydesk.wsgi import application

        return application


class Command(BaseCommand):
    help = "用 gunicorn 提供网站服务 (serve the site)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("CITYDESK_WORKERS", (os.cpu_count() or 1) + 1)),
        )
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stderr.write("数据库尚未迁移 (run `citydesk migrate` first)")
            raise SystemExit(1)
        # Collected, precompressed static files let whitenoise answer without a lookup.
        call_command("collectstatic", interactive=False, verbosity=0)
        connection.close()  # each worker opens its own connection after the fork
        address = f"{options['host']}:{options['port']}"
        self.stdout.write(
            f"citydesk 正在运行: http://{address}/  (newsroom: http://{address}/admin/)"
        )
        self.stdout.flush()
        _Gunicorn(
            {
                "bind": address,
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread",
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "graceful_timeout": 5,
                "proc_name": "citydesk",
            }
        ).run()
