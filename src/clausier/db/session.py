"""Engine and transactions. Services receive a ``Session``; adapters open the transaction."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from clausier.core.settings import Settings


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _make_sqlite_transactional(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _make_sqlite_transactional(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, emit BEGIN, so SAVEPOINT and ``BEGIN IMMEDIATE`` locks work
    (the recipe of the SQLAlchemy SQLite dialect documentation)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # The setting SQLite recommends with WAL: no corruption, no fsync on every commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.info.pop("sqlite_begin", "BEGIN")
        connection.exec_driver_sql(mode)


def default_engine() -> Engine:
    return engine_for(Settings.from_env().database_url)


@lru_cache(maxsize=8)
def _factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = _factory(engine or default_engine())()
    try:
        with session.begin():
            yield session
    finally:
        session.close()


@contextmanager
def write_transaction(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work that writes: on SQLite it takes the write lock at BEGIN (``BEGIN
    IMMEDIATE``), so that concurrent writers queue on the lock instead of failing to upgrade a
    read transaction ("database is locked"); on PostgreSQL it is an ordinary transaction."""
    engine = engine or default_engine()
    if engine.dialect.name != "sqlite":
        with transaction(engine) as session:
            yield session
        return
    # Writers of this process queue on a Python lock first: SQLite's own busy handler sleeps
    # with a growing back-off, which turns a burst of short writes into a convoy.
    with _sqlite_write_lock(engine), engine.connect() as connection:
        connection.info["sqlite_begin"] = "BEGIN IMMEDIATE"
        with Session(bind=connection, expire_on_commit=False) as session, session.begin():
            yield session


# Methods that do not change anything (HTTP): their requests stay concurrent readers.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_transaction(engine: Engine, method: str):
    """The unit of work of an HTTP request. A request that may write takes SQLite's write lock
    at BEGIN: a deferred transaction that read before another connection committed (a bill run's
    batch) cannot become a writer after it (WAL: SQLITE_BUSY_SNAPSHOT, which the busy timeout
    does not retry), so it failed with "database is locked"; queued on the lock, it waits."""
    return transaction(engine) if method.upper() in SAFE_METHODS else write_transaction(engine)


@lru_cache(maxsize=8)
def _sqlite_write_lock(engine: Engine) -> threading.RLock:
    return threading.RLock()


def lock_for_writing(session: Session, name: str) -> None:
    """Serialise writers of one kind (e.g. the bill run of a period) until the transaction ends.

    The same statement works on both databases: an UPDATE takes a row lock on PostgreSQL
    and the database write lock on SQLite."""
    from sqlalchemy import select, update

    from clausier.db.models import AppLock

    if session.scalar(select(AppLock.name).where(AppLock.name == name)) is None:
        with session.begin_nested():
            session.add(AppLock(name=name))
    session.execute(update(AppLock).where(AppLock.name == name).values(name=name))
