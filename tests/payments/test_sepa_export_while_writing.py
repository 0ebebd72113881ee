"""``clausier sepa export`` while another process writes (a bill run's batch): the export waits
for its turn and succeeds. Before, on SQLite, its transaction read, the other writer committed,
and the export could no longer write: "database is locked (is the schema up to date? run
'clausier db upgrade')", which pointed at the wrong cause (issue 17 §8)."""

from __future__ import annotations

import json
import threading
from datetime import date

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from clausier.cli.common import _database_failure
from clausier.db.session import WriterBusy, transaction
from tests.payments.helpers import billed_customer
from tests.payments.test_adapters import SYSTEM, run  # noqa: F401  (the CLI fixture)
from tests.payments.test_sepa import IBAN_CUSTOMER, IBAN_OZONE

HOLD_SECONDS = 3


def test_the_export_waits_for_a_writer_of_another_connection_and_succeeds(
        run, clean_engine, tmp_path):  # noqa: F811
    with transaction(clean_engine) as s:
        ref = billed_customer(s, SYSTEM, "ozone", family="internet_fibre", monthly_fee="34.90",
                              go_live=date(2025, 10, 1), period="2025-10",
                              issue_on=date(2025, 10, 3), kind="household",
                              name="Jeanne Durand").customer.ref
    assert run("sepa", "creditor", "ozone", "--name", "OZONE SAS", "--iban", IBAN_OZONE,
               "--creditor-id", "FR12ZZZ123456", "--prenotification-days", "2").exit_code == 0
    assert run("mandate", "add", ref, "--reference", "OZ-RUM-9", "--iban", IBAN_CUSTOMER,
               "--signed-on", "2025-09-20", "--today", "2025-10-03").exit_code == 0
    assert run("tick", "--today", "2025-10-03").exit_code == 0

    writing, done = threading.Event(), threading.Event()

    def other_writer() -> None:
        with clean_engine.connect() as connection:
            connection.info["sqlite_begin"] = "BEGIN IMMEDIATE"
            connection.execute(text("UPDATE operators SET name = name"))
            writing.set()
            done.wait(HOLD_SECONDS)
            connection.commit()

    writer = threading.Thread(target=other_writer)
    writer.start()
    try:
        assert writing.wait(30)
        threading.Timer(HOLD_SECONDS, done.set).start()
        exported = run("sepa", "export", "--collection-date", "2025-10-05",
                       "-o", tmp_path / "collection.xml", "--today", "2025-10-05", "--json")
    finally:
        done.set()
        writer.join(30)
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)[0]["debits"] == 1


def test_a_busy_database_is_told_as_such_not_as_a_schema_to_upgrade():
    locked = OperationalError("INSERT …", {}, Exception("database is locked"))
    assert _database_failure(locked) == (
        "database: database is locked: another process kept writing (a bill run?); nothing was "
        "written, run the command again")
    missing = OperationalError("SELECT …", {}, Exception("no such table: invoices"))
    assert _database_failure(missing) == (
        "database: no such table: invoices (is the schema up to date? run 'clausier db upgrade')")
    assert _database_failure(WriterBusy("database: busy with other writers for 30 s")) == (
        "database: busy with other writers for 30 s; nothing was written, run the command again")
