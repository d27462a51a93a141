"""The text array dumper for PostgreSQL connections (core/pgtypes.py)."""

from typing import Any

import pytest
from django.db import connection
from psycopg.adapt import PyFormat
from psycopg.types.array import ListDumper

from citydesk.core.pgtypes import TextListDumper

LISTS: list[list[Any]] = [
    ["plain", 'he said "hi"', "back\\slash", "", None, "NULL", "空 格", '{"k": "v\\n"}'],
    [["x", "y"], ["z", None]],
    [],
    [1, 2, None],
    ['""', "\\\\", '\\"', "{}", "a,b"],
]


@pytest.mark.parametrize("value", LISTS)
def test_writes_what_psycopg_writes(value: list[Any]) -> None:
    stock = ListDumper(list).upgrade(value, PyFormat.TEXT).dump(value)
    ours = TextListDumper(list).upgrade(value, PyFormat.TEXT)
    assert isinstance(ours, TextListDumper)  # not psycopg's: the test would prove nothing
    assert ours.dump(value) == stock


@pytest.mark.django_db
def test_postgresql_connections_use_it_and_read_back_what_they_wrote() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL pass (tests/test_postgres.py) checks the connection")
    connection.ensure_connection()
    assert connection.connection.adapters.get_dumper(list, PyFormat.TEXT) is TextListDumper
    texts = [t for t in LISTS[0] if t is not None] + LISTS[4]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [texts])
        assert cursor.fetchone()[0] == texts
