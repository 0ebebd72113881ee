"""Inserting many rows at once, for the use cases that write thousands (the bill run).

Rows can be encoded (:func:`encode_rows`: each value as the driver takes it, JSON already
serialised) apart from their insertion (:func:`insert_encoded`), so that the costly half runs
in another process than the one that holds the write lock."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from sqlalchemy import JSON, text
from sqlalchemy.engine import Dialect


def bulk_insert(conn, table, rows: list[dict]) -> None:
    """Insert many rows: ``COPY`` on PostgreSQL (an order of magnitude faster than multi-row
    INSERTs), one ``executemany`` of the driver elsewhere. Same transaction either way."""
    if not rows:
        return
    columns = tuple(rows[0])
    insert_encoded(conn, table, columns, encode_rows(table, conn.dialect, columns, rows))


def encode_rows(table, dialect: Dialect, columns: Sequence[str], rows: list[dict]) -> list[tuple]:
    """The rows' values as the driver takes them, in ``columns`` order: what SQLAlchemy's
    column types do to a parameter on SQLite (money as text, JSON serialised, dates as text),
    JSON serialised for ``COPY`` on PostgreSQL (the rest as it is). Pure: runs in any process."""
    encoded = []
    for column in columns:        # column by column: one encoder over a list, the fast way
        values = [row[column] for row in rows]
        encode = _encoder(table.c[column], dialect)
        if encode is not None and isinstance(table.c[column].type, JSON):
            encode = _once_per_object(encode)
        encoded.append(values if encode is None else list(map(encode, values)))
    return list(zip(*encoded, strict=True))


def _once_per_object(encode: Callable) -> Callable:
    """``encode`` run once per object: a JSON document shared by many rows (the same dict, as a
    bill run's lines of one shape store) is serialised once. By identity, within one call of
    :func:`encode_rows`, whose rows keep every value alive (an id is not reused meanwhile)."""
    done: dict[int, object] = {}

    def encode_once(value):
        if type(value) is not dict and type(value) is not list:
            return encode(value)
        key = id(value)
        if key not in done:
            done[key] = encode(value)
        return done[key]

    return encode_once


def value_encoder(table, dialect: Dialect, column: str) -> Callable:
    """One column's encoder (see :func:`encode_rows`), for values set at insertion time."""
    encode = _encoder(table.c[column], dialect)
    return encode or (lambda value: value)


def _encoder(column, dialect: Dialect) -> Callable | None:
    if dialect.name == "postgresql":     # COPY takes every other value as it is
        return _json_text if isinstance(column.type, JSON) else None
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def insert_encoded(conn, table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows encoded by :func:`encode_rows` with the same ``columns``."""
    if not rows:
        return
    names = ", ".join(f'"{column}"' for column in columns)
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) "
                             f"VALUES ({', '.join('?' * len(columns))})", rows)
        return
    with (conn.connection.driver_connection.cursor() as cursor,
          cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy):
        for row in rows:
            copy.write_row(row)


def _json_text(value):
    if value is None:           # SQL NULL, not the JSON null
        return None
    return json.dumps(value, default=str, ensure_ascii=False)


def new_ids(conn, table, count: int) -> list[int]:
    """``count`` ids for rows about to be inserted with explicit ids: drawn from the sequence on
    PostgreSQL; on SQLite, after the largest id, the caller's transaction holding the database's
    write lock (no other writer can take the same ones)."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        return list(conn.scalars(text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                                      "FROM generate_series(1, :count)"), {"count": count}))
    last = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}").scalar_one()
    return list(range(last + 1, last + 1 + count))
