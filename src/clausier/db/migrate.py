"""Running Alembic from code (``clausier db upgrade``, tests, ``make run``)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["url"] = url
    return config


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Alembic's ``compare_type``: its own comparison, except a VARCHAR's length on SQLite, which
    SQLite neither enforces nor alters in place — a migration widening a column of a referenced
    table does so on PostgreSQL only (``0013_billing_run_status_length``), where lengths are
    compared as usual."""
    declared = getattr(metadata_type, "impl", metadata_type)      # a TypeDecorator's own type
    if (context.dialect.name == "sqlite" and isinstance(inspected_type, sa.String)
            and isinstance(declared, sa.String)
            and not isinstance(inspected_type, sa.Text) and not isinstance(declared, sa.Text)):
        return False
    return None


def upgrade(url: str, target: str = "heads") -> None:
    command.upgrade(alembic_config(url), target)


def new_revision(url: str, message: str, head: str = "head") -> None:
    """Developers: autogenerate a migration from the models (review it before committing)."""
    command.revision(alembic_config(url), message=message, autogenerate=True, head=head)
