from collections.abc import Iterator

import pytest

from citydesk.core.testing import redis_server


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A redis-server of the tests' own, on a free port, with nothing saved to disk."""
    with redis_server(tmp_path_factory.mktemp("redis")) as port:
        yield f"redis://127.0.0.1:{port}/0"
