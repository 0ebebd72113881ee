"""The ``clausier`` command answers at once (issue "Set-up that cannot drift"): its help and its
read commands import only what they use — not the data frames (Polars, pyarrow), the PDF engine
(WeasyPrint, Typst), the web stack (FastAPI, Starlette, uvicorn) nor the migrations (Alembic).

The command runs in a fresh interpreter, as a user runs it; ``-X importtime`` lists every module
it imports. No timing is asserted: the figures are in the report of the change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest
import typer
from typer.testing import CliRunner

from clausier.cli.main import app, room_commands
from clausier.contracts.service import LineInput
from clausier.db.session import transaction
from clausier.payments.ledger.late_payment import RATE_NAMES
from tests import factories

HEAVY_PACKAGES = {"polars", "pyarrow", "weasyprint", "typst", "fastapi", "starlette", "uvicorn", "alembic"}


def run_clausier(*args: str, database_url: str | None = None) -> tuple[str, set[str]]:
    """``python -m clausier.cli.main ARGS`` -> (its output, the top-level packages it imported)."""
    env = {**os.environ, "COLUMNS": "200"}
    if database_url:
        env["CLAUSIER_DATABASE_URL"] = database_url
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "clausier.cli.main", *args],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    imported = {line.rpartition("|")[2].strip().partition(".")[0]
                for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "clausier" in imported      # -X importtime did report the imports
    return done.stdout, imported


def test_help_lists_every_room_without_loading_the_heavy_libraries():
    output, imported = run_clausier("--help")
    assert imported & HEAVY_PACKAGES == set()
    # Not even the database layer: the rooms' services load with their first command.
    assert "sqlalchemy" not in imported
    groups = {name for name, _ in room_commands() if name is not None}
    assert groups <= set(output.split())
    assert {"billrun", "serve", "tick", "rate", "ticket"} <= set(output.split())


def test_contract_list_reads_the_database_without_the_heavy_libraries(db_url, clean_engine, clock,
                                                                      actor):
    with transaction(clean_engine) as session:
        operator = factories.operator(session, clock, actor, "technicophone")
        factories.offer(session, operator, "sip-10", "sip_trunk", "450.00", unit="trunk")
        customer = factories.customer(session, clock, operator)
        [subscription] = factories.subscription(
            session, clock, actor, customer, [LineInput(customer.sites[0].id, "sip-10")],
            signed_on=date(2025, 1, 10), go_live_on=date(2025, 2, 1))
        ref = subscription.ref

    output, imported = run_clausier("contract", "list", "--json", database_url=db_url)

    assert imported & HEAVY_PACKAGES == set()
    # CGV art. 7 (Technicophone): the initial period is 36 months by default.
    assert [(row["ref"], row["status"], row["commitment_months"])
            for row in json.loads(output)] == [(ref, "active", 36)]


@pytest.mark.parametrize("args", [("payment", "list"), ("outbox", "list"), ("privacy", "register")],
                         ids=" ".join)
def test_other_read_commands_load_no_heavy_library(args, db_url, clean_engine, clock, actor):
    # Payments once loaded sepaxml and schwifty, the outbox FastAPI, privacy Polars.
    with transaction(clean_engine) as session:
        factories.operator(session, clock, actor, "technicophone")

    output, imported = run_clausier(*args, "--json", database_url=db_url)

    assert imported & (HEAVY_PACKAGES | {"sepaxml", "schwifty"}) == set()
    rows = json.loads(output)
    if args[0] == "privacy":
        assert ("technicophone", "controller") in {(row["operator"], row["role"]) for row in rows}
    else:
        assert rows == []


def _command_paths(group: typer.core.TyperGroup, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, typer.core.TyperGroup):
            yield from _command_paths(command, (*prefix, name))


@pytest.mark.parametrize("path", sorted(_command_paths(typer.main.get_command(app))), ids=" ".join)
def test_every_command_still_shows_its_help(path):
    shown = CliRunner().invoke(app, [*path, "--help"])
    assert shown.exit_code == 0, shown.output
    assert "Usage:" in shown.output


def test_the_help_of_rate_add_names_every_rate_the_service_knows():
    shown = CliRunner().invoke(app, ["rate", "add", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert all(name in shown.output for name in RATE_NAMES)
