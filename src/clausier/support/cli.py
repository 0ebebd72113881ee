"""``clausier ticket open|confirm|pause|resume|qualify|restore|close|show|list`` and
``clausier sla report|claim|outage``.

Every command that records a fact takes ``--at`` (the instant of the fact, Europe/Paris when no
offset is given); it defaults to now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import typer

from clausier.cli.common import TodayOption, JsonOption, command, console, print_json, print_table
from clausier.core.clock import PARIS, Clock, clock_for


app = typer.Typer()
ticket_app = typer.Typer(no_args_is_help=True, help="Incident tickets and their restoration clock.")
sla_app = typer.Typer(no_args_is_help=True, help="Service levels: monthly report, claims, outages.")
app.add_typer(ticket_app, name="ticket")
app.add_typer(sla_app, name="sla")

INSTANT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
AtOption = typer.Option(None, "--at", formats=INSTANT_FORMATS,
                        help="When it happened (YYYY-MM-DDTHH:MM, Paris time); default: now.")
MonthOption = typer.Option(..., "--month", formats=["%Y-%m"], help="The month, YYYY-MM.")


def _clock(at: datetime | None, default: Clock) -> Clock:
    return clock_for(at=at) if at else default


def _print_ticket(data: dict) -> None:
    from clausier.support import rules

    target = data["target"]
    clock = data["clock"]
    elapsed = rules.duration_text(_delta(clock["elapsed_seconds"]))
    rows = [["Status", data["status"]], ["Called at", data["called_at"]],
            ["Confirmed at", data["confirmed_at"]], ["Clock start", f"{clock['start']} ({clock['start_reason']})"],
            ["Counted", elapsed + (" (paused now)" if clock["paused_now"] else "")],
            ["Restored at", data["restored_at"]], ["Access", data["access"]],
            ["Option", data["service_level_option"]]]
    if target:
        left = rules.duration_text(_delta(target["left_seconds"]))
        rows += [["Target", f"{target['label']} — {target['clause']}"],
                 ["Left", f"[red]{left} (breached)[/]" if target["breached"] else left],
                 ["Deadline", target["deadline"]]]
    else:
        rows.append(["Target", "none (best efforts)"])
    rows.append(["Billable", data["qualification"]["billable"]])
    print_table(f"{data['ref']} — {data['description']}", ["", ""], rows)
    if data.get("events"):
        print_table("Events", ["At", "Event", "By"],
                    [[e["at"], e["kind"], e["actor"]] for e in data["events"]])


def _delta(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=PARIS)


def _show(ref: str, clock: Clock, cmd, as_json: bool) -> None:
    from clausier.support import service, shapes

    data = shapes.ticket_to_dict(service.clock_of(cmd.session, service.get_ticket(cmd.session, ref),
                                                   clock.now()), with_events=True)
    if as_json:
        print_json(data)
    else:
        _print_ticket(data)


@ticket_app.command("open")
def open_ticket(subscription: str = typer.Argument(..., help="Subscription reference."),
                reporter: int = typer.Option(..., help="Id of the contact reporting the incident."),
                description: str = typer.Option(...), location: str = typer.Option(""),
                consequences: str = typer.Option(""),
                inform: list[str] = typer.Option([], help="Person to keep informed: 'Name <email>' "
                                                          "or 'Name, phone' (repeatable)."),
                site: list[int] = typer.Option([], help="Site affected (repeatable)."),
                access: str = typer.Option(None, help="Access affected when the service has several."),
                channel: str = typer.Option("phone"), at: datetime = AtOption,
                as_json: bool = JsonOption):
    """Open a ticket for an authorised incident reporter of the customer."""
    from clausier.support import service

    with command() as cmd:
        clock = _clock(at, cmd.clock)
        ticket = service.open_ticket(cmd.session, clock, cmd.actor, service.TicketInput(
            subscription=subscription, reporter_contact_id=reporter, description=description,
            location=location, consequences=consequences,
            keep_informed=[_person(text) for text in inform], site_ids=list(site), access=access,
            channel=channel))
        _show(ticket.ref, clock, cmd, as_json)


def _person(text: str) -> dict:
    if "<" in text and text.endswith(">"):
        name, _, email = text[:-1].partition("<")
        return {"name": name.strip(), "email": email.strip()}
    name, _, phone = text.partition(",")
    return {"name": name.strip(), "phone": phone.strip()}


def _act(action, ref: str, at: datetime | None, as_json: bool, **options) -> None:
    with command() as cmd:
        clock = _clock(at, cmd.clock)
        action(cmd.session, clock, cmd.actor, ref, **options)
        _show(ref, clock, cmd, as_json)


@ticket_app.command()
def confirm(ref: str, at: datetime = AtOption, as_json: bool = JsonOption):
    """The written confirmation (fax or e-mail) of the call has arrived."""
    from clausier.support import service

    _act(service.confirm, ref, at, as_json)


@ticket_app.command()
def pause(ref: str, at: datetime = AtOption, as_json: bool = JsonOption):
    """Site access requested: the clock is frozen until access is given."""
    from clausier.support import service

    _act(service.request_access, ref, at, as_json)


@ticket_app.command()
def resume(ref: str, at: datetime = AtOption, as_json: bool = JsonOption):
    """Site access given: the clock runs again."""
    from clausier.support import service

    _act(service.give_access, ref, at, as_json)


@ticket_app.command()
def restore(ref: str, at: datetime = AtOption, as_json: bool = JsonOption):
    """Restoration notified to the customer: the clock stops."""
    from clausier.support import service

    _act(service.restore, ref, at, as_json)


@ticket_app.command()
def close(ref: str, at: datetime = AtOption, as_json: bool = JsonOption):
    """Close and archive: the interruption time is fixed; a major anomaly becomes outages."""
    from clausier.support import service

    _act(service.close, ref, at, as_json)


@ticket_app.command()
def qualify(ref: str, in_scope: bool = typer.Option(None, "--in-scope/--out-of-scope"),
            anomaly: str = typer.Option(None, help="major or minor"),
            excusable: str = typer.Option(None, help="Excusable event of the terms, e.g. force_majeure."),
            misuse: bool = typer.Option(False, help="Caused by abnormal or fraudulent use."),
            note: str = typer.Option(""), at: datetime = AtOption, as_json: bool = JsonOption):
    """Qualify the incident; out of scope or misuse makes the ticket billable."""
    from clausier.support import service

    _act(service.qualify, ref, at, as_json, in_scope=in_scope, anomaly=anomaly,
         excusable_event=excusable, misuse=misuse, note=note)


@ticket_app.command()
def show(ref: str, at: datetime = AtOption, as_json: bool = JsonOption):
    """A ticket with its clock, target, time left and events."""
    with command() as cmd:
        _show(ref, _clock(at, cmd.clock), cmd, as_json)


@ticket_app.command("list")
def list_tickets(customer: str = typer.Option(None, help="Customer reference or id."),
                 all_states: bool = typer.Option(False, "--all", help="Closed tickets too."),
                 at: datetime = AtOption, as_json: bool = JsonOption):
    """Open tickets, most urgent first, with the time left before their target."""
    from clausier.support import rules
    from clausier.support import service, shapes

    with command() as cmd:
        customer_id = service.get_customer(cmd.session, customer).id if customer else None
        now = _clock(at, cmd.clock).now()
        if all_states:
            clocks = [service.clock_of(cmd.session, t, now)
                      for t in service.list_tickets(cmd.session, customer_id=customer_id)]
        else:
            clocks = service.live_board(cmd.session, now, customer_id)
        rows = [shapes.ticket_to_dict(c) for c in clocks]
    if as_json:
        print_json(rows)
        return
    print_table("Tickets", ["Ref", "Status", "Called", "Counted", "Target", "Left"], [
        [r["ref"], r["status"], r["called_at"],
         rules.duration_text(_delta(r["clock"]["elapsed_seconds"])),
         r["target"]["label"] if r["target"] else "—",
         "" if not r["target"] else (("[red]" if r["target"]["breached"] else "")
                                     + rules.duration_text(_delta(r["target"]["left_seconds"]))
                                     + ("[/]" if r["target"]["breached"] else ""))]
        for r in rows])


@sla_app.command()
def report(month: datetime = MonthOption, customer: str = typer.Option(None),
           at: datetime = AtOption, as_json: bool = JsonOption):
    """Per subscription: availability, band, credit, restoration breaches, penalties, explained."""
    from clausier.support import service, shapes

    with command() as cmd:
        rows = [shapes.report_to_dict(r) for r in service.sla_report(
            cmd.session, _clock(at, cmd.clock), month.date(), customer)]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        availability = row["availability"]
        console.print(f"[bold]{row['subscription']}[/] {row['family']} — {row['month']} — "
                      f"fee {row['monthly_amount']} — availability "
                      f"{availability['percent'] or 'n/a'} % — claimable {row['total']}"
                      + (f" by {row['claim_deadline']}" if row["claim_deadline"] else ""))
        lines = availability["credit"]["lines"] + row["restoration"]["penalties"]["lines"]
        if lines:
            print_table("Credits and penalties", ["Line", "Computation", "Amount", "Clause"],
                        [[l["label"], l["formula"], l["amount"], l["clause"]] for l in lines])
        for ticket in row["restoration"]["tickets"]:
            if ticket["breached"]:
                console.print(f"  breach {ticket['ref']}: {ticket['target']} — {ticket['reason']}")
        for note in availability["notes"] + row["restoration"]["penalties"]["notes"]:
            console.print(f"  [dim]{note}[/]")


@sla_app.command()
def claim(customer: str, month: datetime = MonthOption, at: datetime = AtOption,
          as_json: bool = JsonOption):
    """The customer's claim for a month: the credits go to the next invoice."""
    from clausier.support import service, shapes

    with command() as cmd:
        data = shapes.claim_to_dict(service.claim(cmd.session, _clock(at, cmd.clock), cmd.actor,
                                                   customer, month.date()))
    if as_json:
        print_json(data)
        return
    console.print(f"Claim for {data['month']}: {data['total']} credited on the next invoice")
    for ref, explained in data["explanation"].items():
        print_table(ref, ["Line", "Computation", "Amount", "Clause"],
                    [[l["label"], l["formula"], l["amount"], l["clause"]] for l in explained["lines"]])
    for reason in data["refused"]:
        console.print(f"[yellow]refused[/] {reason}")


@sla_app.command()
def outage(subscription: str, start: datetime = typer.Option(..., "--from", formats=INSTANT_FORMATS),
           end: datetime = typer.Option(..., "--to", formats=INSTANT_FORMATS),
           excluded: str = typer.Option(None, help="Why it does not count (excusable event…)."),
           note: str = typer.Option(""),
           today: datetime | None = TodayOption):
    """Record a total outage of a service (for the availability objective)."""
    from clausier.support import service

    with command(today) as cmd:
        row = service.record_outage(cmd.session, cmd.clock, cmd.actor, subscription, _aware(start),
                                    _aware(end), excluded, note)
        console.print(f"Outage {row.started_at.isoformat()} → {row.ended_at.isoformat()} recorded")
