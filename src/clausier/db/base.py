"""Declarative base with a naming convention, so Alembic names constraints the same everywhere."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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
    "payments",
    "rating",
    "scheduler",
    "support",
    "equipment",
    "numbers",
    "privacy",
    "access",
]
