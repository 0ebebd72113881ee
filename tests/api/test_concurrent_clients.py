"""Concurrent API clients on a real server (uvicorn on a free loopback port, the test database).

Before: every authenticated call wrote its token's ``last_used_at`` inside the request's read
transaction (SQLite: "database is locked" for two clients at once; PostgreSQL: every reader
queued on the token's row lock), and a request's per-process write lock (an ``RLock``) was taken
in one thread of the pool and released in another ("cannot release un-acquired lock"), after
which every write hung."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import httpx
import uvicorn
from sqlalchemy import select, text

from clausier.accounts import service as accounts
from clausier.accounts.models import ApiToken
from clausier.api.app import create_app
from clausier.db.session import transaction
from tests import factories
from tests.net import free_port

READERS = 20
WRITERS = 10
# Bounds on waiting, so that a regression fails instead of hanging the suite.
ANSWER_SECONDS = 20


@contextmanager
def live_server(engine, clock) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine=engine, clock=clock), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=ANSWER_SECONDS)


def _portal_tokens(engine, clock, actor, count: int) -> tuple[list[str], str]:
    """``count`` customer-portal users with a token each, and a staff admin's token."""
    with transaction(engine) as s:
        op = factories.operator(s, clock, actor, "technicophone")
        customer = factories.customer(s, clock, op, "Boulangerie Martin")
        tokens = []
        for n in range(count):
            user = accounts.create_user(s, clock, actor, email=f"client{n}@test.local",
                                        name=f"C{n}", role="customer", kind="customer",
                                        customer_id=customer.id, password="correct horse battery")
            s.flush()
            tokens.append(accounts.issue_token(s, clock, actor, user.id, "portal")[1])
        admin = accounts.create_user(s, clock, actor, email="admin@test.local", name="Ada",
                                     role="admin", password="correct horse battery")
        s.flush()
        return tokens, accounts.issue_token(s, clock, actor, admin.id, "staff")[1]


def _last_uses(engine) -> list:
    with transaction(engine) as s:
        return list(s.scalars(select(ApiToken.last_used_at).order_by(ApiToken.id)))


def _wait_for(condition, seconds: float = ANSWER_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_concurrent_token_readers_all_answer_and_each_token_use_is_recorded(clean_engine, clock,
                                                                            actor):
    tokens, _ = _portal_tokens(clean_engine, clock, actor, READERS)
    with live_server(clean_engine, clock) as url:
        def read(token: str) -> list[int]:
            with httpx.Client(base_url=url, timeout=ANSWER_SECONDS,
                              headers={"authorization": f"Bearer {token}"}) as api:
                return [api.get("/api/v1/portal/invoices").status_code for _ in range(10)]

        with ThreadPoolExecutor(READERS) as pool:
            statuses = [s for answers in pool.map(read, tokens) for s in answers]
        assert statuses == [200] * READERS * 10
        # Recorded after the answers, once each (the clock stands still).
        assert _wait_for(lambda: _last_uses(clean_engine)[:READERS] == [clock.now()] * READERS)


def test_a_token_read_waits_for_no_writer(clean_engine, clock, actor):
    """While another connection holds the write lock (SQLite) or the token's row (PostgreSQL), a
    reader whose token was used 30 s ago answers at once; a token last used over a minute ago
    is stamped once the writer is done."""
    tokens, _ = _portal_tokens(clean_engine, clock, actor, 2)
    with transaction(clean_engine) as s:
        recent, old = s.scalars(select(ApiToken).order_by(ApiToken.id).limit(2))
        recent.last_used_at = clock.now() - timedelta(seconds=30)
        old.last_used_at = clock.now() - timedelta(minutes=5)
    with live_server(clean_engine, clock) as url, clean_engine.connect() as writer:
        writer.info["sqlite_begin"] = "BEGIN IMMEDIATE"       # SQLite: the write lock
        writer.execute(text("UPDATE api_tokens SET name = name"))       # every token's row
        try:
            for token in tokens:
                answer = httpx.get(f"{url}/api/v1/portal/invoices", timeout=ANSWER_SECONDS / 2,
                                   headers={"authorization": f"Bearer {token}"})
                assert answer.status_code == 200, answer.text
        finally:
            writer.rollback()
        assert _wait_for(lambda: _last_uses(clean_engine)[:2] == [
            clock.now() - timedelta(seconds=30), clock.now()])


def test_concurrent_writes_all_succeed_and_later_writes_do_not_hang(clean_engine, clock, actor):
    _, staff_token = _portal_tokens(clean_engine, clock, actor, 0)
    with live_server(clean_engine, clock) as url:
        def write(n: int) -> list[int]:
            with httpx.Client(base_url=url, timeout=ANSWER_SECONDS,
                              headers={"authorization": f"Bearer {staff_token}"}) as api:
                return [api.post("/api/v1/tokens", json={"name": f"w{n}-{k}"}).status_code
                        for k in range(5)]

        with ThreadPoolExecutor(WRITERS) as pool:
            statuses = [s for answers in pool.map(write, range(WRITERS)) for s in answers]
        assert statuses == [201] * WRITERS * 5
        later = httpx.post(f"{url}/api/v1/tokens", json={"name": "after the burst"},
                           headers={"authorization": f"Bearer {staff_token}"},
                           timeout=ANSWER_SECONDS)
        assert later.status_code == 201, later.text
    with transaction(clean_engine) as s:
        assert s.scalar(select(ApiToken.id).where(ApiToken.name == "after the burst")) is not None
        assert len(s.scalars(select(ApiToken.id)).all()) == 1 + WRITERS * 5 + 1
