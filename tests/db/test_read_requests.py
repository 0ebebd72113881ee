"""The unit of work of a read request (``db.session.request_transaction`` for GET): on
PostgreSQL its plain reads run outside a transaction (no BEGIN, no COMMIT), and anything that
writes or locks rows still runs in one transaction that commits or rolls back as a whole.
Ending a unit of work that sent nothing to end (``ends_without_io``) is done on the event
loop."""

from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import func, select

from clausier.db.models import AppLock
from clausier.db.session import ends_without_io, request_transaction, transaction


def _locks(engine) -> list[str]:
    with transaction(engine) as s:
        return list(s.scalars(select(AppLock.name).order_by(AppLock.name)))


def _status(session) -> TransactionStatus:
    return session.connection().connection.dbapi_connection.info.transaction_status


def _postgresql(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("reads outside transactions are PostgreSQL's (CLAUSIER_TEST_DB=postgresql)")


def test_a_read_request_writing_commits_its_writes_together(clean_engine):
    with request_transaction(clean_engine, "GET") as s:
        assert s.scalar(select(func.count()).select_from(AppLock)) == 0
        s.add(AppLock(name="first"))
        s.flush()
        s.add(AppLock(name="second"))
    assert _locks(clean_engine) == ["first", "second"]


def test_a_read_request_failing_after_a_write_keeps_nothing_of_it(clean_engine):
    with pytest.raises(RuntimeError):
        with request_transaction(clean_engine, "GET") as s:
            s.add(AppLock(name="first"))
            s.flush()
            s.add(AppLock(name="second"))
            s.flush()
            raise RuntimeError("the request fails after writing")
    assert _locks(clean_engine) == []


def test_plain_reads_run_outside_a_transaction_and_see_what_is_committed(clean_engine):
    _postgresql(clean_engine)
    with request_transaction(clean_engine, "GET") as s:
        assert s.scalar(select(func.count()).select_from(AppLock)) == 0
        assert _status(s) is TransactionStatus.IDLE
        with transaction(clean_engine) as other:
            other.add(AppLock(name="committed meanwhile"))
        # As each statement of a READ COMMITTED transaction would.
        assert s.scalar(select(func.count()).select_from(AppLock)) == 1
        assert _status(s) is TransactionStatus.IDLE


def test_locking_rows_begins_a_transaction(clean_engine):
    _postgresql(clean_engine)
    with transaction(clean_engine) as s:
        s.add(AppLock(name="held"))
    with request_transaction(clean_engine, "GET") as s:
        s.scalar(select(AppLock).where(AppLock.name == "held").with_for_update())
        assert _status(s) is TransactionStatus.INTRANS


def test_writing_requests_stay_in_one_transaction_from_their_first_read(clean_engine):
    _postgresql(clean_engine)
    with request_transaction(clean_engine, "POST") as s:
        s.scalar(select(func.count()).select_from(AppLock))
        assert _status(s) is TransactionStatus.INTRANS


def test_only_a_read_that_began_no_transaction_ends_without_io(clean_engine):
    with request_transaction(clean_engine, "GET") as s:
        s.scalar(select(func.count()).select_from(AppLock))
        assert ends_without_io(s) is (clean_engine.dialect.name == "postgresql")
        s.add(AppLock(name="pending"))
        assert not ends_without_io(s)         # committing flushes it
        s.flush()
        assert not ends_without_io(s)         # its transaction is to commit
    with request_transaction(clean_engine, "POST") as s:
        s.scalar(select(func.count()).select_from(AppLock))
        assert not ends_without_io(s)
    assert _locks(clean_engine) == ["pending"]
