"""Running Alembic from code (``clausier db upgrade``, tests, ``make run``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["url"] = url
    return config


def upgrade(url: str, target: str = "heads") -> None:
    command.upgrade(alembic_config(url), target)


def new_revision(url: str, message: str, head: str = "head") -> None:
    """Developers: autogenerate a migration from the models (review it before committing)."""
    command.revision(alembic_config(url), message=message, autogenerate=True, head=head)
