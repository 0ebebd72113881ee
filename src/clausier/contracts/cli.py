"""``clausier contract ...``: subscriptions, their timeline, exit quotes and transitions."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer

from clausier.cli.common import (JsonOption, TodayOption, command, console, family_name, names_of,
                                 print_json, print_table)
from clausier.core.explain import Explained


app = typer.Typer(no_args_is_help=True, help="Contracts: subscriptions, lifecycle, exit quotes.")
top_level = typer.Typer()

DateOption = dict(formats=["%Y-%m-%d"])


def _day(value: datetime | None, cmd) -> date:
    return value.date() if value else cmd.clock.today()


def _print_explained(title: str, explained: Explained, effective: date | None = None) -> None:
    rows = [[line.label, line.formula, line.amount, line.clause] for line in explained.lines]
    rows.append(["Total", "", explained.total, ""])
    print_table(title, ["Line", "Computation", "Amount", "Clause"], rows)
    for note in explained.notes:
        console.print(f"[dim]{note}[/]")
    if effective:
        console.print(f"Effective date: [bold]{effective.isoformat()}[/]")


def quote_json(quote) -> dict:
    """The documented JSON shape of an exit quote: amounts as decimal strings."""
    return {"effective_date": quote.effective_date.isoformat(), "total": str(quote.explained.total),
            "currency": quote.explained.currency,
            "lines": [{"label": l.label, "formula": l.formula, "amount": str(l.amount), "clause": l.clause}
                      for l in quote.explained.lines],
            "notes": list(quote.explained.notes)}


@app.command("list")
def list_contracts(customer: int = typer.Option(None, help="Customer id."),
                   status: str = typer.Option(None), family: str = typer.Option(None),
                   as_json: bool = JsonOption):
    """List subscriptions."""
    from clausier.contracts import service, shapes

    with command() as cmd:
        rows = [shapes.subscription_dict(s) for s in service.list_subscriptions(cmd.session, customer, status, family)]
        names = names_of(cmd.session, rows)
    if as_json:
        print_json(rows)
        return
    print_table("Subscriptions", ["Ref", "Customer", "Family", "Status", "Signed", "Go-live", "Months"],
                [[r["ref"], names.customer(r["customer_id"]), family_name(r["family"]), r["status"],
                  r["signed_on"], r["go_live_on"], r["commitment_months"]] for r in rows])


@app.command()
def show(ref: str, today: datetime = TodayOption, as_json: bool = JsonOption):
    """A subscription with its timeline: period, commitment end, notice deadline."""
    from clausier.contracts import service, shapes

    with command(today) as cmd:
        subscription = service.get_subscription(cmd.session, ref)
        data = shapes.subscription_dict(subscription, _day(today, cmd), cmd.session)
    if as_json:
        print_json(data)
        return
    t = data["timeline"]
    print_table(f"{data['ref']} — {family_name(data['family'])} ({data['status']})", ["", ""], [
        ["Sheet", data["sheet"]], ["Signed", data["signed_on"]], ["Go-live", data["go_live_on"]],
        ["Commitment start", t["commitment_start"]], ["Commitment end", t["commitment_end"]],
        ["Current period", t["current_period"] and f"{t['current_period']['kind']} "
                                                   f"{t['current_period']['start']} → {t['current_period']['end']}"],
        ["Last day to give notice", t["notice_deadline"]],
        ["A termination received today takes effect", t["termination_if_received_today"]],
    ])
    print_table(f"Items in force on {t['on']}", ["Offer", "Unit", "Qty", "Monthly fee", "Basis",
                                                 "From"],
                [[i["offer"], i["unit"], i["quantity"], i["monthly_fee"], i["price_basis"],
                  i["active_from"]] for i in data["items"]])


@app.command("quote-termination")
def quote_termination(ref: str,
                      received: datetime = typer.Option(..., help="Date the registered letter was received.",
                                                        **DateOption),
                      reason: str = typer.Option(None, help="Exemption ground, e.g. force_majeure."),
                      as_json: bool = JsonOption):
    """What terminating would cost (changes nothing)."""
    from clausier.contracts import service

    with command() as cmd:
        quote = service.quote_termination(cmd.session, ref, received.date(), reason)
    if as_json:
        print_json(quote_json(quote))
    else:
        _print_explained(f"Termination of {ref}, letter received {received.date().isoformat()}",
                         quote.explained, quote.effective_date)


@app.command()
def terminate(ref: str, received: datetime = typer.Option(..., **DateOption),
              reason: str = typer.Option(None),
              channel: str = typer.Option("registered_letter",
                                          help="How the notice came: registered_letter, email…"),
              today: datetime = TodayOption, as_json: bool = JsonOption):
    """Record a termination letter: the exit amount goes to the next invoice."""
    from clausier.contracts import service

    with command(today) as cmd:
        quote = service.give_notice(cmd.session, cmd.clock, cmd.actor, ref, received.date(), reason,
                                    channel=channel)
    if as_json:
        print_json(quote_json(quote))
    else:
        _print_explained(f"Termination of {ref} recorded", quote.explained, quote.effective_date)


@app.command()
def activate(ref: str, on: datetime = typer.Option(..., **DateOption),
             identifier: str = typer.Option(None, help="Line number, trunk, SIM… the usage records carry."),
             today: datetime = TodayOption, as_json: bool = JsonOption):
    """Go-live (*mise en service*, first connection, a pack's activation) of an ordered subscription."""
    from clausier.contracts import service

    with command(today, writes=True) as cmd:
        subscription = service.activate(cmd.session, cmd.clock, cmd.actor, ref, on.date(), identifier)
        _print_event(subscription, "activation", cmd, as_json)


def _print_event(subscription, event: str, cmd, as_json: bool) -> None:
    from clausier.contracts import service, shapes

    data = shapes.subscription_dict(subscription, cmd.clock.today(), cmd.session)
    if as_json:
        print_json(data)
        return
    day = data[service.LIFECYCLE_COLUMNS[event]]
    console.print(f"{data['ref']}: {event} recorded on {day.isoformat()}; commitment "
                  f"{data['timeline']['commitment_start'] or '—'} → {data['timeline']['commitment_end'] or '—'}")


def _goods_command(event: str, doc: str):
    def record(ref: str, on: datetime = typer.Option(..., help="The day it happened.", **DateOption),
               today: datetime = TodayOption, as_json: bool = JsonOption):
        from clausier.contracts import service

        with command(today, writes=True) as cmd:
            subscription = service.record_event(cmd.session, cmd.clock, cmd.actor, ref, event, on.date())
            _print_event(subscription, event, cmd, as_json)
    record.__doc__ = doc
    return record


app.command("ship")(_goods_command(
    "shipment", "The operator shipped the subscription's goods (Rozoh: the pack's service starts at "
                "the latest 12 months later)."))
app.command("deliver")(_goods_command(
    "delivery", "The goods were delivered at the customer's (Ozone: the withdrawal right for goods "
                "runs until the 14th day after)."))
app.command("receive")(_goods_command(
    "receipt", "The customer received the equipment (Ozone: billing starts at the latest 30 days after)."))


@app.command()
def status(ref: str, action: str = typer.Argument(..., help="suspend, restrict or resume"),
           on: datetime = typer.Option(..., **DateOption), reason: str = typer.Option(""),
           today: datetime | None = TodayOption):
    """Suspend, restrict or resume a subscription."""
    from clausier.contracts import service

    with command(today) as cmd:
        subscription = service.change_status(cmd.session, cmd.clock, cmd.actor,
                                             service.get_subscription(cmd.session, ref).id, action, on.date(), reason)
        console.print(f"{subscription.ref} is now {subscription.status}")


@app.command()
def withdraw(ref: str, on: datetime = typer.Option(..., **DateOption), today: datetime = TodayOption,
             as_json: bool = JsonOption):
    """Exercise the withdrawal right (refused with its reasons when not granted; with --json the
    refusal is the decision itself, exit code 2)."""
    from clausier.contracts import service

    with command(today) as cmd:
        decision = service.withdrawal_decision(cmd.session, ref, on.date())
        if decision.allowed or not as_json:     # a refusal without --json: the red message
            decision = service.withdraw(cmd.session, cmd.clock, cmd.actor, ref, on.date())
    if as_json:
        print_json(decision.as_dict())
        if not decision.allowed:
            raise typer.Exit(code=2)
    else:
        console.print(f"Withdrawal accepted (deadline {decision.deadline}, {decision.clause})")


@app.command()
def change(ref: str,
           add: list[str] = typer.Option([], "--add", help="OFFER=N: add N units of an offer."),
           remove: list[str] = typer.Option([], "--remove", help="OFFER=N: remove N units."),
           option: list[str] = typer.Option([], "--option", help="+CODE adds, -CODE removes."),
           offer: str = typer.Option(None, "--offer", help="Change the main offer to CODE."),
           on: datetime = typer.Option(..., help="Date the change is ordered.", **DateOption),
           recommit_months: int = typer.Option(None, help="New commitment, where the terms "
                                                          "offer a choice (Ozone: 12 or 24)."),
           quote_only: bool = typer.Option(False, "--quote", help="Quote only, change nothing."),
           as_json: bool = JsonOption,
           today: datetime | None = TodayOption):
    """Change a subscription's items (seats, licences, SDA blocks, options, offer): quoted with
    its clauses, then confirmed from its date (re-committed per the terms)."""
    from clausier.contracts import service

    with command(today) as cmd:
        wanted = service.parse_changes(add, remove, option, offer)
        if quote_only:
            quote = service.quote_change(cmd.session, ref, wanted, on.date(), recommit_months)
            data, order_ref = quote.as_dict(), None
        else:
            order = service.confirm_change(cmd.session, cmd.clock, cmd.actor, ref, wanted,
                                           on.date(), recommit_months)
            data, order_ref = order.quote, order.ref
    if as_json:
        print_json({"change_order": order_ref, **data})
        return
    _print_change(ref, data, order_ref)


def _print_change(ref: str, data: dict, order_ref: str | None) -> None:
    title = f"Change order {order_ref}" if order_ref else f"Quote of a change of {ref}"
    for name, part in (("one-off fees", data["one_off"]), ("monthly fees", data["monthly"]),
                       ("minimum billing", data["minimum_billing"])):
        if not part["lines"] and name == "minimum billing":
            continue
        rows = [[line["label"], line["formula"], line["amount"], line["clause"]]
                for line in part["lines"]]
        rows.append(["Total", "", part["total"], ""])
        print_table(f"{title}: {name}", ["Line", "Computation", "Amount", "Clause"], rows)
        for note in part["notes"]:
            console.print(f"[dim]{note}[/]")
    console.print(f"Monthly fees: {data['monthly_before']} → [bold]{data['monthly']['total']}[/] "
                  f"from {data['effective_date']}")
    if data["recommits"]:
        console.print(f"New commitment: {data['recommit_months']} months, to "
                      f"[bold]{data['commitment_end']}[/] (was {data['commitment_end_before']}; "
                      f"{data['recommit_clause']})")


@app.command("quote-change")
def quote_change(ref: str,
                 change: str = typer.Option(None, help="Grid entry, e.g. pack_downgrade (Ozone)."),
                 on: datetime = typer.Option(..., **DateOption),
                 add: list[str] = typer.Option([], "--add", help="OFFER=N: units to add."),
                 remove: list[str] = typer.Option([], "--remove", help="OFFER=N: to remove."),
                 option: list[str] = typer.Option([], "--option", help="+CODE or -CODE."),
                 offer: str = typer.Option(None, "--offer", help="New main offer."),
                 equipment_change: bool = typer.Option(False, help="New equipment is shipped."),
                 as_json: bool = JsonOption):
    """What a change would cost (changes nothing): a grid entry, or the items to change (every
    service family; refused with the clause where the terms allow none, or where the grid entry
    is about other services). The effective date follows from the service (a telephony
    contract's changes take effect on the first day of the next month, Ozone CGV art. 3.3)."""
    from clausier.contracts import service

    if change is None:
        with command(json_errors=as_json) as cmd:
            wanted = service.parse_changes(add, remove, option, offer)
            data = service.quote_change(cmd.session, ref, wanted, on.date()).as_dict()
        if as_json:
            print_json({"change_order": None, **data})
        else:
            _print_change(ref, data, None)
        return
    with command(json_errors=as_json) as cmd:
        quote = service.quote_plan_change(cmd.session, ref, change, on.date(),
                                          equipment_change=equipment_change)
    if as_json:
        print_json(quote.as_dict())
    else:
        _print_explained(f"Plan change {change} for {ref}", quote.explained, quote.effective_date)
        console.print(f"New commitment: {quote.recommit_months} months")


@app.command("quote-move")
def quote_move(ref: str, on: datetime = typer.Option(..., **DateOption),
               to_site: int = typer.Option(..., help="Id of the new site."), as_json: bool = JsonOption):
    """What a site move would cost and whether the numbers are kept (changes nothing)."""
    from clausier.contracts import service

    with command() as cmd:
        quote = service.quote_move(cmd.session, ref, on.date(), to_site)
    if as_json:
        print_json(quote.as_dict())
    else:
        _print_explained(f"Move of {ref}", quote.explained, quote.effective_date)


@top_level.command("import")
def import_file(path: Path = typer.Argument(..., exists=True, dir_okay=False, help="YAML or CSV file."),
                skip_bad_rows: bool = typer.Option(False, "--skip-bad-rows",
                                                   help="Import the good rows of a file with errors."),
                as_json: bool = JsonOption):
    """Import customers, sites, contacts, orders and changes from the old system
    (docs/IMPORT.md)."""
    from clausier.contracts.importing import import_file as run_import

    with command() as cmd:
        result = run_import(cmd.session, cmd.clock, cmd.actor, path, skip_bad_rows)
    if as_json:
        print_json(result.as_dict())
        return
    data = result.as_dict()
    console.print(f"Imported {data['customers']} customer(s), {data['sites']} site(s), "
                  f"{data['contacts']} contact(s), {data['orders']} order(s), "
                  f"{data['subscriptions']} subscription(s), {data['changes']} change(s); "
                  f"{data['already_imported']} already imported.")
    if result.references:
        print_table("References", ["Kind", "External reference", "Clausier reference", "Subscriptions", ""],
                    [[m.kind, m.external_ref, m.ref, ", ".join(m.subscriptions),
                      "already imported" if m.already_imported else ""] for m in result.references])
    for problem in result.report.problems:
        console.print(f"[yellow]skipped[/] line {problem.line}: {problem.field}: {problem.reason}")
