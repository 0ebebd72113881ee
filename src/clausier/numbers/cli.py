"""``clausier number ...`` (inventory, SDA, moves) and ``clausier port in|out|show ...``."""

from __future__ import annotations

from datetime import datetime

import typer

from clausier.cli.common import (JsonOption, Names, TodayOption, command, console, names_of,
                                 print_json, print_table)


app = typer.Typer(no_args_is_help=True, help="Numbers: inventory, SDA blocks, assignment, site moves.")
port_app = typer.Typer(no_args_is_help=True, help="Portability: port numbers in and out.")

DateArg = dict(formats=["%Y-%m-%d"])


def _numbers_table(rows: list[dict], names: Names) -> None:
    print_table("Numbers", ["Number", "Kind", "Zone", "Status", "Customer", "Subscription", "Released"],
                [[r["number"], r["kind"], r["numbering_zone"], r["status"],
                  names.customer(r["customer_id"]), names.subscription(r["subscription_id"]),
                  r["released_on"]] for r in rows])


@app.command("list")
def list_numbers(status: str = typer.Option(None), kind: str = typer.Option(None),
                 customer: int = typer.Option(None), as_json: bool = JsonOption):
    from clausier.numbers import service, shapes

    with command() as cmd:
        rows = [shapes.number_dict(n) for n in service.list_numbers(cmd.session, status, kind, customer)]
        names = names_of(cmd.session, rows)
    print_json(rows) if as_json else _numbers_table(rows, names)


@app.command()
def add(numbers: list[str], operator: int = typer.Option(...), kind: str = typer.Option(...),
        zone: str = typer.Option("", help="Numbering zone of geographic numbers."),
        today: datetime | None = TodayOption):
    """Numbers allotted to the operator join the inventory."""
    from clausier.numbers import service

    with command(today) as cmd:
        rows = service.add_numbers(cmd.session, cmd.clock, cmd.actor, operator, numbers, kind, zone)
    console.print(f"{len(rows)} number(s) added")


@app.command()
def assign(number: str, subscription: str = typer.Option(...), on: datetime = typer.Option(..., **DateArg), today: datetime | None = TodayOption):
    from clausier.numbers import service

    with command(today) as cmd:
        service.assign(cmd.session, cmd.clock, cmd.actor, number, subscription, on.date())
    console.print(f"{number} → {subscription}")


@app.command()
def sda(subscription: str, first: str = typer.Option(...), count: int = typer.Option(...),
        on: datetime = typer.Option(..., **DateArg),
        today: datetime | None = TodayOption):
    """Order SDA numbers by whole blocks (an order of 15 is refused where blocks are of 10)."""
    from clausier.numbers import service

    with command(today) as cmd:
        rows = service.order_sda(cmd.session, cmd.clock, cmd.actor, subscription, first, count, on.date())
        last = rows[-1].number
    console.print(f"{count} SDA {first} → {last}")


@app.command()
def move(subscription: str, site: int = typer.Option(..., help="New site id."),
         on: datetime = typer.Option(..., **DateArg), as_json: bool = JsonOption,
         today: datetime | None = TodayOption):
    """Move a line to another site: numbers kept only within the same numbering zone."""
    from clausier.numbers import service

    with command(today) as cmd:
        result = service.move_site(cmd.session, cmd.clock, cmd.actor, subscription, on.date(), site)
    if as_json:
        print_json(result)
        return
    console.print(f"kept: {', '.join(result['kept']) or '-'}\nlost: {', '.join(result['lost']) or '-'}")


def _port_table(rows: list[dict]) -> None:
    print_table("Porting requests", ["Id", "Dir", "Number", "Kind", "Requested", "Porting date", "Status",
                                     "Refusal"],
                [[r["id"], r["direction"], r["number"], r["kind"], r["requested_on"], r["porting_date"],
                  r["status"], "; ".join(x["detail"] for x in r["refusal_reasons"])] for r in rows])


@port_app.command("in")
def port_in(number: str, subscription: str = typer.Option(...), rio: str = typer.Option(None),
            mandate: datetime = typer.Option(None, help="Date the porting mandate was signed.", **DateArg),
            wanted: datetime = typer.Option(None, help="Porting date wanted or agreed.", **DateArg),
            inactive: bool = typer.Option(False, help="The donor says the number is inactive."),
            today: datetime = TodayOption, as_json: bool = JsonOption):
    """Request a port-in: refused with its reasons, or scheduled (business days, holidays skipped)."""
    from clausier.numbers import service, shapes

    with command(today) as cmd:
        request = service.port_in(cmd.session, cmd.clock, cmd.actor, subscription, number, rio=rio,
                                  mandate_signed_on=mandate.date() if mandate else None,
                                  requested_on=cmd.clock.today(), wanted=wanted.date() if wanted else None,
                                  number_active_at_donor=not inactive)
        cmd.session.flush()
        data = shapes.port_dict(request)
    print_json(data) if as_json else _port_table([data])


@port_app.command("out")
def port_out(number: str, porting_date: datetime = typer.Option(None, **DateArg),
             today: datetime = TodayOption, as_json: bool = JsonOption):
    """A port-out request: the termination request of the line, with its exit quote."""
    from clausier.numbers import service, shapes

    with command(today) as cmd:
        request, quote = service.port_out(cmd.session, cmd.clock, cmd.actor, number, cmd.clock.today(),
                                          porting_date.date() if porting_date else None)
        cmd.session.flush()
        data = {**shapes.port_dict(request), "quote": quote}
    if as_json:
        print_json(data)
        return
    _port_table([data])
    print_table("Exit quote", ["Line", "Computation", "Amount", "Clause"],
                [[l["label"], l["formula"], l["amount"], l["clause"]] for l in quote["lines"]]
                + [["Total", "", quote["total"], ""]])


@port_app.command("show")
def show(request_id: int = typer.Argument(None), status: str = typer.Option(None), as_json: bool = JsonOption):
    """One porting request, or the list."""
    from clausier.numbers import service, shapes

    with command() as cmd:
        rows = ([shapes.port_dict(service.get_port(cmd.session, request_id))] if request_id
                else [shapes.port_dict(p) for p in service.list_ports(cmd.session, status)])
    print_json(rows) if as_json else _port_table(rows)


@port_app.command("done")
def done(request_id: int, on: datetime = typer.Option(..., **DateArg), today: datetime | None = TodayOption):
    from clausier.numbers import service

    with command(today) as cmd:
        service.complete_port(cmd.session, cmd.clock, cmd.actor, request_id, on.date())
    console.print(f"port {request_id} done")


@port_app.command("cancel")
def cancel(request_id: int, today: datetime = TodayOption):
    from clausier.numbers import service

    with command(today) as cmd:
        service.cancel_port(cmd.session, cmd.clock, cmd.actor, request_id, cmd.clock.today())
    console.print(f"port {request_id} cancelled")


@app.command()
def tick(today: datetime = TodayOption):
    """Run the numbers step of the daily tick for a date (idempotent)."""
    from clausier.numbers import service

    with command(today) as cmd:
        console.print(service.tick(cmd.session, cmd.clock, cmd.actor, cmd.clock.today()))
