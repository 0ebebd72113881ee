"""Inserting many rows at once, for the use cases that write thousands (the bill run)."""

from __future__ import annotations

import json

from sqlalchemy import insert, text


def bulk_insert(conn, table, rows: list[dict]) -> None:
    """Insert many rows: ``COPY`` on PostgreSQL (an order of magnitude faster than multi-row
    INSERTs), ``executemany`` elsewhere. Same transaction either way."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    statement = f'COPY {table.name} ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) FROM STDIN'
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_copy_value(row[column]) for column in columns])


def _copy_value(value):
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return value


def insert_returning_ids(conn, table, rows: list[dict]) -> list[int]:
    """Insert rows and return their ids in order (ids drawn from the sequence on PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return list(conn.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                 rows))
    ids = list(conn.scalars(text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                                 "FROM generate_series(1, :count)"), {"count": len(rows)}))
    bulk_insert(conn, table, [{"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)])
    return ids
