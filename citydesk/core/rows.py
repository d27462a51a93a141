"""Model instances from hand-written SQL, for the few reads on every page miss.

`Model.objects.raw()` costs ~0.25 ms a query before the database is asked anything (it
inspects the cursor's columns and resolves the model's fields each time); a reader's
article page makes five such reads. Here the column list and the fields' converters are
worked out once a process and rows become instances directly. The SQL must select
`columns(model, alias)` first; any further columns come back as they are.
"""

from functools import cache
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet

from citydesk.core import replica

M = TypeVar("M", bound=Model)


def columns(model: type[Model], alias: str, using: str = "default") -> str:
    """The model's columns, in the order `instance` expects them."""
    quote = connections[using].ops.quote_name
    return ", ".join(f"{alias}.{quote(str(f.column))}" for f in model._meta.concrete_fields)


def rows(sql: str, params: list[Any], using: str | None = None) -> list[tuple[Any, ...]]:
    """The rows of a read, from the database the request reads (core.replica) unless
    `using` names one."""
    with connections[using or replica.reading()].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@cache
def _plan(model: type[Model], using: str) -> tuple[list[str], list[tuple[int, list[Any], Any]]]:
    """The model's attribute names, and per column that needs one the converters the
    ORM itself would apply (SQLite's text datetimes, JSON, booleans)."""
    connection = connections[using]
    fields = model._meta.concrete_fields
    converting = []
    for i, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converting.append((i, found, col))
    return [f.attname for f in fields], converting


def instance(model: type[M], row: tuple[Any, ...], using: str | None = None) -> M:
    """The instance a row (starting with `columns(model, …)`) describes."""
    using = using or replica.reading()
    names, converting = _plan(model, using)
    values = list(row[: len(names)])
    connection = connections[using]
    for i, converters, col in converting:
        for converter in converters:
            values[i] = converter(values[i], col, connection)
    return model.from_db(using, names, values)


def planned_rows(queryset: QuerySet[Any]) -> int | None:
    """How many rows PostgreSQL's planner expects the query to give (its statistics, no
    rows read), or None on another database."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (`pk__in=[]`)
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    return int(plan[0]["Plan"]["Plan Rows"])
