"""PostgreSQL's pooled connections are tried before use only after sitting idle (``db.session``):
one the server dropped meanwhile is replaced, the request does not fail."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from clausier.db import session as db_session
from clausier.db.session import transaction


def test_a_connection_dropped_while_idle_in_the_pool_is_replaced(engine, monkeypatch):
    if engine.dialect.name != "postgresql":
        pytest.skip("the pool of PostgreSQL connections (CLAUSIER_TEST_DB=postgresql)")
    first, other = engine.connect(), engine.connect()
    dropped = first.scalar(text("select pg_backend_pid()"))
    first.close()                   # back in the pool, idle: the one the next request takes
    try:
        other.execute(text("select pg_terminate_backend(:pid)"), {"pid": dropped})
        other.commit()
        monkeypatch.setattr(db_session, "PING_AFTER_IDLE_SECONDS", 0.0)
        with transaction(engine) as s:
            assert s.scalar(text("select pg_backend_pid()")) not in (dropped, None)
    finally:
        other.close()
        # The pool hands out its oldest connection first: the dropped one may still be in it,
        # for a later test to take within PING_AFTER_IDLE_SECONDS.
        engine.dispose()
