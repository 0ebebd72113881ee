"""Declarative base with a naming convention, so Alembic names constraints the same everywhere."""

from __future__ import annotations

from sqlalchemy import MetaData, String, event
from sqlalchemy.orm import DeclarativeBase

from clausier.core.errors import InvalidInput

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Base, "before_insert", propagate=True)
@event.listens_for(Base, "before_update", propagate=True)
def _within_column_lengths(mapper, connection, row) -> None:
    """PostgreSQL refuses a text longer than its VARCHAR(n), SQLite stores it: refused on both
    alike, naming the field, so that the two databases agree."""
    for column in mapper.columns:
        if not isinstance(column.type, String) or not column.type.length:
            continue
        name = mapper.get_property_by_column(column).key
        value = getattr(row, name, None)
        if isinstance(value, str) and len(value) > column.type.length:
            raise InvalidInput.on(name, f"at most {column.type.length} characters "
                                        f"(got {len(value)})")


def import_all_models() -> None:
    """Import every room's models so that ``Base.metadata`` knows all tables."""
    import importlib

    for room in MODEL_ROOMS:
        importlib.import_module(f"clausier.{room}.models")


# One line per room that owns tables, in dependency order.
MODEL_ROOMS = [
    "db",
    "audit",
    "accounts",
    "terms",
    "catalog",
    "customers",
    "contracts",
    "billing",
    "notifications",
    "payments",
    "rating",
    "scheduler",
    "support",
    "equipment",
    "numbers",
    "privacy",
    "access",
    "workers",
]
