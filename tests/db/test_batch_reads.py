"""Reading rows by a batch of ids (``db.lookup.among``), as the bill run reads each batch's
subscriptions, months billed and rated usage: exactly the ids asked, and on PostgreSQL through
the index even where the table has no statistics yet (a table the run itself is filling)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from clausier.db.lookup import among
from clausier.db.session import engine_for

ROWS = 300_000


@pytest.fixture
def numbers(session) -> Iterator[Table]:
    """A temporary table of ``ROWS`` numbers (fewer on SQLite), indexed, never analysed (PostgreSQL's autovacuum
    does not analyse temporary tables); dropped after the test (the connection is pooled)."""
    table = Table("batch_reads_numbers", MetaData(), Column("id", Integer, primary_key=True),
                  Column("k", Integer, index=True), prefixes=["TEMPORARY"])
    table.create(session.connection())
    if session.bind.dialect.name == "postgresql":    # a bill run's tables: 150 000 rows and more
        session.execute(text(f"INSERT INTO {table.name} (k) SELECT g FROM generate_series(1, {ROWS}) g"))
    else:
        session.execute(insert(table), [{"k": n} for n in range(1, 20_001)])   # enough to check what is read
    yield table
    table.drop(session.connection())


def test_among_selects_exactly_the_ids_of_a_batch_scattered_or_not(session, numbers):
    table = numbers
    scattered = [3, 7, 1999, 12_000]
    assert session.scalars(select(table.c.k).where(among(table.c.k, scattered))
                           .order_by(table.c.k)).all() == scattered
    assert session.scalars(select(table.c.k).where(among(table.c.k, [ROWS + 5]))).all() == []
    assert session.scalars(select(table.c.k).where(among(table.c.k, []))).all() == []
    run = list(range(500, 2000))
    assert session.scalars(select(table.c.k).where(among(table.c.k, run))
                           .order_by(table.c.k)).all() == run


def test_a_batch_is_read_through_the_index_on_a_table_without_statistics(session, numbers):
    if session.bind.dialect.name != "postgresql":
        pytest.skip("the plan is PostgreSQL's (CLAUSIER_TEST_DB=postgresql)")
    table = numbers
    batch = list(range(6001, 7501))            # a bill-run batch: 500 customers × 3 subscriptions
    connection = session.connection()

    def plan(condition) -> str:
        statement = select(table.c.k).where(condition).compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        return "\n".join(connection.exec_driver_sql(f"EXPLAIN {statement}").scalars())

    # Why: without statistics, 1 500 ids are estimated to match the whole table.
    assert "Seq Scan" in plan(table.c.k.in_(batch))
    found = plan(among(table.c.k, batch))
    assert "Seq Scan" not in found and "ix_batch_reads_numbers_k" in found, found


def test_the_bill_runs_drafting_engine_never_prepares_statements(db_url, engine):
    """Each of its statements is planned for its own values and the tables' current size."""
    if engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are psycopg's (CLAUSIER_TEST_DB=postgresql)")
    drafting = engine_for(db_url, prepared_statements=False)
    try:
        with drafting.connect() as unprepared, engine.connect() as usual:
            assert unprepared.connection.driver_connection.prepare_threshold is None
            assert usual.connection.driver_connection.prepare_threshold == 5
            assert unprepared.scalar(text("select 1")) == 1
    finally:
        drafting.dispose()
