"""Alembic environment: the URL comes from the caller (``clausier db upgrade``) or the settings."""

from alembic import context

from clausier.core.settings import Settings
from clausier.db.base import Base, import_all_models
from clausier.db.migrate import compare_type
from clausier.db.session import engine_for

import_all_models()
config = context.config
url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with engine_for(url).connect() as connection:
        _run(connection)
        connection.commit()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=compare_type)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
