"""The ranking contract against each backend: the site's database (SQLite here, and
PostgreSQL in tests/test_postgres.py's pass) and a real redis-server."""

import pytest

from citydesk.rankings.backends.database import DatabaseBackend
from citydesk.rankings.backends.redis import RedisBackend
from citydesk.rankings.tests.contract import BackendContract


class TestDatabaseBackend(BackendContract):
    @pytest.fixture
    def backend(self):
        return DatabaseBackend("test", {})


class TestRedisBackend(BackendContract):
    @pytest.fixture
    def backend(self, redis_url):
        backend = RedisBackend("test", {"OPTIONS": {"URL": redis_url, "PREFIX": "test:"}})
        backend.clear()
        yield backend
        backend.clear()
