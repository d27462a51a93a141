"""The worker `citydesk serve` runs as its child, so one command also publishes on time."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def embedded_worker_enabled() -> bool:
    """Off (CITYDESK_EMBEDDED_WORKER=0) when a separate `citydesk worker` runs."""
    return os.environ.get("CITYDESK_EMBEDDED_WORKER", "1") != "0"


@contextmanager
def embedded_worker() -> Iterator[subprocess.Popen[bytes] | None]:
    """A `citydesk worker` child for as long as the block runs (None when turned off)."""
    if not embedded_worker_enabled():
        yield None
        return
    child = subprocess.Popen(
        [sys.executable, "-m", "citydesk", "worker", "--parent-pid", str(os.getpid())],
        stdin=subprocess.DEVNULL,
    )
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
