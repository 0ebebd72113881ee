"""Reading one row by its key, or saying which resource was not found (code ``<resource>_not_found``)."""

from __future__ import annotations

from typing import TypeVar

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
