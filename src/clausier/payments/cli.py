"""Payments and collections commands: ``clausier payment|mandate|sepa|collections|dunning|
dispute|deposit|outbox ...`` (registered at the top level through ``top_level``), and the legal
interest rates, ``clausier rate add|list`` (``rate_app``, added to the rating room's ``rate``
group)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer

from clausier.cli.common import (JsonOption, TodayOption, command, console, euros, names_of,
                                 print_json, print_table)


top_level = typer.Typer()
payment_app = typer.Typer(no_args_is_help=True, help="Payments received, credits, refunds, set-off.")
mandate_app = typer.Typer(no_args_is_help=True, help="SEPA direct-debit mandates.")
sepa_app = typer.Typer(no_args_is_help=True, help="SEPA collection files (pain.008) and returns.")
rate_app = typer.Typer(no_args_is_help=True, help="The legal interest rates (add, list).")
collections_app = typer.Typer(no_args_is_help=True, help="What a customer owes and why.")
dunning_app = typer.Typer(no_args_is_help=True, help="The dunning queue and staff decisions.")
dispute_app = typer.Typer(no_args_is_help=True, help="Disputes of invoices.")
deposit_app = typer.Typer(no_args_is_help=True, help="Deposits and guarantees.")
outbox_app = typer.Typer(no_args_is_help=True, help="Letters, e-mails and SMS sent to customers.")
for name, group in (("payment", payment_app), ("mandate", mandate_app), ("sepa", sepa_app),
                    ("collections", collections_app), ("dunning", dunning_app),
                    ("dispute", dispute_app), ("deposit", deposit_app), ("outbox", outbox_app)):
    top_level.add_typer(group, name=name)

DateArg = typer.Option(None, formats=["%Y-%m-%d"], help="YYYY-MM-DD (default: today).")


def _day(value: datetime | None, cmd) -> date:
    return value.date() if value else cmd.clock.today()


# --------------------------------------------------------------------------- payment


@payment_app.command("record")
def record_payment(customer: str = typer.Argument(..., help="Customer reference."),
                   amount: str = typer.Argument(..., help="Amount received, e.g. 1200.00"),
                   method: str = typer.Option("transfer", help="transfer | card | cheque | direct_debit"),
                   on: datetime = DateArg, reference: str = typer.Option(""),
                   invoice: list[str] = typer.Option([], help="Allocate to this invoice (repeat)."),
                   today: datetime = TodayOption, as_json: bool = JsonOption):
    """Record a payment: allocated to the oldest open invoices unless --invoice is given. A
    bank --reference already recorded for the customer shows the first payment instead."""
    from clausier.payments.ledger import service as ledger
    from clausier.payments import shapes

    with command(today) as cmd:
        payment, repeated = ledger.record_payment_once(
            cmd.session, cmd.clock, cmd.actor, customer, amount, method, _day(on, cmd),
            reference, invoice)
        data = shapes.payment_dict(payment)
    if as_json:
        print_json(data)
        return
    title = f"Payment {data['id']}: {euros(data['amount'])} by {data['method']}"
    print_table(f"{title} (recorded before)" if repeated else title, ["Invoice", "Amount"],
                [[a["invoice"], euros(a["amount"])] for a in data["allocations"]])


@payment_app.command("list")
def list_payments(customer: str = typer.Option(None), as_json: bool = JsonOption):
    from clausier.payments import common
    from clausier.payments.ledger import service as ledger
    from clausier.payments import shapes

    with command() as cmd:
        customer_id = common.get_customer(cmd.session, customer).id if customer else None
        rows = [shapes.payment_dict(p) for p in ledger.list_payments(cmd.session, customer_id)]
        names = names_of(cmd.session, rows)
    if as_json:
        print_json(rows)
        return
    print_table("Payments", ["Id", "Customer", "Amount", "Method", "Received", "Status"],
                [[r["id"], names.customer(r["customer_id"]), euros(r["amount"]), r["method"],
                  r["received_on"], r["status"]] for r in rows])


@payment_app.command("refund")
def refund(credit_id: int, amount: str = typer.Option(None), on: datetime = DateArg,
           reference: str = typer.Option(""), today: datetime = TodayOption):
    """Refund (part of) a customer credit."""
    from clausier.payments.ledger import service as ledger

    with command(today) as cmd:
        row = ledger.refund_credit(cmd.session, cmd.clock, cmd.actor, credit_id, _day(on, cmd),
                                   amount, reference=reference)
        console.print(f"Refund {row.id}: {row.amount} on {row.refunded_on.isoformat()}")


@payment_app.command("set-off-notice")
def set_off_notice(customer: str, today: datetime = TodayOption):
    """Notify the customer that mutual debts will be set off (the notice must run first)."""
    from clausier.payments.ledger import service as ledger

    with command(today) as cmd:
        notice = ledger.send_set_off_notice(cmd.session, cmd.clock, cmd.actor, customer)
        console.print(f"Set-off notice sent on {notice.sent_on.isoformat()}")


@payment_app.command("offset")
def offset(customer: str, today: datetime = TodayOption):
    """Set the customer's credits off against its open invoices."""
    from clausier.payments.ledger import service as ledger

    with command(today) as cmd:
        payments = ledger.offset_credits(cmd.session, cmd.clock, cmd.actor, customer)
        console.print(f"{len(payments)} credit(s) set off")


# --------------------------------------------------------------------------- mandate


@mandate_app.command("add")
def add_mandate(customer: str, reference: str = typer.Option(...), iban: str = typer.Option(...),
                signed_on: datetime = typer.Option(..., formats=["%Y-%m-%d"]),
                bic: str = typer.Option(None), debtor_name: str = typer.Option(None),
                today: datetime = TodayOption, as_json: bool = JsonOption):
    """Record a signed SEPA mandate (IBAN/BIC checked)."""
    from clausier.payments.sepa import service as sepa
    from clausier.payments import shapes

    with command(today) as cmd:
        mandate = sepa.add_mandate(cmd.session, cmd.clock, cmd.actor, customer, reference=reference,
                                   signed_on=signed_on.date(), iban=iban, bic=bic,
                                   debtor_name=debtor_name)
        data = shapes.mandate_dict(mandate)
    print_json(data) if as_json else console.print(f"Mandate {data['reference']} ({data['bic']})")


@mandate_app.command("list")
def list_mandates(customer: str = typer.Option(None), as_json: bool = JsonOption):
    from clausier.payments import common
    from clausier.payments.sepa import service as sepa
    from clausier.payments import shapes

    with command() as cmd:
        customer_id = common.get_customer(cmd.session, customer).id if customer else None
        rows = [shapes.mandate_dict(m) for m in sepa.list_mandates(cmd.session, customer_id)]
        names = names_of(cmd.session, rows)
    if as_json:
        print_json(rows)
        return
    print_table("Mandates", ["Reference", "Customer", "IBAN", "BIC", "Signed", "Status"],
                [[r["reference"], names.customer(r["customer_id"]), r["iban"], r["bic"], r["signed_on"], r["status"]]
                 for r in rows])


# --------------------------------------------------------------------------- sepa


@sepa_app.command("creditor")
def creditor(operator: str, name: str = typer.Option(...), iban: str = typer.Option(...),
             creditor_id: str = typer.Option(..., help="SEPA creditor identifier (ICS)."),
             bic: str = typer.Option(None),
             prenotification_days: int = typer.Option(None, help="Days of pre-notification.")):
    """Set the operator's SEPA creditor account."""
    from clausier.payments.sepa import service as sepa

    with command() as cmd:
        row = sepa.set_creditor(cmd.session, cmd.clock, cmd.actor, operator, name=name, iban=iban,
                                creditor_identifier=creditor_id, bic=bic,
                                prenotification_days=prenotification_days)
        console.print(f"Creditor {row.name}: {row.iban} {row.bic} {row.creditor_identifier}")


@sepa_app.command("export")
def export(collection_date: datetime = typer.Option(..., formats=["%Y-%m-%d"]),
           output: Path = typer.Option(..., "-o", "--output", help="File to write (pain.008 XML)."),
           operator: str = typer.Option(None), today: datetime = TodayOption,
           as_json: bool = JsonOption):
    """Write the pain.008 file of the debits due by the date (validated against the XSD)."""
    from clausier.payments.sepa import service as sepa

    with command(today, writes=True) as cmd:
        files = sepa.export_collections(cmd.session, cmd.clock, cmd.actor,
                                        collection_date.date(), operator)
        rows = [{"message_id": f.message_id, "debits": f.items_count, "total": str(f.total),
                 "xml": f.xml} for f in files]
    if not rows:
        console.print(f"No debit to collect on {collection_date.date().isoformat()}.")
        raise typer.Exit(code=1)
    for index, row in enumerate(rows):
        path = output if index == 0 else output.with_name(f"{output.stem}-{index + 1}{output.suffix}")
        path.write_text(row.pop("xml"), encoding="utf-8")
        row["file"] = str(path)
    if as_json:
        print_json(rows)
        return
    print_table("pain.008 files", ["File", "Message id", "Debits", "Total"],
                [[r["file"], r["message_id"], r["debits"], r["total"]] for r in rows])


@sepa_app.command("returns")
def returns(file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                        help="Returns file: CSV (end_to_end_id;reason_code;"
                                             "returned_on;amount) or pain.002 XML."),
            today: datetime = TodayOption, as_json: bool = JsonOption):
    """Import rejected/returned debits: invoices reopened, rejection fee, dunning started."""
    from clausier.payments.sepa import service as sepa

    with command(today, writes=True) as cmd:
        report = sepa.import_returns(cmd.session, cmd.clock, cmd.actor, file.read_bytes(), str(file))
    if as_json:
        print_json({"accepted": report.accepted, "problems": [str(p) for p in report.problems]})
    else:
        console.print(f"{report.accepted} return(s) recorded")
        for problem in report.problems:
            console.print(f"[red]  - {problem}[/]", highlight=False)
    if report.problems:
        raise typer.Exit(code=2)


# --------------------------------------------------------------------------- rate

# The names of late_payment.RATE_NAMES, written out so that --help need not load the service
# (tests/cli/test_startup.py checks that they agree).
RATE_NAME_HELP = "legal-interest | ecb-refinancing"


@rate_app.command("add")
def add_rate(name: str = typer.Argument(..., help=RATE_NAME_HELP),
             half_year: str = typer.Argument(..., help="YYYY-H1 or YYYY-H2"),
             value: str = typer.Argument(..., help="Percent a year, e.g. 2.76")):
    """Record the rate in force for a half-year."""
    from clausier.payments.ledger import late_payment

    if name not in late_payment.RATE_NAMES:
        console.print(f"[red]Error:[/] name: {name!r} is not one of {', '.join(late_payment.RATE_NAMES)}")
        raise typer.Exit(code=2)
    with command() as cmd:
        row = late_payment.add_legal_rate(cmd.session, cmd.clock, cmd.actor, half_year, value,
                                          late_payment.RATE_NAMES[name])
        console.print(f"{row.source} {row.half_year}: {row.percent} %")


@rate_app.command("list")
def list_rates(as_json: bool = JsonOption):
    from clausier.payments.ledger import late_payment

    with command() as cmd:
        rows = [{"source": r.source, "half_year": r.half_year, "percent": r.percent}
                for r in late_payment.list_legal_rates(cmd.session)]
    if as_json:
        print_json(rows)
        return
    print_table("Rates", ["Source", "Half-year", "Percent"],
                [[r["source"], r["half_year"], r["percent"]] for r in rows])


# --------------------------------------------------------------------------- collections


@collections_app.command("show")
def show(customer: str, today: datetime = TodayOption, as_json: bool = JsonOption):
    """What the customer owes, the interest accrued, the ladder, payments and messages."""
    from clausier.payments import overview, shapes

    with command(today) as cmd:
        data = shapes.collections_dict(overview.collections(cmd.session, customer,
                                                            cmd.clock.today()))
    if as_json:
        print_json(data)
        return
    c = data["customer"]
    console.print(f"[bold]{c['ref']} {c['name']}[/] — owed {data['owed']}, overdue {data['overdue']}"
                  + (f", all due since {data['accelerated_on']}" if data["accelerated_on"] else ""))
    print_table("Open invoices", ["Invoice", "Due", "Total", "Outstanding", "Disputed", "Interest"],
                [[i["number"], i["effective_due_date"], i["total"], i["outstanding"], i["disputed"],
                  i["interest"].get("total", i["interest"].get("error"))] for i in data["invoices"]])
    for case in data["cases"][:1]:
        print_table(f"Dunning case {case['id']} ({case['status']})",
                    ["Step", "Action", "Reached", "Status", "Why"],
                    [[s["step"], s["action"], s["reached_on"], s["status"], s["basis"]]
                     for s in case["steps"]])


@collections_app.command("reconnect")
def reconnect(subscription: str, today: datetime = TodayOption, as_json: bool = JsonOption):
    """Reconnecting a contract terminated for unpaid bills: the access fees re-billed."""
    from clausier.payments.dunning import service as dunning

    with command(today) as cmd:
        fees = dunning.charge_reconnection(cmd.session, cmd.clock, cmd.actor, subscription)
    if as_json:
        print_json(fees.as_dict())
        return
    print_table(f"Reconnection of {subscription}", ["Line", "Computation", "Amount", "Clause"],
                [[l.label, l.formula, l.amount, l.clause] for l in fees.lines]
                + [["Total", "", fees.total, ""]])


# --------------------------------------------------------------------------- dunning


@dunning_app.command("queue")
def queue(today: datetime = TodayOption, as_json: bool = JsonOption):
    """Open cases: decisions awaited, the next step and its date, letters awaiting receipt."""
    from clausier.payments.dunning import service as dunning

    with command(today) as cmd:
        rows = [e.as_dict() for e in dunning.dunning_queue(cmd.session, cmd.clock.today())]
    if as_json:
        print_json(rows)
        return
    table = []
    for row in rows:
        upcoming = row["next_step"]
        table.append([row["customer"], euros(row["amount_due"]),
                      ", ".join(f"#{p['id']} {p['step']}" for p in row["pending_approval"]),
                      upcoming and f"{upcoming['step']} "
                                   f"{upcoming['due_on'] or 'after ' + str(upcoming['waiting_for'])}",
                      ", ".join(f"#{m['id']}" for m in row["letters_awaiting_receipt"])])
    print_table("Dunning queue", ["Customer", "Due", "Awaiting approval", "Next step",
                                  "Letters without receipt"], table)


@dunning_app.command("approve")
def approve(step_id: int, on: datetime = DateArg, today: datetime = TodayOption):
    """Approve a step the sheet leaves to the operator (it is carried out at once)."""
    from clausier.payments.dunning import service as dunning

    with command(today) as cmd:
        row = dunning.decide_step(cmd.session, cmd.clock, cmd.actor, step_id, True, _day(on, cmd))
        console.print(f"{row.step_id}: {row.status}")


@dunning_app.command("decline")
def decline(step_id: int, on: datetime = DateArg, today: datetime = TodayOption):
    """Decline a step the sheet leaves to the operator."""
    from clausier.payments.dunning import service as dunning

    with command(today) as cmd:
        row = dunning.decide_step(cmd.session, cmd.clock, cmd.actor, step_id, False, _day(on, cmd))
        console.print(f"{row.step_id}: {row.status}")


@dunning_app.command("receipt")
def receipt(letter_id: int, received_on: datetime = typer.Argument(..., formats=["%Y-%m-%d"]),
            today: datetime = TodayOption):
    """Record the acknowledgement of receipt of a registered letter."""
    from clausier.payments.dunning import service as dunning

    with command(today) as cmd:
        message = dunning.record_letter_receipt(cmd.session, cmd.clock, cmd.actor, letter_id,
                                                received_on.date())
        console.print(f"Letter {message.id} received on {message.received_on.isoformat()}")


# --------------------------------------------------------------------------- dispute


@dispute_app.command("add")
def add_dispute(invoice: str, received_on: datetime = typer.Option(..., formats=["%Y-%m-%d"]),
                channel: str = typer.Option("registered_letter"), amount: str = typer.Option(None),
                reason: str = typer.Option(""),
                invoice_received_on: datetime = typer.Option(None, formats=["%Y-%m-%d"]),
                today: datetime = TodayOption, as_json: bool = JsonOption):
    """Record a dispute; it is rejected at once when late or sent by the wrong channel."""
    from clausier.payments.disputes import service as disputes
    from clausier.payments import shapes

    with command(today) as cmd:
        row = disputes.record_dispute(cmd.session, cmd.clock, cmd.actor, invoice,
                                      received_on=received_on.date(), channel=channel, amount=amount,
                                      reason=reason, invoice_received_on=invoice_received_on.date()
                                      if invoice_received_on else None)
        data = shapes.dispute_dict(row)
    print_json(data) if as_json else console.print(
        f"Dispute {data['id']}: {data['status']} — {'; '.join(data['decision']['reasons'])}")


@dispute_app.command("decide")
def decide_dispute(dispute_id: int, decision: str = typer.Argument(..., help="accept | reject"),
                   note: str = typer.Option(""), today: datetime = TodayOption):
    from clausier.payments.disputes import service as disputes

    if decision not in ("accept", "reject"):
        console.print("[red]Error:[/] decision: accept or reject")
        raise typer.Exit(code=2)
    with command(today) as cmd:
        row = disputes.decide_dispute(cmd.session, cmd.clock, cmd.actor, dispute_id,
                                      decision == "accept", note)
        console.print(f"Dispute {row.id}: {row.status}")


# --------------------------------------------------------------------------- deposit


@deposit_app.command("request")
def request_deposit(customer: str, amount: str = typer.Option(...), ground: str = typer.Option(...),
                    due_on: datetime = typer.Option(..., formats=["%Y-%m-%d"]),
                    subscription: str = typer.Option(None), today: datetime = TodayOption):
    from clausier.payments.deposits import service as deposits

    with command(today) as cmd:
        row = deposits.request_deposit(cmd.session, cmd.clock, cmd.actor, customer, amount=amount,
                                       ground=ground, due_on=due_on.date(), subscription_ref=subscription)
        console.print(f"Deposit {row.id}: {row.amount} by {row.due_on.isoformat()} ({row.clause})")


@deposit_app.command("provided")
def provided(deposit_id: int, on: datetime = DateArg, amount: str = typer.Option(None),
             today: datetime = TodayOption):
    from clausier.payments.deposits import service as deposits

    with command(today) as cmd:
        row = deposits.provide_deposit(cmd.session, cmd.clock, cmd.actor, deposit_id, _day(on, cmd), amount)
        console.print(f"Deposit {row.id}: holds {row.held}")


@deposit_app.command("draw")
def draw(deposit_id: int, today: datetime = TodayOption):
    from clausier.payments.deposits import service as deposits

    with command(today) as cmd:
        payment = deposits.draw_deposit(cmd.session, cmd.clock, cmd.actor, deposit_id)
        console.print(f"Drawn {payment.amount} from deposit {deposit_id}")


@deposit_app.command("release")
def release(deposit_id: int, today: datetime = TodayOption):
    from clausier.payments.deposits import service as deposits

    with command(today) as cmd:
        credit = deposits.release_deposit(cmd.session, cmd.clock, cmd.actor, deposit_id)
        console.print(f"Released {credit.amount} (credit {credit.id}, to refund)")


@deposit_app.command("list")
def list_deposits(customer: str = typer.Option(None), as_json: bool = JsonOption):
    from clausier.payments import common
    from clausier.payments.deposits import service as deposits
    from clausier.payments import shapes

    with command() as cmd:
        customer_id = common.get_customer(cmd.session, customer).id if customer else None
        rows = [shapes.deposit_dict(d) for d in deposits.list_deposits(cmd.session, customer_id)]
        names = names_of(cmd.session, rows)
    if as_json:
        print_json(rows)
        return
    print_table("Deposits", ["Id", "Customer", "Amount", "Held", "Status", "Due"],
                [[r["id"], names.customer(r["customer_id"]), euros(r["amount"]), euros(r["held"]),
                  r["status"], r["due_on"]] for r in rows])


# --------------------------------------------------------------------------- outbox


@outbox_app.command("list")
def list_messages(customer: str = typer.Option(None), status: str = typer.Option(None),
                  as_json: bool = JsonOption):
    from clausier.payments import common
    from clausier.notifications import outbox
    from clausier.notifications.shapes import message_dict

    with command() as cmd:
        customer_id = common.get_customer(cmd.session, customer).id if customer else None
        rows = [message_dict(m) for m in outbox.list_messages(cmd.session, customer_id, status)]
    if as_json:
        print_json(rows)
        return
    print_table("Outbox", ["Id", "Channel", "Kind", "To", "Subject", "Status", "Attempts",
                           "Next attempt", "Why not sent", "File"],
                [[r["id"], r["channel"], r["kind"], r["recipient"], r["subject"], r["status"],
                  r["attempts"], r["next_attempt_at"] and f"{r['next_attempt_at']:%Y-%m-%d %H:%M}",
                  r["error"], r["file"]] for r in rows])


@outbox_app.command("send")
def send(today: datetime = TodayOption):
    """Send the queued e-mails (SMTP) and SMS (provider adapter) now, even those whose next
    attempt after a failure is still to come."""
    from clausier.notifications import outbox

    with command(today) as cmd:
        counts = outbox.deliver(cmd.session, cmd.clock, cmd.actor, due_only=False)
    console.print(f"{counts['sent']} sent, {counts['failed']} failed")
