"""Temporary: the old import path of `free_port`, now in citydesk.core.testing.

The nginx tooling moved to citydesk.portal (nginx.py, the nginx_config command). Only
citydesk/worker/tests/test_scheduler.py still imports `free_port` from here; delete this
module once it imports from citydesk.core.testing.
"""

from citydesk.core.testing import free_port

__all__ = ["free_port"]
