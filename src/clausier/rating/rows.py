"""Small helpers on the rating room's own rows: ids in chunks per statement, and the insert or
update of one row by its key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session


def chunks(values: Sequence, size: int = 5000) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def upsert(session: Session, model, key: dict, values: dict):
    row = session.scalar(select(model).filter_by(**key))
    if row is None:
        row = model(**key, **values)
        session.add(row)
        return row, True
    for name, value in values.items():
        setattr(row, name, value)
    return row, False
