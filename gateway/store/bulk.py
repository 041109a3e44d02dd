"""Bulk inserts of the hot path, straight to the driver's executemany on SQLite.

SQLAlchemy's executemany builds and processes every parameter of every row in Python; on the ingest
path that costs as much as signing. On SQLite the driver takes strings, integers, bytes and booleans
as they are, so only columns of other types (UTC datetimes, dates, JSON) go through their bind
processor, and the rest is one tuple per row. Other databases keep SQLAlchemy's own path (psycopg's
batched inserts are already fast).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    FromClause,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    insert,
)

_DRIVER_NATIVE = (String, Text, Integer, BigInteger, LargeBinary, Boolean)


def insert_rows(conn: Connection, clause: FromClause, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT every row (all with the keys of the first) in one executemany."""
    if not rows:
        return
    table = cast(Table, clause)  # a mapped class's __table__
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(rows[0]))
    names = list(compiled.positiontup or ())
    sql = str(compiled)
    processors = [_processor(table, name, conn) for name in names]
    if not any(processors):
        params = [tuple(row[name] for name in names) for row in rows]
    else:
        pairs = list(zip(names, processors, strict=True))
        params = [tuple(row[name] if process is None else process(row[name]) for name, process in pairs)
                  for row in rows]
    conn.exec_driver_sql(sql, params)


def _processor(table: Table, name: str, conn: Connection) -> Callable[[Any], Any] | None:
    column_type = table.c[name].type
    if isinstance(column_type, _DRIVER_NATIVE):
        return None
    process: Callable[[Any], Any] | None = column_type.bind_processor(conn.dialect)
    return process
