"""Test fixtures: a real database (SQLite file or PostgreSQL, per ``CLAUSIER_TEST_DB``), migrated
with Alembic once per worker and emptied after each test; a fixed clock; a logged-in client."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.core.clock import FixedClock
from clausier.db.migrate import upgrade
from clausier.db.session import engine_for, transaction
from tests.net import Inbox, free_port, point_mail_to, smtp_server

# The web app must not start its daily-tick thread in tests, nor write a secret under ./var.
os.environ["CLAUSIER_NO_TICK"] = "1"
os.environ.setdefault("CLAUSIER_SECRET_KEY", "test-secret-key")

TEST_DB = os.environ.get("CLAUSIER_TEST_DB", "sqlite")
POSTGRES_URL = os.environ.get("CLAUSIER_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DB_FIXTURES = {"engine", "session", "db_url", "clean_engine", "client", "staff_client", "loaded",
               "demo_session"}


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL leg runs only the tests that touch the database."""
    if TEST_DB != "postgresql":
        return
    selected, deselected = [], []
    for item in items:
        uses_db = DB_FIXTURES & set(getattr(item, "fixturenames", ()))
        (selected if uses_db else deselected).append(item)
    config.hook.pytest_deselected(items=deselected)
    items[:] = selected


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_reachable() -> bool:
    try:
        with create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> Iterator[str]:
    if TEST_DB == "postgresql":
        if not _postgres_reachable():
            if os.environ.get("CI") == "true":
                pytest.exit(f"PostgreSQL is not reachable at {POSTGRES_URL} (required under CI)", 1)
            pytest.skip("PostgreSQL not reachable: the PostgreSQL leg is skipped locally")
        # The process id too: several checkouts may run their suites on one server at once.
        name = f"clausier_test_{os.getpid()}_{_worker()}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A throwaway database: a commit need not wait for its WAL to reach the disk.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / f"clausier_{_worker()}.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(db_url) -> Engine:
    return engine_for(db_url)


def _empty(engine: Engine) -> None:
    tables = _tables(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            _empty_postgresql(conn, tables)
        else:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            if _has_sequence(conn):
                conn.execute(text("DELETE FROM sqlite_sequence"))


_TABLES: dict[str, list[str]] = {}


def _tables(engine: Engine) -> list[str]:
    """The application's tables, read once per database (the schema does not change in a run)."""
    key = str(engine.url)
    if key not in _TABLES:
        _TABLES[key] = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    return _TABLES[key]


def _empty_postgresql(conn, tables: list[str], fall_back: bool = True) -> bool:
    """DELETE with the foreign-key triggers off, then every sequence back to 1. A TRUNCATE of the
    hundred tables gives each a new file (0.3 s on an idle machine, 2 s on a busy one); after a
    test most of them are empty, and deleting from an empty table costs next to nothing. Needs a
    superuser (the local server's trust role); otherwise the TRUNCATE it replaces, if
    ``fall_back``. True when the triggers are off for the rest of the transaction."""
    try:
        with conn.begin_nested():
            conn.execute(text("SET LOCAL session_replication_role = replica"))
    except Exception:
        if fall_back:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                              + " RESTART IDENTITY CASCADE"))
        return False
    conn.exec_driver_sql("; ".join(f'DELETE FROM "{t}"' for t in tables))
    sequences = conn.execute(text(
        "select quote_ident(schemaname) || '.' || quote_ident(sequencename) from pg_sequences"
        " where schemaname = current_schema()")).scalars().all()
    if sequences:
        conn.execute(text("SELECT " + ", ".join(f"setval('{s}', 1, false)" for s in sequences)))
    return True


def _has_sequence(conn) -> bool:
    return conn.execute(text(
        "select 1 from sqlite_master where name='sqlite_sequence'")).first() is not None


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session in its own transaction, committed at the end of the test body if no error;
    the database is emptied after the test."""
    try:
        with transaction(engine) as s:
            yield s
    finally:
        _empty(engine)


@pytest.fixture
def demo_session(engine, clock) -> Iterator[Session]:
    """A session on the demo data set, as ``clausier demo load`` leaves it on the test clock's
    day (loaded once per worker, then put back: ``tests/dbcopy.py``); emptied afterwards."""
    from tests import dbcopy

    dbcopy.demo_committed(engine, clock)
    try:
        with transaction(engine) as s:
            yield s
    finally:
        _empty(engine)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.on(date(2026, 11, 24))


@pytest.fixture
def actor() -> Actor:
    return Actor(name="test@clausier.local", role="admin")


@pytest.fixture
def clean_engine(engine) -> Iterator[Engine]:
    """The engine, for tests that open their own transactions (CLI, web); emptied afterwards."""
    try:
        yield engine
    finally:
        _empty(engine)


STAFF_EMAIL = "admin@test.local"
STAFF_PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match[1]


def log_in(client, email: str, password: str, **extra):
    """Post the login form as a browser does (GET the form for its CSRF token first)."""
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token, **extra}, follow_redirects=False)


@pytest.fixture
def client(clean_engine, clock):
    """A browser on the app (no one logged in), with the test clock."""
    from fastapi.testclient import TestClient

    from tests.apps import app_for

    with TestClient(app_for(clean_engine, clock)) as test_client:
        yield test_client


def create_user(engine, clock, actor, email: str = STAFF_EMAIL, **fields):
    """A user created and committed through the service (an admin unless told otherwise)."""
    from clausier.accounts import service as accounts

    fields = {"name": "Ada Admin", "role": "admin", "password": STAFF_PASSWORD, **fields}
    with transaction(engine) as s:
        return accounts.create_user(s, clock, actor, email=email, **fields).id


@pytest.fixture
def staff_client(client, clean_engine, clock, actor):
    """The browser, logged in as an admin (``STAFF_EMAIL``)."""
    create_user(clean_engine, clock, actor)
    response = log_in(client, STAFF_EMAIL, STAFF_PASSWORD)
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def smtp_port(monkeypatch) -> int:
    """A loopback port the mail settings point to, on which nothing listens until a test starts a
    server there."""
    port = free_port()
    point_mail_to(monkeypatch, port)
    return port


@pytest.fixture
def smtp_inbox(smtp_port) -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) the app's mails go to; what it received."""
    with smtp_server(smtp_port) as inbox:
        yield inbox
