"""The `citydesk` command: Django's management commands under one name.

`citydesk serve`, `citydesk demo`, `citydesk import text ...` and every stock command
(`citydesk migrate`, `citydesk createsuperuser`) go through here.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citydesk.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "citydesk"
    execute_from_command_line(args)
