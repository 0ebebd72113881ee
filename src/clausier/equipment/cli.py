"""``clausier equipment ...``: inventory, shipments, returns, sold items, SIM cards, appointments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import typer

from clausier.cli.common import (JsonOption, Names, TodayOption, command, console, euros,
                                 names_of, print_json, print_table)
from clausier.core.clock import PARIS


app = typer.Typer(no_args_is_help=True, help="Equipment: inventory, returns and penalties, SIM cards.")

DateArg = dict(formats=["%Y-%m-%d"])


def _items_table(title: str, rows: list[dict], names: Names) -> None:
    print_table(title, ["Serial", "Kind", "State", "Mode", "Owner", "Customer", "Return due", "Penalty"],
                [[r["serial"], r["kind_name"], r["state"], r["provision_mode"], r["owner"],
                  names.customer(r["customer_id"]), r["return_due_on"],
                  euros((r.get("penalty") or {}).get("total"))] for r in rows])


@app.command("list")
def list_items(state: str = typer.Option(None), customer: int = typer.Option(None, help="Customer id."),
               kind: str = typer.Option(None), as_json: bool = JsonOption):
    """The inventory, filtered by state, customer or kind."""
    from clausier.equipment import service, shapes

    with command() as cmd:
        items = service.list_items(cmd.session, state, customer, kind)
        rows = shapes.item_dicts(items, service.kinds_of(cmd.session, items))
        names = names_of(cmd.session, rows)
    print_json(rows) if as_json else _items_table("Equipment", rows, names)


@app.command()
def show(serial: str, today: datetime = TodayOption, as_json: bool = JsonOption):
    """One item, with who owns it today and its warranty."""
    from clausier.equipment import service, shapes

    with command(today) as cmd:
        item = service.get_item(cmd.session, serial)
        data = shapes.item_dict(item, service.kind_of(cmd.session, item))
        if data["subscription_id"]:
            data["ownership"] = service.ownership(cmd.session, serial, cmd.clock.today())
    if as_json:
        print_json(data)
        return
    print_table(serial, ["", ""], [[k, v] for k, v in data.items() if k != "sim"])


@app.command()
def register(operator: int = typer.Option(..., help="Operator id."), kind: str = typer.Option(...),
             serial: list[str] = typer.Argument(..., help="Serial numbers (ICCID for a SIM)."),
             today: datetime | None = TodayOption):
    """Put new items in stock."""
    from clausier.equipment import service

    with command(today) as cmd:
        for one in serial:
            if kind == "sim":
                service.register_sim(cmd.session, cmd.clock, cmd.actor, operator, one)
            else:
                service.register_item(cmd.session, cmd.clock, cmd.actor, operator, kind, one)
    console.print(f"{len(serial)} item(s) in stock")


@app.command()
def ship(serial: str, subscription: str = typer.Option(...),
         mode: str = typer.Option(..., help="loaned | rented | sold"),
         on: datetime = typer.Option(..., **DateArg), received: datetime = typer.Option(None, **DateArg),
         value: str = typer.Option(None, help="Replacement value on the order."),
         price: str = typer.Option(None, help="Sale price on the order."),
         rent: str = typer.Option(None, help="Monthly rent on the order."), today: datetime = TodayOption):
    """Ship an item for a subscription (its first shipment dates the subscription's)."""
    from clausier.equipment import service

    with command(today, writes=True) as cmd:
        service.ship(cmd.session, cmd.clock, cmd.actor, serial, subscription, mode, on.date(),
                     received_on=received.date() if received else None,
                     replacement_value=Decimal(value) if value else None,
                     sale_price=Decimal(price) if price else None, monthly_rent=Decimal(rent) if rent else None)
    console.print(f"{serial} shipped ({mode})")


@app.command()
def deliver(serial: str, on: datetime = typer.Option(..., **DateArg), today: datetime = TodayOption):
    """The carrier delivered the item at the customer's."""
    from clausier.equipment import service

    with command(today, writes=True) as cmd:
        service.record_delivery(cmd.session, cmd.clock, cmd.actor, serial, on.date())
    console.print(f"{serial} delivered on {on.date().isoformat()}")


@app.command()
def receive(serial: str, on: datetime = typer.Option(..., **DateArg), today: datetime = TodayOption):
    """The customer received the item."""
    from clausier.equipment import service

    with command(today, writes=True) as cmd:
        service.record_receipt(cmd.session, cmd.clock, cmd.actor, serial, on.date())
    console.print(f"{serial} received on {on.date().isoformat()}")


@app.command()
def install(serial: str, on: datetime = typer.Option(..., **DateArg), today: datetime | None = TodayOption):
    from clausier.equipment import service

    with command(today) as cmd:
        service.install(cmd.session, cmd.clock, cmd.actor, serial, on.date())
    console.print(f"{serial} installed")


@app.command("return")
def record_return(serial: str, on: datetime = typer.Option(..., **DateArg),
                  condition: str = typer.Option("good", help="good | damaged"),
                  repair_cost: str = typer.Option(None, help="Repairs of a damaged return."),
                  today: datetime | None = TodayOption):
    """The item came back; repairs of a damaged one are billed up to its replacement value."""
    from clausier.equipment import service

    with command(today) as cmd:
        charge = service.record_return(cmd.session, cmd.clock, cmd.actor, serial, on.date(), condition,
                                       Decimal(repair_cost) if repair_cost else None)
    console.print(f"{serial} returned ({condition})" + (f"\n{charge.to_text()}" if charge else ""))


@app.command("paid")
def paid_in_full(serial: str, on: datetime = typer.Option(..., **DateArg), today: datetime | None = TodayOption):
    """A sold item is paid in full (title passes where the sheet keeps it until then)."""
    from clausier.equipment import service

    with command(today) as cmd:
        item = service.record_paid_in_full(cmd.session, cmd.clock, cmd.actor, serial, on.date())
        owner = item.owner
    console.print(f"{serial}: owner {owner}")


@app.command("returns-due")
def returns_due(today: datetime = TodayOption, customer: int = typer.Option(None), as_json: bool = JsonOption):
    """Returns due this week, with the penalty each miss would bill."""
    from clausier.equipment import service, shapes

    with command(today) as cmd:
        start, end = service.week_of(cmd.clock.today())
        rows = shapes.return_dicts(service.returns_due(cmd.session, start, end, customer))
        names = names_of(cmd.session, rows)
    print_json(rows) if as_json else _items_table(f"Returns due {start} → {end}", rows, names)


@app.command()
def tick(today: datetime = TodayOption):
    """Run the equipment step of the daily tick for a date (idempotent)."""
    from clausier.equipment import service

    with command(today) as cmd:
        summary = service.tick(cmd.session, cmd.clock, cmd.actor, cmd.clock.today())
    console.print(summary)


@app.command("sim-suspend")
def sim_suspend(sim: str = typer.Argument(..., help="ICCID or MSISDN"),
                reason: str = typer.Option(..., help="loss | theft"), today: datetime = TodayOption):
    from clausier.equipment import service

    with command(today) as cmd:
        service.suspend_sim(cmd.session, cmd.clock, cmd.actor, sim, reason, cmd.clock.today())
    console.print(f"{sim} suspended ({reason})")


@app.command("sim-swap")
def sim_swap(sim: str = typer.Argument(..., help="ICCID or MSISDN of the old card"),
             new: str = typer.Option(..., help="ICCID of the new card"),
             reason: str = typer.Option(..., help="loss | theft | blocked | faulty"),
             today: datetime = TodayOption):
    """Move the line to a new SIM (billed on the next invoice)."""
    from clausier.equipment import service

    with command(today) as cmd:
        service.swap_sim(cmd.session, cmd.clock, cmd.actor, sim, new, reason, cmd.clock.today())
    console.print(f"{sim} → {new}")


@app.command("sim-puk")
def sim_puk(iccid: str, puk: str = typer.Option(..., prompt=True, hide_input=True), today: datetime | None = TodayOption):
    """Record the SIM's PUK (asked without echo; stored encrypted; the PIN is never stored)."""
    from clausier.equipment import service

    with command(today) as cmd:
        service.set_sim_puk(cmd.session, cmd.clock, cmd.actor, iccid, puk)
    console.print("PUK recorded (encrypted)")


@app.command("sim-puk-show")
def sim_puk_show(sim: str = typer.Argument(..., help="ICCID or MSISDN"), today: datetime | None = TodayOption):
    """Show the SIM's PUK (the reading is audited)."""
    from clausier.equipment import service

    with command(today) as cmd:
        puk = service.show_puk(cmd.session, cmd.clock, cmd.actor, sim)
    console.print(puk)


@app.command("appointment")
def appointment(subscription: str, at: datetime = typer.Option(..., formats=["%Y-%m-%dT%H:%M"]),
                price: str = typer.Option(..., help="Installation service price from the quote.")):
    """Book an installation appointment."""
    from clausier.equipment import service

    with command() as cmd:
        row = service.book_appointment(cmd.session, cmd.clock, cmd.actor, subscription,
                                       at.replace(tzinfo=PARIS), Decimal(price))
        cmd.session.flush()
        ident = row.id
    console.print(f"appointment {ident}")


@app.command("appointment-cancel")
def appointment_cancel(appointment_id: int, today: datetime | None = TodayOption):
    """The customer cancels now: billed when less than the sheet's business hours ahead."""
    from clausier.equipment import service

    with command(today) as cmd:
        fee = service.cancel_appointment(cmd.session, cmd.clock, cmd.actor, appointment_id)
    console.print(fee.to_text() if fee else "cancelled free of charge")
