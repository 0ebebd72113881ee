"""Engine and transactions. Services receive a ``Session``; adapters open the transaction."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from clausier.core.settings import Settings


@lru_cache(maxsize=8)
def engine_for(url: str, *, prepared_statements: bool = True) -> Engine:
    """An engine for ``url``. ``prepared_statements=False`` (PostgreSQL): statements are never
    prepared on the server, so each is planned for its own values and the tables' current size;
    for the bill run's batches, whose tables grow from one batch to the next (a prepared plan
    made while a table was empty would read it whole ever after)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _make_sqlite_transactional(engine)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10,
                           connect_args={} if prepared_statements else {"prepare_threshold": None})
    _ping_when_idle(engine)
    return engine


# A pooled connection unused this long is tried before it is handed out (the server may have
# restarted or dropped it meanwhile); one in steady use is not.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """``pool_pre_ping`` for the connections that sat idle: pinging every checkout cost each
    request a round trip to the server (a fifth of a portal read's CPU, and the server's). A
    connection found dead is replaced by the pool (``DisconnectionError``), as with the
    pre-ping."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"database: a pooled connection is gone ({error})") from error


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
        if mode is not None:            # None: ``single_read``, no transaction
            connection.exec_driver_sql(mode)


@contextmanager
def single_read(engine: Engine) -> Iterator[Connection]:
    """A connection for one statement that reads, outside any transaction (one statement is
    consistent on its own): the database sees that statement, no BEGIN and no ROLLBACK around
    it. For reads made hundreds of times a second (a device's poll)."""
    if engine.dialect.name != "sqlite":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection
        return
    with engine.connect() as connection:
        connection.info["sqlite_begin"] = None
        try:
            yield connection
        finally:                        # not left for the connection's next unit of work
            connection.info.pop("sqlite_begin", None)


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


# A writer waits this long for its turn (the busy timeout of SQLite connections, above) before
# it fails: nothing waits forever, so a server always stops.
WRITE_WAIT_SECONDS = 30


class WriterBusy(RuntimeError):
    """The database stayed busy with other writers for ``WRITE_WAIT_SECONDS``."""


class WriteGate:
    """The SQLite writers of one process, one at a time, first come first served.

    Hand-written because the standard locks do not fit: ``threading.Lock`` is not fair (a bill
    run releasing it and taking it again at once starves the requests queued behind it),
    ``threading.RLock`` must be released by the thread that took it (a request's transaction
    begins and ends in different threads of the pool), and neither can be awaited by the event
    loop without blocking a thread. Here a waiter is a thread or an event-loop future; the
    holder hands the gate straight to the first waiter."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[Callable[[], None]] = deque()

    def _try_enter(self, wake: Callable[[], None]) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            self._waiters.append(wake)
            return False

    def _give_up(self, wake: Callable[[], None]) -> bool:
        """Leave the queue; False when the gate was handed over meanwhile (it is ours)."""
        with self._mutex:
            if wake in self._waiters:
                self._waiters.remove(wake)
                return True
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft()()       # handed over: the gate stays held
            else:
                self._held = False

    @contextmanager
    def held(self, timeout: float = WRITE_WAIT_SECONDS) -> Iterator[None]:
        """Hold the gate in this thread (taken and released by it)."""
        handed_over = threading.Event()
        if not self._try_enter(handed_over.set):
            if not handed_over.wait(timeout) and self._give_up(handed_over.set):
                raise WriterBusy(f"database: busy with other writers for {timeout:.0f} s")
        try:
            yield
        finally:
            self.release()

    @asynccontextmanager
    async def held_async(self, timeout: float = WRITE_WAIT_SECONDS) -> AsyncIterator[None]:
        """Hold the gate from the event loop: a waiting request holds no thread of the pool."""
        loop = asyncio.get_running_loop()
        handed_over = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(lambda: handed_over.done() or handed_over.set_result(None))

        if not self._try_enter(wake):
            try:
                await asyncio.wait_for(asyncio.shield(handed_over), timeout)
            except (TimeoutError, asyncio.CancelledError) as stop:
                if not self._give_up(wake):
                    self.release()
                if isinstance(stop, TimeoutError):
                    raise WriterBusy(f"database: busy with other writers for {timeout:.0f} s") \
                        from None
                raise
        try:
            yield
        finally:
            self.release()


@lru_cache(maxsize=8)
def write_gate(engine: Engine) -> WriteGate:
    return WriteGate()


def writer_turn(engine: Engine) -> AbstractAsyncContextManager:
    """An event-loop writer's turn: the ``write_gate`` on SQLite; nothing to wait for on
    PostgreSQL (row locks)."""
    return write_gate(engine).held_async() if engine.dialect.name == "sqlite" else nullcontext()


@contextmanager
def immediate_transaction(engine: Engine) -> Iterator[Session]:
    """A unit of work that starts as a writer: ``BEGIN IMMEDIATE`` on SQLite (a deferred
    transaction that read before another connection committed cannot become a writer after
    it: SQLITE_BUSY_SNAPSHOT, which the busy timeout does not retry); an ordinary transaction
    on PostgreSQL. The caller holds the process's ``write_gate`` on SQLite."""
    if engine.dialect.name != "sqlite":
        with transaction(engine) as session:
            yield session
        return
    with engine.connect() as connection:
        connection.info["sqlite_begin"] = "BEGIN IMMEDIATE"
        with Session(bind=connection, expire_on_commit=False) as session, session.begin():
            yield session


@contextmanager
def write_transaction(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work that writes, for code that runs in one thread (commands, bill runs,
    device calls): on SQLite the writers of this process queue on the ``write_gate`` (SQLite's
    own busy handler sleeps with a growing back-off, which turns a burst of short writes into
    a convoy), then take the database's write lock at BEGIN."""
    engine = engine or default_engine()
    if engine.dialect.name != "sqlite":
        with transaction(engine) as session:
            yield session
        return
    with write_gate(engine).held(), immediate_transaction(engine) as session:
        yield session


# Methods that do not change anything (HTTP): their requests stay concurrent readers.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_writes(engine: Engine, method: str) -> bool:
    """Whether a request's unit of work starts as a SQLite writer (and queues on the gate)."""
    return engine.dialect.name == "sqlite" and method.upper() not in SAFE_METHODS


def request_transaction(engine: Engine, method: str):
    """The unit of work of an HTTP request: a request that may write starts as a writer (the
    adapter holds the ``write_gate`` around it, from the event loop); a read stays a reader,
    which WAL never makes wait on a writer. On PostgreSQL a read runs its reads outside a
    transaction (``_reading_outside_transactions``)."""
    if request_writes(engine, method):
        return immediate_transaction(engine)
    if engine.dialect.name != "sqlite" and method.upper() in SAFE_METHODS:
        return transaction(_reading_outside_transactions(engine))
    return transaction(engine)


# A statement that neither writes nor locks rows.
_PLAIN_READ = re.compile(r"\s*SELECT\b(?!.*\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|KEY\s+SHARE|SHARE)\b)",
                         re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=8)
def _reading_outside_transactions(engine: Engine) -> Engine:
    """The engine of PostgreSQL reads (GET requests): its plain SELECTs run in autocommit, which
    saves the BEGIN and COMMIT round trips (two thirds of the database's work for a portal
    read). The same consistency as a transaction: at READ COMMITTED, PostgreSQL's level, each
    statement of a transaction sees its own snapshot anyway. The first statement that writes or
    locks rows (a read request may record something, e.g. a session's use) begins a
    transaction, which then commits or rolls back with the unit of work as usual."""
    reading = engine.execution_options(isolation_level="AUTOCOMMIT")

    @event.listens_for(reading, "before_cursor_execute")
    def _begin_before_writing(connection, _cursor, statement, _parameters, _context, _many):
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.autocommit and not _PLAIN_READ.match(statement):
            dbapi_connection.autocommit = False     # psycopg sends BEGIN before this statement

    @event.listens_for(_factory(reading), "after_begin")
    def _connected(session, _transaction, connection):
        session.info[_READING_CONNECTION] = connection

    return reading


_READING_CONNECTION = "reading_connection"


def ends_without_io(session: Session) -> bool:
    """Whether ending a request's unit of work sends nothing to the database: a PostgreSQL read
    whose statements all ran outside a transaction, nothing left to flush (its COMMIT is then
    a no-op, and its connection goes back to the pool as it is)."""
    connection = session.info.get(_READING_CONNECTION)
    return (connection is not None and not connection.closed and not connection.invalidated
            and connection.connection.dbapi_connection.autocommit
            and not (session.new or session.dirty or session.deleted))


def database_now(session: Session) -> datetime:
    """The database's time: what leases between processes are measured on (the business clock
    may stand still, ``--today``; every process and host sees the same database clock)."""
    from sqlalchemy import func, select

    from clausier.db.types import Instant

    return session.scalar(select(func.current_timestamp(type_=Instant())))


def lock_for_writing(session: Session, name: str) -> None:
    """Serialise writers of one kind (e.g. the bill run of a period) until the transaction ends.

    The same statement works on both databases: an UPDATE takes a row lock on PostgreSQL
    and the database write lock on SQLite."""
    from sqlalchemy import select, update
    from sqlalchemy.exc import IntegrityError

    from clausier.db.models import AppLock

    if session.scalar(select(AppLock.name).where(AppLock.name == name)) is None:
        try:
            with session.begin_nested():
                session.add(AppLock(name=name))
        except IntegrityError:
            pass    # another writer created the row meanwhile: its lock is taken just below
    session.execute(update(AppLock).where(AppLock.name == name).values(name=name))
