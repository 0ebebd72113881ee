"""Where the personal data are, found from ``Base.metadata`` rather than listed by hand.

A table concerns a customer when it has a ``customer_id`` column or reaches such a table by
foreign keys (order lines → orders → customers); a table concerns a contact when it reaches
``contacts``. Rooms mark their columns and tables, and a room that lands later is found alike:

- ``info={"personal": "identity" | "contact" | "identification" | ...}`` on a column that holds
  personal data, with ``"needed_for": "accounting"`` when kept records need it;
- ``info={"secret": True}`` on a column never exported (password and token hashes);
- ``__table_args__ = ({"info": {"kept_for": "accounting", "dated_by": "issue_date"}},)`` on a
  table the law requires keeping (``rules.LEGAL_OBLIGATIONS``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Column, Select, Table, UniqueConstraint, func, select
from sqlalchemy.orm import Session

from clausier.db.base import Base, import_all_models
from clausier.privacy.rules import ColumnFacts, TableFacts

SUBJECT_ROOTS = {"customer": "customers", "contact": "contacts"}


@dataclass(frozen=True)
class Route:
    """How the rows of ``table`` reach the subject: (child column, parent column) steps."""

    table: Table
    steps: tuple[tuple[Column, Column], ...]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def via(self) -> str:
        return " → ".join([self.table.name] + [parent.table.name for _, parent in self.steps])

    def ids_query(self, subject_id: int) -> Select:
        query = select(*self.table.primary_key.columns).select_from(self.table)
        if not self.steps:
            return query.where(key_of(self.table) == subject_id)
        for child, parent in self.steps[:-1]:
            query = query.join(parent.table, child == parent)
        return query.where(self.steps[-1][0] == subject_id)

    def rows_query(self, subject_id: int) -> Select:
        pk = key_of(self.table)
        return select(self.table).where(pk.in_(self.ids_query(subject_id).scalar_subquery())
                                        ).order_by(pk)


def key_of(table: Table) -> Column:
    columns = list(table.primary_key.columns)
    return columns[0]


def _tables() -> dict[str, Table]:
    import_all_models()
    return dict(Base.metadata.tables)


def _edges_into(tables: dict[str, Table], parent: str) -> list[tuple[Column, Column]]:
    """(child column, parent key) of every column that points at ``parent``'s rows: foreign
    keys, and ``customer_id`` columns that a room left without one."""
    edges = []
    for table in tables.values():
        for column in table.columns:
            targets = [fk.column for fk in column.foreign_keys if fk.column.table.name == parent]
            if targets:
                edges.append((column, targets[0]))
            elif (parent == "customers" and column.name == "customer_id"
                  and not column.foreign_keys):
                edges.append((column, key_of(tables[parent])))
    return edges


def routes(subject: str) -> list[Route]:
    """Every table holding rows about a subject (``customer`` or ``contact``), the subject's own
    table first, each by its shortest route."""
    tables = _tables()
    root = SUBJECT_ROOTS[subject]
    found = {root: Route(tables[root], ())}
    queue = deque([root])
    while queue:
        parent = queue.popleft()
        for child, key in _edges_into(tables, parent):
            name = child.table.name
            if name in found:
                continue
            found[name] = Route(child.table, ((child, key),) + found[parent].steps)
            queue.append(name)
    return list(found.values())


def personal_columns(table: Table) -> list[ColumnFacts]:
    return [ColumnFacts(c.name, c.info["personal"], bool(c.nullable), c.info.get("needed_for"),
                        _unique(table, c))
            for c in table.columns if "personal" in c.info]


def _unique(table: Table, column: Column) -> bool:
    """Unique alone or within a constraint (a badge key is unique per site): blanking it would
    make two rows equal, so it is pseudonymised instead."""
    return bool(column.unique) or any(
        isinstance(c, UniqueConstraint) and column.name in c.columns for c in table.constraints)


def exported_columns(table: Table) -> list[Column]:
    return [c for c in table.columns if not c.info.get("secret")]


def personal_map() -> dict[str, list[ColumnFacts]]:
    """Table → its personal columns, over every table (for the register of processing)."""
    return {name: cols for name, table in sorted(_tables().items())
            if (cols := personal_columns(table))}


def table_facts(session: Session, route: Route, subject_id: int) -> TableFacts:
    table = route.table
    ids = route.ids_query(subject_id).scalar_subquery()
    count = session.scalar(select(func.count()).select_from(table)
                           .where(key_of(table).in_(ids))) or 0
    kept_for = table.info.get("kept_for")
    latest = None
    if kept_for and count and table.info.get("dated_by"):
        latest = session.scalar(select(func.max(table.c[table.info["dated_by"]]))
                                .where(key_of(table).in_(ids)))
        latest = latest.date() if isinstance(latest, datetime) else latest
    return TableFacts(table.name, count, tuple(personal_columns(table)), kept_for, latest)


def obligations_in_force(facts: list[TableFacts], today: date) -> dict[str, date]:
    """Obligation → the newest record under it (undated records count as made today)."""
    out: dict[str, date] = {}
    for fact in facts:
        if fact.kept_for and fact.rows:
            day = fact.latest_record or today
            out[fact.kept_for] = max(out.get(fact.kept_for, day), day)
    return out
