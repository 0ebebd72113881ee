"""``clausier cdr …``, ``clausier rate`` and ``clausier usage …``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from clausier.cli.common import (JsonOption, TodayOption, cli_actor, command,
                                 console, fail, names_of, print_json, print_table)

# Polars: loaded by the commands that rate or import usage, not by the others.
DateOption = dict(formats=["%Y-%m-%d"])

app = typer.Typer(no_args_is_help=True)
cdr_app = typer.Typer(no_args_is_help=True, help="Call detail records: import, synthesise, price lists.")
usage_app = typer.Typer(no_args_is_help=True, help="Rated usage, fair-use breaches, fraud alerts.")
app.add_typer(cdr_app, name="cdr")
app.add_typer(usage_app, name="usage")
# ``clausier rate``: registered as its own group (``cli.main``), to which the payments room adds
# the legal interest rates (``rate add|list``).
rate_app = typer.Typer(invoke_without_command=True,
                       help="Rate a month of usage (--month), or the legal interest rates (add, list).")

MonthOption = typer.Option(..., "--month", help="The month, YYYY-MM.")


def _previous_month(today) -> str:
    from clausier.rating.month import rules as month_rules

    return month_rules.shift_month(f"{today.year:04d}-{today.month:02d}", -1)


@cdr_app.command("import")
def import_files(files: list[Path] = typer.Argument(..., help="CSV files (optionally .gz)."),
                 json: bool = JsonOption, today: datetime | None = TodayOption) -> None:
    """Import CDR files; bad rows go to a reject report (line and reason)."""
    from clausier.rating.cdr import service as cdr_service

    results = []
    for path in files:
        with command(today) as cmd:
            batch = cdr_service.import_cdr_file(cmd.session, cmd.clock, cmd.actor, path)
            results.append({"batch": batch.id, "file": batch.file_name, "read": batch.rows_read,
                            "imported": batch.accepted, "already_known": batch.duplicates,
                            "rejected": batch.rejected, "months": batch.months,
                            "reject_file": batch.reject_file})
    if json:
        print_json(results)
        return
    print_table("CDR import", ["batch", "file", "read", "imported", "already known", "rejected",
                               "months", "reject report"],
                [[r["batch"], r["file"], r["read"], r["imported"], r["already_known"], r["rejected"],
                  ", ".join(r["months"]), r["reject_file"]] for r in results])


@cdr_app.command("synth")
def synthesise(services: int = typer.Option(100, "--services", min=1, help="How many lines."),
               records: int = typer.Option(10_000, "--records", min=1, help="How many records."),
               output: Path = typer.Option(..., "-o", "--output", help="CSV file to write (.gz ok)."),
               month: str | None = typer.Option(None, "--month", help="YYYY-MM (default: last month)."),
               seed: int = typer.Option(1, "--seed"),
               today: datetime | None = TodayOption) -> None:
    """Generate realistic synthetic traffic (with a few breaches and fraud patterns on purpose)
    for the lines of the database that have a service identifier (at most --services), else
    for fictitious lines (which the importer would reject as unknown to the database)."""
    from clausier.rating.cdr import service as cdr_service
    from clausier.rating.cdr import synth

    with command(today) as cmd:
        lines = cdr_service.service_lines(cmd.session, services)
        month = month or _previous_month(cmd.clock.today())
    lines = lines or synth.fictitious_services(services)
    synth.write(synth.generate(lines, records, month, seed), output)
    console.print(f"{records} records for {len(lines)} lines in {month} written to {output}")


@cdr_app.command("tariffs")
def tariffs(files: list[Path] = typer.Argument(None, help="Price-list YAML files."),
            built_in: bool = typer.Option(False, "--built-in", help="Load the demo price lists."),
            today: datetime | None = TodayOption) -> None:
    """Load usage price lists (idempotent)."""
    from clausier.rating.price import service as price_service

    paths = list(files or []) + (price_service.built_in_price_lists() if built_in else [])
    if not paths:
        raise typer.BadParameter("give price-list files or --built-in")
    with command(today) as cmd:
        for path in paths:
            count = price_service.load_price_list(cmd.session, cmd.clock, cmd.actor, path)
            console.print(f"{path.name}: {count} tariff line(s)")


@cdr_app.command("batches")
def batches(json: bool = JsonOption) -> None:
    """The latest import batches."""
    from clausier.rating.cdr import service as cdr_service

    with command() as cmd:
        rows = [{"batch": b.id, "file": b.file_name, "read": b.rows_read, "imported": b.accepted,
                 "already_known": b.duplicates, "rejected": b.rejected, "months": b.months,
                 "at": b.started_at} for b in cdr_service.list_batches(cmd.session)]
    if json:
        print_json(rows)
        return
    print_table("Import batches", ["batch", "file", "read", "imported", "already known", "rejected", "at"],
                [[r["batch"], r["file"], r["read"], r["imported"], r["already_known"], r["rejected"],
                  r["at"]] for r in rows])


@rate_app.callback()
def rate(context: typer.Context,
         month: str = typer.Option(None, "--month", help="YYYY-MM: rate (or re-rate) that month's usage."),
         as_json: bool = JsonOption, today: datetime = TodayOption):
    """``clausier rate --month YYYY-MM`` rates usage; the sub-commands record the legal interest
    rates that late-payment interest uses (payments room)."""
    if context.invoked_subcommand is not None:
        return
    if month is None:
        console.print(context.get_help())
        raise typer.Exit(code=2)
    rate_month(month, as_json, today)


def rate_month(month: str, json: bool = False, today: datetime | None = None) -> None:
    """Rate (or re-rate) a month deterministically: rated Parquet and summaries for the bill run.
    Reached as ``clausier rate --month YYYY-MM`` (the ``rate`` group is shared with the legal
    interest rates of the payments room)."""
    from clausier.rating.month import service as month_service
    from clausier.core.settings import Settings
    from clausier.workers.dispatch import rating_queue

    queue = rating_queue(Settings.from_env())
    if queue is not None:
        rate_on_workers(month, queue, json, today)
        return
    with command(today) as cmd:
        report = month_service.rate(cmd.session, cmd.clock, cmd.actor, month)
    if json:
        print_json(report.as_dict())
        return
    print_table(f"Rating {month}", ["records", "subscriptions", "amount", "breaches", "alerts",
                                    "proposals", "unpriced", "late summaries"],
                [[report.records, report.subscriptions, report.amount, report.breaches,
                  report.alerts, report.proposals, report.unpriced, report.late_summaries]])


def rate_on_workers(month: str, queue, json: bool, today: datetime | None) -> None:
    """With a broker: each bucket of the month rated by the workers; this waits."""
    from clausier.rating.month import service as month_service
    from clausier.core.clock import clock_for
    from clausier.core.errors import ClausierError
    from clausier.db.session import default_engine

    try:
        report, buckets = month_service.rate_on_workers(
            default_engine(), clock_for(today=today.date() if today else None), cli_actor(),
            month, queue)
    except ClausierError as exc:
        fail(exc)
    if json:
        print_json({**report.as_dict(), "buckets": buckets})
        return
    print_table(f"Rating {month} on the workers", ["records", "subscriptions", "amount",
                                                   "breaches", "alerts", "proposals", "unpriced",
                                                   "late summaries"],
                [[report.records, report.subscriptions, report.amount, report.breaches,
                  report.alerts, report.proposals, report.unpriced, report.late_summaries]])
    print_table("Buckets", ["bucket", "worker", "records", "subscriptions"],
                [[b["bucket"], b["worker"], b["records"], b["subscriptions"]] for b in buckets])


@usage_app.command("show")
def show(service_id: str = typer.Argument(..., metavar="SERVICE",
                                          help="Service identifier or subscription reference."),
         month: str = MonthOption, json: bool = JsonOption) -> None:
    """A service's usage in a month: explained amounts, traffic, breaches and alerts."""
    from clausier.rating import shapes
    from clausier.rating.month import service as month_service

    with command() as cmd:
        data = shapes.usage_dict(month_service.usage_of(cmd.session, service_id, month))
    if json:
        print_json(data)
        return
    sub = data["subscription"]
    console.print(f"[bold]{sub['ref']}[/] {sub['family']} {sub['service_identifier'] or ''} — {month}")
    print_table("Traffic", ["destination", "type", "in bundle", "records", "seconds", "amount"],
                [[t["rate_dest"], t["type"], t["in_bundle"], t["records"], t["seconds"], t["amount"]]
                 for t in data["traffic"]])
    for summary in data["summaries"]:
        title = f"Billed with {summary['month']}" + (f" (invoice {summary['billed_invoice_id']})"
                                                    if summary["billed_invoice_id"] else "")
        print_table(title, ["line", "formula", "amount", "clause"],
                    [[l["label"], l["formula"], l["amount"], l["clause"]]
                     for l in summary["explanation"]["lines"]] + [["Total", "", summary["amount"], ""]])
        for note in summary["explanation"]["notes"]:
            console.print(f"Note: {note}", highlight=False)
    for breach in data["breaches"]:
        console.print(f"[yellow]Fair use[/] {breach['metric']}: {breach['measured']} > {breach['limit']} "
                      f"({breach['status']}) — {breach['clause']}", highlight=False)
    for alert in data["alerts"]:
        console.print(f"[red]Alert[/] {alert['kind']}: {alert['calls']} call(s) ({alert['status']})"
                      f" — {alert['clause']}", highlight=False)


@usage_app.command("breaches")
def breaches(status: str | None = typer.Option(None, "--status"), month: str | None = typer.Option(None, "--month"),
             json: bool = JsonOption) -> None:
    """Fair-use breaches for staff."""
    from clausier.rating import shapes
    from clausier.rating.fair_use import service as fair_use_service

    with command() as cmd:
        rows = [shapes.breach_dict(b)
                for b in fair_use_service.list_breaches(cmd.session, status, month)]
        names = names_of(cmd.session, rows)
    if json:
        print_json(rows)
        return
    print_table("Fair-use breaches", ["id", "subscription", "month", "metric", "measured", "limit", "status", "clause"],
                [[r["id"], names.subscription(r["subscription_id"]), r["month"], r["metric"],
                  r["measured"], r["limit"],
                  r["status"], r["clause"]] for r in rows])


@usage_app.command("alerts")
def alerts(status: str | None = typer.Option("open", "--status"), json: bool = JsonOption) -> None:
    """The fraud alert queue."""
    from clausier.rating import shapes
    from clausier.rating.fraud import service as fraud_service

    with command() as cmd:
        rows = [shapes.alert_dict(a)
                for a in fraud_service.list_alerts(cmd.session, status or None)]
        names = names_of(cmd.session, rows)
    if json:
        print_json(rows)
        return
    print_table("Fraud alerts", ["id", "subscription", "month", "kind", "calls", "status", "clause"],
                [[r["id"], names.subscription(r["subscription_id"]), r["month"], r["kind"], r["calls"],
                  r["status"],
                  r["clause"]] for r in rows])


@usage_app.command("decide")
def decide(kind: str = typer.Argument(..., help="breach | alert | penalty"),
           item_id: int = typer.Argument(...),
           decision: str = typer.Argument(..., help="breach: acknowledge|suspend_unlimited; "
                                                    "alert: confirm|dismiss; penalty: confirm|reject"),
           note: str = typer.Option("", "--note"), today: datetime | None = TodayOption) -> None:
    """Record a staff decision on a breach, an alert or a penalty proposal."""
    from clausier.rating.fair_use import service as fair_use_service
    from clausier.rating.fraud import service as fraud_service

    deciders = {"breach": fair_use_service.decide_breach, "alert": fraud_service.decide_alert,
                "penalty": fraud_service.decide_penalty}
    if kind not in deciders:
        raise typer.BadParameter("kind must be breach, alert or penalty")
    with command(today) as cmd:
        row = deciders[kind](cmd.session, cmd.clock, cmd.actor, item_id, decision, note)
        console.print(f"{kind} {row.id}: {row.status}")


def _print_explained_lines(title: str, explanation: dict, total: object) -> None:
    print_table(title, ["line", "formula", "amount", "clause"],
                [[l["label"], l["formula"], l["amount"], l["clause"]] for l in explanation["lines"]]
                + [["Total", "", total, ""]])
    for note in explanation.get("notes", []):
        console.print(f"Note: {note}", highlight=False)


def _claims_standing(session, on, subscription_id: int | None = None) -> list[dict]:
    """The payout claims (one number's with ``subscription_id``), each with where it stands."""
    from clausier.rating import shapes
    from clausier.rating.sva import service as sva_service

    return [shapes.payout_claim_dict(claim, sva_service.claim_standing(session, claim, on))
            for claim in sva_service.payout_claims(session, subscription_id)]


@usage_app.command("payouts")
def payouts(subscription: str = typer.Argument(None, metavar="[SUBSCRIPTION]",
                                               help="A premium number's subscription (reference "
                                                    "or id): what it may claim and its claims."),
            today: datetime | None = TodayOption, json: bool = JsonOption) -> None:
    """Premium-number payouts (*reversements*): without SUBSCRIPTION, what every number has
    accrued and not claimed and the claims made; with it, what it may claim on --today (with
    its clauses) and its claims."""
    from clausier.contracts import service as contracts
    from clausier.rating.sva import service as sva_service

    with command(today, json_errors=json) as cmd:
        on = cmd.clock.today()
        if subscription is None:
            data = {"unclaimed": sva_service.unclaimed_payouts(cmd.session),
                    "claims": _claims_standing(cmd.session, on)}
        else:
            sub = contracts.get_subscription(cmd.session, subscription)
            explained, days = sva_service.claimable_payouts(cmd.session, sub.id, cmd.clock.today())
            data = {"subscription": sub.ref, "on": cmd.clock.today().isoformat(),
                    "claimable": explained.as_dict(), "days": [d.isoformat() for d in days],
                    "claims": _claims_standing(cmd.session, on, sub.id)}
    if json:
        print_json(data)
        return
    if subscription is None:
        print_table("Payouts accrued, not claimed", ["subscription", "days", "calls", "from", "to", "amount"],
                    [[r["subscription"], r["days"], r["calls"], r["first_day"], r["last_day"], r["amount"]]
                     for r in data["unclaimed"]])
    else:
        _print_explained_lines(f"{data['subscription']}: claimable on {data['on']}",
                               data["claimable"], data["claimable"]["total"])
    print_table("Payout claims", ["id", "subscription", "requested", "amount", "invoice by", "status", "standing"],
                [[c["id"], c["subscription_id"], c["requested_on"], c["amount"], c["invoice_deadline"],
                  c["status"], f"{c['standing']['reason']} — {c['standing']['clause']}"] for c in data["claims"]])


@usage_app.command("tariff-change")
def tariff_change(subscription: str = typer.Argument(..., help="A premium number's subscription (reference or id)."),
                  requested: datetime = typer.Option(..., **DateOption, help="Day the change is requested."),
                  json: bool = JsonOption) -> None:
    """When a premium number's new caller tariff takes effect if requested on --requested."""
    from clausier.rating.sva import service as sva_service

    with command(json_errors=json) as cmd:
        effective, clause = sva_service.tariff_change_effective(cmd.session, subscription,
                                                                requested.date())
    data = {"subscription": subscription, "requested_on": requested.date().isoformat(),
            "effective_on": effective.isoformat(), "clause": clause}
    if json:
        print_json(data)
        return
    console.print(f"{subscription}: a caller tariff requested on {data['requested_on']} takes effect "
                  f"on {data['effective_on']} — {clause}", highlight=False)


@usage_app.command("pass-on")
def pass_on(subscription: str = typer.Argument(..., help="A premium number's subscription (reference or id)."),
            supplier: str = typer.Option(..., help="The upstream operator that charged the penalty."),
            number: str = typer.Option(..., help="The client's number the penalty was charged for."),
            amount: str = typer.Option(..., help="The amount charged to the operator, in euros."),
            charged: datetime = typer.Option(..., **DateOption, help="Day the operator was charged."),
            today: datetime | None = TodayOption, json: bool = JsonOption) -> None:
    """Propose passing on a penalty an upstream operator charged for a client's premium number
    (CP XII §13.1), at its amount; staff confirm it with ``usage decide penalty``."""
    from clausier.contracts import service as contracts
    from clausier.rating import shapes
    from clausier.rating.sva import service as sva_service

    with command(today, writes=True, json_errors=json) as cmd:
        proposal = sva_service.pass_on_supplier_penalty(
            cmd.session, cmd.clock, cmd.actor, subscription, supplier, number,
            contracts.parse_amount(amount, "amount"), charged.date())
        data = shapes.proposal_dict(proposal)
    if json:
        print_json(data)
        return
    console.print(f"Proposal {data['id']}: {data['label']} {data['amount']} {data['price_basis']}",
                  highlight=False)


@usage_app.command("proposals")
def proposals(proposal_id: int = typer.Argument(None, metavar="[ID]", help="Show this proposal."),
              status: str | None = typer.Option(None, "--status", help="proposed, confirmed or rejected."),
              json: bool = JsonOption) -> None:
    """Penalty proposals (fraud and misuse sanctions awaiting staff): the list, or one with its
    explained amount. Decide with ``clausier usage decide penalty ID confirm|reject``."""
    from clausier.rating import shapes
    from clausier.rating.fraud import service as fraud_service

    with command(json_errors=json) as cmd:
        if proposal_id is None:
            data = [shapes.proposal_dict(p)
                    for p in fraud_service.proposals_of(cmd.session, status=status)]
        else:
            data = shapes.proposal_dict(fraud_service.get_proposal(cmd.session, proposal_id))
    if json:
        print_json(data)
        return
    if proposal_id is None:
        print_table("Penalty proposals", ["id", "subscription", "alert", "kind", "label", "amount", "status"],
                    [[p["id"], p["subscription_id"], p["alert_id"], p["kind"], p["label"],
                      f"{p['amount']} {p['price_basis']}", p["status"]] for p in data])
        return
    console.print(f"Proposal {data['id']} ({data['kind']}, {data['status']}): {data['label']}", highlight=False)
    _print_explained_lines("Amount", data["explanation"], f"{data['amount']} {data['price_basis']}")
