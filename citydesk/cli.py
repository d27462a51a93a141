"""The `citydesk` command: Django's management commands under one name.

`citydesk serve`, `citydesk demo`, `citydesk import text ...` and every stock command
(`citydesk migrate`, `citydesk createsuperuser`) go through here.
"""

import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citydesk.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "citydesk"
    if len(args) > 1 and args[1] in ("serve", "worker"):
        count_into_files()
    execute_from_command_line(args)


def count_into_files() -> None:
    """The node's long-running processes count for /metrics (citydesk.core.metrics) into
    files under the data folder, shared by all of them: set before prometheus_client is
    imported. The files of processes no longer running are removed, so the folder does
    not grow with every restart."""
    # settings.DATA_DIR, read the same way: the settings are not loaded yet.
    folder = Path(os.environ.get("CITYDESK_DATA_DIR", "var")).resolve() / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(folder))
    for file in folder.glob("*.db"):
        pid = file.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            file.unlink(missing_ok=True)
