"""What every benchmark script shares: the machine line, its section of
docs/benchmarks.md, free ports and percentiles."""

import math
import os
import platform
import re
import socket
import sqlite3
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def machine(*extras: str) -> str:
    """CPU, cores, Python and SQLite, then `extras` (server versions), for the section."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    parts = [
        f"{model}, {os.cpu_count()} cores",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        *extras,
    ]
    return "; ".join(parts)


def write_section(heading: str, section: str) -> None:
    """Put `section` (starting with `heading`) in docs/benchmarks.md in place of the one
    there, or at the end."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    section = section.rstrip("\n") + "\n\n"  # a blank line before the next section
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[index]
