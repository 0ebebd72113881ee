"""Reading one row by its key, or saying which resource was not found (code ``<resource>_not_found``);
selecting rows by a batch of ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from clausier.core.errors import NotFound

Row = TypeVar("Row")


def get_or_not_found(session: Session, model: type[Row], key, *, resource: str,
                     message: str | None = None) -> Row:
    """``session.get(model, key)``, or :class:`NotFound` with code ``<resource>_not_found`` and
    ``message`` (by default "<resource in words> <key> not found")."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(message or f"{resource.replace('_', ' ')} {key} not found",
                       resource=resource)
    return row


def among(column: ColumnElement, ids: Sequence[int]) -> ColumnElement[bool]:
    """``column IN ids`` for a batch of ids, with the ids' range besides: a range on an indexed
    column is estimated small even where the table has no statistics yet (a table a bill run is
    filling, first analysed later), so PostgreSQL looks the ids up in the index rather than
    reading the whole table for each batch (30 ms a batch at 150 000 rows)."""
    return and_(column.between(min(ids), max(ids)), column.in_(ids))
