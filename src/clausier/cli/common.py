"""What every command shares: a transaction, the acting user, the clock, errors and ``--json``.

``clausier --help`` imports every room's ``cli`` module, so these modules import at load time only
what declaring their commands needs; a room's services (SQLAlchemy, Polars, WeasyPrint...) are
imported inside the commands that use them (a plain ``from clausier.<room> import service`` at
the top of the command's body: loaded at the first use, visible to the import contracts)."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from clausier.core.clock import Clock, clock_for
from clausier.core.errors import ClausierError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from clausier.audit.service import Actor

console = Console()
error_console = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")
TodayOption = typer.Option(None, "--today", help="Act as if today were this date (YYYY-MM-DD).",
                           formats=["%Y-%m-%d"])


@dataclass
class Command:
    session: Session
    clock: Clock
    actor: Actor


def cli_actor() -> Actor:
    from clausier.audit.service import Actor

    return Actor(name=os.environ.get("CLAUSIER_ACTOR") or f"cli:{getpass.getuser()}")


@contextmanager
def command(today: datetime | date | None = None, engine: Engine | None = None, *,
            writes: bool = False, json_errors: bool = False) -> Iterator[Command]:
    """Open one transaction for a command (on ``engine``, by default the configured database);
    a ``ClausierError`` becomes a clear message, exit 2 (with ``json_errors``, for ``--json``:
    the refusal as JSON on stdout, the API's problem shape). A command that ``writes`` after reading
    starts as a writer (``write_transaction``): on SQLite, a reader that another process wrote
    after cannot become a writer."""
    from sqlalchemy.exc import OperationalError

    from clausier.db.session import WriterBusy, transaction, write_transaction

    day = today.date() if isinstance(today, datetime) else today
    try:
        with (write_transaction(engine) if writes else transaction(engine)) as session:
            yield Command(session=session, clock=clock_for(today=day), actor=cli_actor())
    except ClausierError as exc:
        fail(exc, as_json=json_errors)
    except (OperationalError, WriterBusy) as exc:
        error_console.print(f"[bold red]Error:[/] {_database_failure(exc)}", highlight=False)
        raise typer.Exit(code=2) from None


def _database_failure(exc: Exception) -> str:
    """What went wrong with the database, and what to do (the likely cause, not a guess)."""
    from clausier.db.session import WriterBusy

    if isinstance(exc, WriterBusy):
        return f"{exc}; nothing was written, run the command again"
    reason = str(exc.orig).splitlines()[0]
    if "locked" in reason or "busy" in reason:
        return (f"database: {reason}: another process kept writing (a bill run?); nothing was "
                "written, run the command again")
    if "no such table" in reason or "no such column" in reason or "does not exist" in reason:
        return f"database: {reason} (is the schema up to date? run 'clausier db upgrade')"
    return f"database: {reason} (is the database reachable? see CLAUSIER_DATABASE_URL)"


def fail(exc: ClausierError, as_json: bool = False) -> None:
    if as_json:
        print_json({"refused": True, **exc.to_problem()})
        raise typer.Exit(code=2)
    # The stable code closes the line, in brackets, for a script or a support request to quote.
    error_console.print(f"[bold red]Error:[/] {exc.message} \\[{exc.code}]", highlight=False,
                        soft_wrap=True)
    for problem in exc.problems[:50]:
        error_console.print(f"  - {problem}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")


def print_table(title: str, columns: list[str], rows: list[list[object]]) -> None:
    """A table that cuts nothing: on a narrow terminal long cells fold onto a second line, and
    the first column (a reference, a number) stays whole."""
    table = Table(title=title)
    for position, column in enumerate(columns):
        table.add_column(column, no_wrap=position == 0, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(table)


def euros(amount: str | Decimal | None) -> str:
    """An amount as every command prints it (``99,00 €``), not as the JSON carries it."""
    from clausier.core.money import fr_format

    return "" if amount is None or amount == "" else fr_format(Decimal(amount))


def family_name(code: str) -> str:
    """A service family by its name (``Analogue and ISDN lines (VGA)``), not its code."""
    from clausier.web.labels import FAMILIES

    return FAMILIES.get(code, code)


@dataclass(frozen=True)
class Names:
    """Who the rows of a table are about: customers by name, subscriptions by reference, read
    once for the whole table from the rooms that own them."""

    customers: dict[int, str]
    subscriptions: dict[int, str]

    def customer(self, customer_id: int | None) -> str:
        return self.customers.get(customer_id, "") if customer_id is not None else ""

    def subscription(self, subscription_id: int | None) -> str:
        return (self.subscriptions.get(subscription_id, "")
                if subscription_id is not None else "")


def names_of(session: Session, rows: list[dict], customer_key: str = "customer_id",
             subscription_key: str = "subscription_id") -> Names:
    from clausier.contracts import facts as contract_facts
    from clausier.customers import facts as customer_facts

    customer_ids = {row[customer_key] for row in rows if row.get(customer_key) is not None}
    subscription_ids = {row[subscription_key] for row in rows
                        if row.get(subscription_key) is not None}
    subscriptions = contract_facts.subscriptions(session, subscription_ids)
    return Names(customer_facts.names(session, customer_ids),
                 {sid: facts.ref for sid, facts in subscriptions.items()})
