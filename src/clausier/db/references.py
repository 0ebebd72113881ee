"""Rows still pointing at a row: a deletion they would break is refused, saying what uses it."""

from __future__ import annotations

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from clausier.core.errors import Conflict, Problem
from clausier.db.base import Base


def referencing_rows(session: Session, row: Base) -> dict[str, int]:
    """How many rows of each table refer to ``row`` by a foreign key (tables with none left out),
    found from the metadata, so that a new room's tables count without changing this."""
    mapper = inspect(row).mapper
    found: dict[str, int] = {}
    for other in Base.metadata.sorted_tables:
        for foreign_key in other.foreign_keys:
            if foreign_key.column.table is not mapper.local_table:
                continue
            value = getattr(row, mapper.get_property_by_column(foreign_key.column).key)
            count = session.scalar(select(func.count()).select_from(other)
                                   .where(foreign_key.parent == value))
            if count:
                found[other.name] = found.get(other.name, 0) + count
    return found


def delete_unless_referenced(session: Session, row: Base, field: str, label: str) -> None:
    """Delete ``row``, or refuse (409) while other rows still use it; ``field`` names the
    request field (the path parameter) in the problem."""
    session.flush()
    users = referencing_rows(session, row)
    if users:
        uses = ", ".join(f"{table} ({count})" for table, count in sorted(users.items()))
        raise Conflict(f"{field}: {label} is still used by {uses}",
                       problems=[Problem(field, f"still used by {uses}")])
    session.delete(row)
    session.flush()
