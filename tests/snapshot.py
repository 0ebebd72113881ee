"""Every row of every table, to prove that something wrote nothing."""

from __future__ import annotations

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine


def snapshot(engine: Engine, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table (but ``skip``), in a stable order."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        return {name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
                for name, table in metadata.tables.items() if name not in skip}
