"""`citydesk varnish_config`: the VCL for Varnish in front of the app nodes
(deploy/varnish/citydesk.vcl.template)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citydesk.publishing import varnish


class Command(BaseCommand):
    help = "打印 Varnish 配置 (print the VCL for Varnish in front of the app nodes)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--node",
            action="append",
            default=[],
            help="an app node's host:port (`citydesk serve`); repeat for each node",
        )
        parser.add_argument(
            "--purger",
            action="append",
            default=[],
            help="an address or network that may purge (default 127.0.0.1); repeatable",
        )
        parser.add_argument(
            "--purge-secret",
            default="",
            help="also require this secret in a PURGE's X-Citydesk-Purge-Secret header"
            " (send it with the purge backend's HEADERS option)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        nodes = []
        for node in options["node"] or ["127.0.0.1:8000"]:
            host, _, port = node.rpartition(":")
            if not host or not port.isdigit():
                raise CommandError(f"--node wants host:port, not {node!r}")
            nodes.append((host, int(port)))
        try:
            vcl = varnish.render(
                nodes, options["purger"] or ["127.0.0.1"], secret=options["purge_secret"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(vcl, ending="")
