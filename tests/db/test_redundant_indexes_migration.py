"""Revision 0012_drop_redundant_indexes upgrades a database in use: an invoice and a device with
an event pointing to it keep their rows, the invoices' customer_id index (covered by the listing
index of 0009) and the devices' token prefix (unread since 0008) are gone, in place — no table
rebuilt, which SQLite refuses with foreign keys on once other rows point to the table. On
SQLite and, with ``CLAUSIER_TEST_DB=postgresql``, on PostgreSQL. The models match the
migrations afterwards (what ``new_revision`` would autogenerate is nothing)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from clausier.db import migrate
from clausier.db.base import Base, import_all_models
from tests.conftest import POSTGRES_URL, TEST_DB

BEFORE = ("0009_billing_customer_invoices", "0008_access_device_token_digest")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def fresh_url(db_url, tmp_path) -> Iterator[str]:
    """An empty database of the leg's kind (``db_url`` only chooses the leg and its skip)."""
    if TEST_DB != "postgresql":
        yield f"sqlite:///{tmp_path / 'in-use.db'}"
        return
    # One name per test: an engine kept for a URL must not meet a database dropped and made again.
    name = f"clausier_migration_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _sample(column: sa.Column):
    """A value of the column's type, for a column the row must fill."""
    python_type = column.type.python_type
    return {int: 1, str: "x", bool: True, Decimal: Decimal("1"), date: date(2026, 12, 1),
            datetime: NOW, dict: {}, list: []}.get(python_type, "x")


def _insert(conn, table: sa.Table, **values) -> None:
    """A row of ``table`` as the database stood: ``values``, and a sample in each other column
    that is neither nullable nor defaulted."""
    row = {column.name: _sample(column) for column in table.columns
           if not column.nullable and column.server_default is None and not column.primary_key}
    conn.execute(table.insert().values({**row, **values}))


def _upgrade_from_the_previous_heads(url: str) -> None:
    config = migrate.alembic_config(url)
    for head in BEFORE:
        command.upgrade(config, head)
    engine = sa.create_engine(url)
    tables = sa.MetaData()
    tables.reflect(engine, only=["invoices", "access_sites", "access_devices", "access_events"])
    with engine.begin() as conn:        # rows only: what they belong to does not matter here
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SET session_replication_role = replica"))
        else:
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
        _insert(conn, tables.tables["invoices"], id=1, customer_id=7, number="F2026-000001")
        _insert(conn, tables.tables["access_sites"], id=1)
        _insert(conn, tables.tables["access_devices"], id=1, site_id=1, token_prefix="clzd_abcd",
                token_hash="f" * 64)
        _insert(conn, tables.tables["access_events"], id=1, site_id=1, device_id=1)
    engine.dispose()
    migrate.upgrade(url)


def test_an_invoice_and_a_device_in_use_keep_their_rows_without_the_redundant_index_and_column(
        fresh_url):
    _upgrade_from_the_previous_heads(fresh_url)

    engine = sa.create_engine(fresh_url)
    inspector = sa.inspect(engine)
    invoice_indexes = {index["name"] for index in inspector.get_indexes("invoices")}
    assert "ix_invoices_customer_id" not in invoice_indexes
    assert "ix_invoices_customer_listing" in invoice_indexes
    assert "token_prefix" not in {column["name"] for column in inspector.get_columns("access_devices")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("select id, customer_id, number from invoices")).all() == [
            (1, 7, "F2026-000001")]
        assert conn.execute(sa.text("select id, site_id, token_hash from access_devices")).all() == [
            (1, 1, "f" * 64)]
        assert conn.execute(sa.text("select device_id from access_events")).all() == [(1,)]
    engine.dispose()


def test_the_models_match_the_migrations(fresh_url):
    migrate.upgrade(fresh_url)
    import_all_models()
    engine = sa.create_engine(fresh_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": migrate.compare_type})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
