"""Rows of a test database saved once and put back in a fraction of a second.

Building the demo world takes seconds of CPU (7 s on SQLite, more on PostgreSQL); a dozen modules
and tests start from it, on both legs of the suite. Each worker builds it once, saves its rows, and
puts them back for the next user instead of building it again. What is put back is byte for byte
what was built: the same rows, the same ids, the same next value of every sequence.

SQLite: the whole file through SQLite's online backup API (``sqlite3.Connection.backup``).
PostgreSQL: every table copied into a schema of its own, inside the same database (the engine of a
test is bound to its database, so a ``CREATE DATABASE … TEMPLATE`` cannot take its place), and the
sequences' values beside them; putting back is a delete and an ``INSERT … SELECT`` per table with
the foreign-key triggers off, which needs a superuser (the local server's trust role): without one,
``restore`` says so and the caller builds the data again.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.conftest import _empty_postgresql, _tables

_SAVED: set[tuple[str, str]] = set()


def saved(engine: Engine, name: str) -> bool:
    return (str(engine.url), name) in _SAVED


def save(engine: Engine, name: str) -> None:
    """Keep the database's rows as ``name`` (committed data only)."""
    if engine.dialect.name == "sqlite":
        target = sqlite3.connect(_file_of(engine, name))
        raw = engine.raw_connection()
        try:
            raw.driver_connection.backup(target)
        finally:
            raw.close()
            target.close()
    else:
        schema = _schema_of(name)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            for table in _tables(engine):
                conn.execute(text(f'CREATE TABLE "{schema}"."{table}" AS TABLE "{table}"'))
            conn.execute(text(
                f'CREATE TABLE "{schema}"."_sequences" AS SELECT quote_ident(schemaname) || \'.\''
                " || quote_ident(sequencename) AS name, last_value FROM pg_sequences"
                " WHERE schemaname = current_schema()"))
    _SAVED.add((str(engine.url), name))


def restore(engine: Engine, name: str) -> bool:
    """Put the rows saved as ``name`` back in place of whatever the database holds; False (and
    nothing changed) when they were never saved or cannot be put back here."""
    if not saved(engine, name):
        return False
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_file_of(engine, name))
        raw = engine.raw_connection()
        try:
            source.backup(raw.driver_connection)
        finally:
            raw.close()
            source.close()
        return True
    schema = _schema_of(name)
    with engine.begin() as conn:
        if not _empty_postgresql(conn, _tables(engine), fall_back=False):
            return False
        for table in _tables(engine):
            conn.execute(text(f'INSERT INTO "{table}" SELECT * FROM "{schema}"."{table}"'))
        sequences = conn.execute(text(f'SELECT name, last_value FROM "{schema}"."_sequences"'
                                      " WHERE last_value IS NOT NULL")).all()
        if sequences:
            conn.execute(text("SELECT " + ", ".join(
                f"setval('{sequence}', {value}, true)" for sequence, value in sequences)))
    return True


def _file_of(engine: Engine, name: str) -> str:
    database = Path(engine.url.database)
    return str(database.with_name(f"{database.stem}.{name}.saved"))


def _schema_of(name: str) -> str:
    return f"saved_{name}"


def demo_committed(engine: Engine, clock) -> None:
    """The demo data set, as ``clausier demo load`` leaves it on the clock's day, committed in
    place of whatever the database holds: loaded the first time, put back afterwards."""
    from clausier.audit.service import Actor
    from clausier.db.session import transaction
    from clausier.demo import service as demo

    name = f"demo_{clock.today():%Y%m%d}"
    if restore(engine, name):
        return
    from tests.conftest import _empty

    _empty(engine)
    with demo_files():
        with transaction(engine) as s:
            demo.load_demo(s, clock, Actor.system("test"))
    save(engine, name)


@contextmanager
def demo_files() -> Iterator[None]:
    """The files the demo writes (its call records, its letters) in a directory of their own:
    the usage store is read by customer id, which the tests' own customers reuse."""
    data_dir = os.environ.get("CLAUSIER_DATA_DIR")
    os.environ["CLAUSIER_DATA_DIR"] = tempfile.mkdtemp(prefix="clausier-demo-")
    try:
        yield
    finally:
        if data_dir is None:
            del os.environ["CLAUSIER_DATA_DIR"]
        else:
            os.environ["CLAUSIER_DATA_DIR"] = data_dir
