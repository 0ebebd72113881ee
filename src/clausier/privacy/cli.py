"""``clausier privacy ...``: purge, export, erase, register, requests, holds, sub-processors."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer

from clausier.cli.common import (JsonOption, TodayOption, command, console,
                                 print_json, print_table)


app = typer.Typer(no_args_is_help=True, help="Personal data: retention, requests, register.")
requests_app = typer.Typer(no_args_is_help=True, help="Data-subject requests.")
app.add_typer(requests_app, name="requests")

DateArg = dict(formats=["%Y-%m-%d"])
SubjectOption = typer.Option("customer", help="customer | contact")


def _day(value: datetime | None, cmd) -> date:
    return value.date() if value else cmd.clock.today()


@app.command()
def purge(today: datetime = TodayOption, as_json: bool = JsonOption):
    """Delete what the retention rules make due today (once per day) and print the report."""
    from clausier.privacy import service, shapes

    with command(today) as cmd:
        run = service.purge(cmd.session, cmd.clock, cmd.actor, _day(today, cmd))
        _, lines = service.purge_report(cmd.session, run.day)
        data = shapes.run_to_dict(run, lines)
    if as_json:
        print_json(data)
        return
    print_table(f"Purge of {data['day']}", ["Operator", "Data", "What", "Deleted", "Held", "Clause"],
                [[l["operator"], l["data"], l["what"], f"{l['count']} {l['unit']}", l["held"],
                  l["clause"]] for l in data["lines"]])
    console.print(f"{data['deleted']} deleted, {data['held']} kept by legal holds")


@app.command()
def export(subject_id: int, output: Path = typer.Option(..., "--output", "-o"),
           subject: str = SubjectOption):
    """Write the ZIP (JSON + CSV) of everything held about a customer or a contact."""
    from clausier.privacy import service

    with command() as cmd:
        output.write_bytes(service.export_zip(cmd.session, subject, subject_id))
    console.print(f"Written {output}")


@app.command()
def erase(subject_id: int, subject: str = SubjectOption, today: datetime = TodayOption,
          as_json: bool = JsonOption):
    """Erase or pseudonymise what no legal obligation requires keeping; say what is kept."""
    from clausier.privacy import service

    with command(today) as cmd:
        report = service.erase(cmd.session, cmd.clock, cmd.actor, subject, subject_id,
                               _day(today, cmd)).as_dict()
    if as_json:
        print_json(report)
        return
    print_table(f"Erasure of {subject} {subject_id}", ["Table", "Column", "Action", "Why"],
                [[d["table"], d["column"], d["action"], d["reason"]] for d in report["decisions"]])


@app.command()
def register(as_json: bool = JsonOption):
    """The register of processing activities, generated from the sheets."""
    from clausier.privacy import service

    with command() as cmd:
        entries = [e.as_dict() for e in service.processing_register(cmd.session)]
    if as_json:
        print_json(entries)
        return
    # imported here: the CLI starts without the web modules (tests/cli/test_startup.py)
    from babel.support import NullTranslations

    from clausier.web.labels import label

    english = NullTranslations()

    def words(table: str, codes: list[str]) -> str:
        return ", ".join(label(english, table, code) for code in codes)

    for e in entries:
        purpose = label(english, "register_purpose", e["purpose"])
        print_table(f"{e['operator']} — {e['role']}: {purpose}", ["", ""], [
            ["Legal basis", label(english, "legal_basis", e["legal_basis"])],
            ["Data", words("data_category", e["data_categories"])],
            ["People", words("data_subject", e["data_subjects"])],
            ["Retention", "\n".join(_retention_text(r) for r in e["retention"])],
            ["Recipients", words("recipient", e["recipients"])],
            ["Sub-processors", ", ".join(e["sub_processors"]) or "—"],
            ["Clauses", "\n".join(e["clauses"])]])


def _retention_text(item: dict) -> str:
    """One retention item of the register in English words, with its clause."""
    from babel.support import NullTranslations

    from clausier.privacy.rules import RetentionPeriod
    from clausier.terms.schema import DayCount
    from clausier.web.labels import label

    english = NullTranslations()
    if "obligation" in item:
        return (f"{label(english, 'legal_obligation', item['obligation'])}: "
                f"{item['years']} years — {item['clause']}")
    period = RetentionPeriod(item["data"], item["months"], item["days"],
                             DayCount(item["counted_in"]), item["after"], item["clause"])
    data = label(english, "retained_data", item["data"])
    return f"{data}: {period.describe()} — {item['clause']}"


@app.command()
def hold(customer_id: int, reason: str = typer.Option(..., "--reason"),
         lift: bool = typer.Option(False, "--lift", help="Lift the hold instead."),
         today: datetime = TodayOption):
    """Place (or lift) a legal hold: no purge nor erasure for the customer meanwhile."""
    from clausier.privacy import service

    with command(today) as cmd:
        act = service.lift_legal_hold if lift else service.place_legal_hold
        act(cmd.session, cmd.clock, cmd.actor, customer_id, reason, _day(today, cmd))
    console.print(f"Legal hold {'lifted' if lift else 'placed'} on customer {customer_id}")


@requests_app.command("list")
def list_requests(status: str = typer.Option(None), as_json: bool = JsonOption):
    """Requests with their deadlines."""
    from clausier.privacy import service, shapes

    with command() as cmd:
        rows = [shapes.request_to_dict(r) for r in service.list_requests(cmd.session, status)]
    if as_json:
        print_json(rows)
        return
    print_table("Data-subject requests", ["Ref", "Kind", "Customer", "Requester", "Received",
                                          "Deadline", "Status"],
                [[r["ref"], r["kind"], r["customer_id"], r["requester"], r["received_on"],
                  r["deadline"], r["status"]] for r in rows])


@requests_app.command("open")
def open_request(kind: str, requester: str = typer.Option(...),
                 customer: int = typer.Option(None), contact: int = typer.Option(None),
                 email: str = typer.Option(""), details: str = typer.Option(""),
                 received: datetime = typer.Option(None, **DateArg), as_json: bool = JsonOption):
    """Log a request (access, rectification, erasure, restriction, portability, objection)."""
    from clausier.privacy import service, shapes

    with command(received) as cmd:
        request = service.open_request(cmd.session, cmd.clock, cmd.actor, kind=kind,
                                       received_on=_day(received, cmd), requester=requester,
                                       customer_id=customer, contact_id=contact,
                                       requester_email=email, details=details)
        data = shapes.request_to_dict(request)
    if as_json:
        print_json(data)
        return
    console.print(f"{data['ref']}: due {data['due_on']} ({data['clause']})")


@requests_app.command("extend")
def extend(ref: str, reason: str = typer.Option(...), today: datetime = TodayOption):
    """Extend the deadline, with the reasons told to the person."""
    from clausier.privacy import service

    with command(today) as cmd:
        request = service.extend_request(cmd.session, cmd.clock, cmd.actor, ref, reason,
                                         _day(today, cmd))
        due = request.extended_due_on
    console.print(f"{ref}: due {due}")


@requests_app.command("answer")
def answer(ref: str, note: str = typer.Option(""), today: datetime = TodayOption):
    """Carry out the request (export, erasure) or record what was done."""
    from clausier.privacy import service

    with command(today) as cmd:
        request = service.answer_request(cmd.session, cmd.clock, cmd.actor, ref,
                                         _day(today, cmd), note)
        export = request.export_file
    console.print(f"{ref}: answered" + (f", export {export}" if export else ""))
