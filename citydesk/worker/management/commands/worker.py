"""`citydesk worker`: the background worker until SIGTERM or SIGINT: the durable tasks
that follow content changes (search index, purges, image renditions, feed polls) in one
thread, scheduled publishing in the other.

`citydesk serve` runs one itself (the embedded default); run it on its own, with
CITYDESK_EMBEDDED_WORKER=0 for the servers, when the site is served some other way. Two
or more at once are safe: each article is published exactly once.
"""

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from citydesk.core import startup
from citydesk.feeds import tasks as feed_tasks
from citydesk.worker import queue, scheduler


class Command(BaseCommand):
    help = "后台任务: 按时发布定时文章 (the background worker: scheduled publishing)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--parent-pid",
            type=int,
            help="stop when this process (`citydesk serve`, which starts it so) is gone",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        startup.refuse_misconfiguration(self.stderr)
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stderr.write("数据库尚未迁移 (run `citydesk migrate` first)")
            raise SystemExit(1)
        logger = logging.getLogger("citydesk.worker")
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)  # one line per publish is the worker's log

        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        scheduler.warm_up()
        logger.info("citydesk worker started (pid %d)", os.getpid())
        # Feeds in a thread of their own: a slow partner never holds up a purge.
        runners = [
            threading.Thread(
                target=queue.run_forever,
                args=(stop,),
                kwargs={"queue": name, "housekeeper": name == "default"},
                name=f"tasks-{name}",
                daemon=True,
            )
            for name in ("default", feed_tasks.QUEUE)
        ]
        for runner in runners:
            runner.start()
        scheduler.run_forever(stop, parent_pid=options["parent_pid"])
        for runner in runners:
            runner.join(timeout=30)
        connection.close()
        logger.info("citydesk worker stopped (pid %d)", os.getpid())
