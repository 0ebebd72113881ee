"""Every command whose outcome depends on the date takes ``--today`` (issue 18 §7), so that a
what-if date reaches every rule; checked on the command tree itself, and on one command."""

from __future__ import annotations

import inspect
import json
from datetime import date

import typer
from typer.testing import CliRunner

from clausier.cli.main import app
from clausier.db.session import transaction

# Commands that read the clock only to stamp what they create (audit, created_at), whose
# outcome no rule derives from the date.
STAMPS_ONLY = {
    "user", "terms", "catalog", "customer", "demo", "db upgrade", "sepa creditor", "rate add",
    "import",        # the dates of what it imports come from the file (docs/IMPORT.md)
}
# The parameters that stand for "today" (a command may name its moment otherwise).
DATE_PARAMETERS = {"today", "at", "received"}


def _commands(typer_app: typer.Typer, prefix: str = ""):
    """(command path, the function behind it), through every group."""
    for info in typer_app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")
        yield f"{prefix}{name}", info.callback
    for group in typer_app.registered_groups:
        name = group.name or group.typer_instance.info.name
        yield from _commands(group.typer_instance, f"{prefix}{name} ")


def test_every_command_that_reads_the_clock_takes_today():
    missing = [path for path, function in _commands(app)
               if path not in STAMPS_ONLY and path.split(" ")[0] not in STAMPS_ONLY
               and "cmd.clock" in inspect.getsource(function)
               and not DATE_PARAMETERS & set(inspect.signature(function).parameters)]
    assert missing == []


def test_a_credit_note_is_dated_by_today(clean_engine, db_url, actor, tmp_path, monkeypatch):
    """A credit note is issued on the day it is made: a what-if date dates it."""
    from tests.payments.helpers import billed_customer

    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path / "var"))
    with transaction(clean_engine) as s:
        number = billed_customer(s, actor, "technicophone", family="sip_trunk",
                                 monthly_fee="1000.00", go_live=date(2025, 10, 1), period="2025-10",
                                 issue_on=date(2025, 10, 3)).invoice.number
    result = CliRunner().invoke(app, ["invoice", "credit", number, "--reason", "billing error",
                                      "--amount", "100", "--today", "2025-10-20", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["issue_date"] == "2025-10-20"
