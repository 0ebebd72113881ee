"""``clausier billrun``, ``clausier invoice …``, ``clausier index …``, ``clausier price-change …``."""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clausier.cli.common import (
    JsonOption,
    TodayOption,
    cli_actor,
    command,
    console,
    euros,
    fail,
    print_json,
    print_table,
)
from clausier.core.clock import clock_for
from clausier.core.errors import ClausierError, NotFound
from clausier.core.money import fr_format


app = typer.Typer(no_args_is_help=True, help="Invoices and credit notes.")
index_app = typer.Typer(no_args_is_help=True, help="Price indices and the annual indexation.")
price_app = typer.Typer(no_args_is_help=True, help="Price changes and the notices they need.")
top_level = typer.Typer()

DateOption = dict(formats=["%Y-%m-%d"])


@top_level.command("billrun")
def billrun(period: str = typer.Option(..., help="The month billed, YYYY-MM."),
            operator: str = typer.Option(None, help="Operator code; default: every operator."),
            today: datetime = TodayOption,
            batch_size: int = typer.Option(None, min=1, help="Customers per transaction "
                                           "(1: one each; default: the bill run's own)."),
            draft: bool = typer.Option(False, help="Leave the invoices as drafts (no number)."),
            partition_size: int = typer.Option(None, min=1, help="With a broker: customers per "
                                               "partition sent to the workers (default: the "
                                               "bill run's own)."),
            processes: int = typer.Option(None, min=1, help="Processes drafting the invoices "
                                          "while this one writes them (default: one per core "
                                          "for a large run; 1: all in this process)."),
            as_json: bool = JsonOption):
    """Bill every customer for a period: recurring fees in advance, usage in arrears, one-off
    charges and credits. Running it again bills nothing twice. With CLAUSIER_BROKER_URL the
    customers are billed by the workers (`clausier worker`), a partition each; this waits."""
    from clausier.billing.runs import service as billing_runs
    from clausier.core.settings import Settings
    from clausier.db.session import default_engine
    from clausier.workers.dispatch import partition_queue

    clock = clock_for(today=today.date() if today else None)
    actor = cli_actor()
    queue = partition_queue(Settings.from_env(), actor)
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, disable=as_json) as bar:
            task = bar.add_task(f"Bill run {period}", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            reports = billing_runs.run_bill_run(
                default_engine(), clock, actor, period, operator,
                batch_size=batch_size or billing_runs.DEFAULT_BATCH, draft_only=draft,
                progress=advance, queue=queue,
                partition_size=partition_size or billing_runs.PARTITION_SIZE,
                processes=processes)
    except ClausierError as exc:
        fail(exc)
    if as_json:
        print_json([r.as_dict() for r in reports])
        return
    print_table(f"Bill run {period}", ["Operator", "Customers", "Invoices", "Numbers", "Total HT",
                                       "Total TTC", "Errors"],
                [[r.operator, r.customers, r.billed,
                  f"{r.invoices[0]} … {r.invoices[-1]}" if r.invoices else "",
                  fr_format(r.total_ht), fr_format(r.total_ttc), len(r.errors)] for r in reports])
    for report in reports:
        if report.partitions:
            print_table(f"{report.operator}: partitions", ["#", "Customers", "Worker", "Invoices",
                                                           "Status"],
                        [[p.position, f"{p.customers} ({p.first_customer_id}–"
                                      f"{p.last_customer_id})", p.worker, p.invoices,
                          p.status] for p in report.partitions])
        for error in report.errors[:20]:
            console.print(f"[red]{report.operator} {error['customer']}[/]: {error['reason']}")


@app.command("list")
def list_invoices(status: str = typer.Option(None), customer: int = typer.Option(None),
                  period: str = typer.Option(None), operator: str = typer.Option(None),
                  kind: str = typer.Option(None, help="invoice or credit_note"),
                  limit: int = typer.Option(100), as_json: bool = JsonOption):
    """List invoices and credit notes, newest first."""
    from clausier.billing.invoices import service as billing_invoices
    from clausier.billing.shapes import invoice_dict

    with command() as cmd:
        rows = [invoice_dict(i, with_lines=False)
                for i in billing_invoices.list_invoices(
            cmd.session, status=status, customer_id=customer, period=period,
            operator_code=operator, kind=kind, limit=limit)]
    if as_json:
        print_json(rows)
        return
    print_table("Invoices", ["Number", "Kind", "Customer", "Period", "Issued", "Due", "HT", "TTC",
                             "Status"],
                [[r["number"] or f"draft {r['id']}", r["kind"], r["customer"], r["period"],
                  r["issue_date"], r["due_date"], euros(r["total_ht"]), euros(r["total_ttc"]),
                  r["status"]]
                 for r in rows])


@app.command()
def show(number: str, as_json: bool = JsonOption):
    """An invoice with each line's explanation (formula and clause)."""
    from clausier.billing.invoices import service as billing_invoices
    from clausier.billing.shapes import invoice_dict

    with command() as cmd:
        data = invoice_dict(billing_invoices.get_invoice(cmd.session, number))
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{data['number'] or 'draft'}[/] {data['kind']} — {data['customer']} — "
                  f"{data['period']} — {data['status']}")
    rows = []
    for line in data["lines"]:
        rows.append([line["site"], line["label"], euros(line["amount"]), line["vat_rate"],
                     line["clause"]])
        for part in line["explanation"].get("lines", []):
            rows.append(["", f"  {part['formula']}", "", "", ""])
    print_table("Lines", ["Site", "Line", f"Amount {data['price_basis']}", "VAT", "Clause"], rows)
    print_table("VAT", ["Rate", "Base HT", "VAT", "TTC"],
                [[b["rate"], euros(b["base_ht"]), euros(b["vat"]), euros(b["total_ttc"])]
                 for b in data["vat_breakdown"]])
    console.print(f"Total HT {euros(data['total_ht'])} · VAT {euros(data['total_vat'])} · "
                  f"TTC {euros(data['total_ttc'])} · due {data['due_date']}")
    for mention in data["mentions"]:
        console.print(f"[dim]{mention['text']} ({mention['clause']})[/]")


class DocumentLanguage(str, Enum):
    fr = "fr"
    en = "en"


@app.command()
def pdf(number: str,
        output: Path = typer.Option(None, "-o", "--output",
                                    help="PDF file to write; default: NUMBER.pdf in this folder."),
        lang: DocumentLanguage = typer.Option(DocumentLanguage.fr, "--lang",
                                              help="Language of the document.")):
    """Write the Factur-X PDF of an invoice or credit note (in French unless ``--lang en``)."""
    from clausier.billing.invoices import service as billing_invoices

    # Typst and Factur-X: PDF commands only
    from clausier.billing.documents.pdf import invoice_pdf, pdf_filename

    with command() as cmd:
        invoice = billing_invoices.get_invoice(cmd.session, number)
        output = output or Path(pdf_filename(invoice))
        output.write_bytes(invoice_pdf(invoice, billing_invoices.credited_by(cmd.session, invoice),
                                       lang.value))
    console.print(f"{output} written")


@app.command()
def pdfs(period: str = typer.Option(None, help="Only the documents of this period, YYYY-MM."),
         operator: str = typer.Option(None, help="Operator code; default: every operator."),
         status: str = typer.Option(None, help="Only documents in this status (issued, paid…)."),
         output: Path = typer.Option(..., "-o", "--output", help="Folder for the PDF files."),
         workers: int = typer.Option(os.cpu_count() or 1, min=1,
                                     help="Rendering processes (default: one per core)."),
         as_json: bool = JsonOption):
    """Write the Factur-X PDFs of many issued documents, rendered in parallel processes
    (one file per document, named after its number). With CLAUSIER_BROKER_URL the workers
    render them (`clausier worker`) into the folder, which they must see too; this waits."""
    from clausier.billing.invoices import service as billing_invoices
    from clausier.workers import service as workers_service
    from clausier.billing.documents.pdf import (
        write_pdfs,  # Typst and Factur-X: PDF commands only
    )
    from clausier.core.settings import Settings
    from clausier.db.session import default_engine
    from clausier.workers.dispatch import pdf_queue

    with command() as cmd:
        ids = billing_invoices.numbered_document_ids(cmd.session, period=period,
                                                     operator_code=operator,
                                            status=status)
        url = cmd.session.get_bind().url.render_as_string(hide_password=False)
    if not ids:
        fail(NotFound("invoices: no issued document matches"))
    queue = pdf_queue(Settings.from_env())
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=as_json) as bar:
        task = bar.add_task("PDFs", total=len(ids))

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done)

        try:
            if queue is not None:
                report = workers_service.render_pdfs(default_engine(), ids, output, queue,
                                                     progress=advance)
            else:
                report = write_pdfs(url, ids, output, workers, progress=advance)
        except ClausierError as exc:
            fail(exc)
    if as_json:
        print_json(report.as_dict())
        return
    figures = report.as_dict()
    by = "the workers" if report.workers is None else f"{workers} process(es)"
    cpu = (f", {figures['pdfs_per_cpu_second']} per CPU-second"
           if figures["pdfs_per_cpu_second"] else "")
    console.print(f"{report.written} PDF(s) written to {output} in {figures['seconds']} s by "
                  f"{by}: {figures['pdfs_per_second']} PDFs/s{cpu}")


@app.command()
def credit(number: str, reason: str = typer.Option(..., help="Why the invoice is corrected."),
           amount: str = typer.Option(None, help="Amount in the invoice's basis; default: all."),
           label: str = typer.Option(None), vat_rate: str = typer.Option(None),
           as_json: bool = JsonOption,
           today: datetime | None = TodayOption):
    """Issue a credit note (*avoir*) on an invoice: in full (the invoice is cancelled) or an amount."""
    from clausier.billing.invoices import service as billing_invoices
    from clausier.billing.shapes import invoice_dict

    with command(today) as cmd:
        note = billing_invoices.credit_note(cmd.session, cmd.clock, cmd.actor, number, reason,
                                   amount=Decimal(amount.replace(",", ".")) if amount else None,
                                   label=label, vat_rate=vat_rate)
        data = invoice_dict(note, with_lines=False)
    if as_json:
        print_json(data)
    else:
        console.print(f"Credit note {data['number']}: {data['total_ttc']} TTC on {number}")


@app.command()
def issue(invoice_id: int, today: datetime = TodayOption):
    """Issue a draft: it gets its number and becomes immutable."""
    from clausier.billing.invoices import service as billing_invoices

    with command(today) as cmd:
        invoice = billing_invoices.issue_invoice(cmd.session, cmd.clock, cmd.actor, invoice_id)
        console.print(f"Issued {invoice.number}, due {invoice.due_date}")


@app.command()
def pay(number: str, amount_paid: str = typer.Option(..., help="Total paid so far."),
        today: datetime = TodayOption):
    """Record what has been paid of an invoice (paid / partly paid)."""
    from clausier.billing.invoices import service as billing_invoices

    with command(today) as cmd:
        invoice = billing_invoices.record_payment(cmd.session, cmd.clock, cmd.actor, number,
                                         Decimal(amount_paid.replace(",", ".")), cmd.clock.today())
        console.print(f"{invoice.number}: {invoice.status}")


@app.command("export-csv")
def export_csv(output: Path = typer.Option(None, "-o", "--output", help="Default: standard output."),
               period: str = typer.Option(None), operator: str = typer.Option(None),
               status: str = typer.Option(None)):
    """The accountant's journal: one row per document and VAT rate (credit notes negative)."""
    from clausier.billing.invoices import service as billing_invoices

    with command() as cmd:
        text = billing_invoices.export_csv(cmd.session, period=period, operator_code=operator,
                                           status=status)
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"{output} written")
    else:
        typer.echo(text, nl=False)


@index_app.command("add")
def index_add(series: str, month: str = typer.Argument(..., help="YYYY-MM"),
              value: str = typer.Argument(..., help="The published value, e.g. 132.4"),
              today: datetime | None = TodayOption):
    """Record a published value of an index (INSEE series id, e.g. 001565192)."""
    from clausier.billing.ledger import service as billing_ledger

    with command(today) as cmd:
        row = billing_ledger.add_index_value(cmd.session, cmd.clock, cmd.actor, series, month,
                                             value)
        console.print(f"{row.series} {row.month:%Y-%m} = {row.value}")


@index_app.command("list")
def index_list(series: str = typer.Option(None), as_json: bool = JsonOption):
    """The recorded index values."""
    from clausier.billing.ledger import service as billing_ledger

    with command() as cmd:
        rows = [{"series": r.series, "month": f"{r.month:%Y-%m}", "value": r.value}
                for r in billing_ledger.list_index_values(cmd.session, series)]
    if as_json:
        print_json(rows)
    else:
        print_table("Index values", ["Series", "Month", "Value"],
                    [[r["series"], r["month"], r["value"]] for r in rows])


@index_app.command("apply")
def index_apply(operator: str = typer.Option(...), year: int = typer.Option(...),
                as_json: bool = JsonOption,
                today: datetime | None = TodayOption):
    """The annual indexation of every live subscription of an operator (idempotent)."""
    from clausier.billing.ledger import service as billing_ledger

    with command(today) as cmd:
        revisions = billing_ledger.apply_indexation(cmd.session, cmd.clock, cmd.actor, operator,
                                                    year)
        rows = [{"subscription_id": r.subscription_id, "item_id": r.subscription_item_id,
                 "effective_on": r.effective_on, "old_fee": str(r.old_fee), "new_fee": str(r.new_fee),
                 "formula": r.explanation["lines"][0]["formula"]} for r in revisions]
    if as_json:
        print_json(rows)
    else:
        print_table(f"Indexation {year}", ["Subscription", "Item", "From", "Old", "New", "Formula"],
                    [[r["subscription_id"], r["item_id"], r["effective_on"], r["old_fee"],
                      r["new_fee"], r["formula"]] for r in rows])


@price_app.command("announce")
def price_announce(operator: str = typer.Option(...),
                   kind: str = typer.Option(..., help="general, usage or regulatory"),
                   effective: datetime = typer.Option(..., help="Effective date.", **DateOption),
                   percent: str = typer.Option(None, help="Change of the monthly fees, e.g. 3.5"),
                   family: str = typer.Option(None), offer: str = typer.Option(None),
                   description: str = typer.Option(""), today: datetime = TodayOption,
                   as_json: bool = JsonOption):
    """Announce a price change: checks the sheet's notice, sends one notice per affected
    subscription and records the customer's right to leave without fees."""
    from clausier.billing.ledger import service as billing_ledger

    with command(today) as cmd:
        change = billing_ledger.announce_price_change(
            cmd.session, cmd.clock, cmd.actor, operator, kind, effective.date(), family=family,
            offer_code=offer, percent=Decimal(percent.replace(",", ".")) if percent else None,
            description=description)
        rows = [{"customer_id": n.customer_id, "subscription_id": n.subscription_id,
                 "effective_on": n.effective_on, "notice_clause": n.notice_clause,
                 "may_leave_without_fees": n.may_leave_without_fees, "leave_until": n.leave_until,
                 "leave_clause": n.leave_clause} for n in change.notices]
    if as_json:
        print_json({"id": change.id, "notices": rows})
    else:
        print_table(f"Price change {change.id}: {len(rows)} notice(s)",
                    ["Customer", "Subscription", "Effective", "Notice clause", "May leave", "Until"],
                    [[r["customer_id"], r["subscription_id"], r["effective_on"], r["notice_clause"],
                      "yes" if r["may_leave_without_fees"] else "no", r["leave_until"]] for r in rows])


@price_app.command("list")
def price_list(as_json: bool = JsonOption):
    """Announced price changes."""
    from clausier.billing.ledger import service as billing_ledger

    with command() as cmd:
        rows = [{"id": c.id, "kind": c.kind, "family": c.family, "offer": c.offer_code,
                 "percent": c.percent, "announced_on": c.announced_on,
                 "effective_on": c.effective_on, "notices": len(c.notices)}
                for c in billing_ledger.list_price_changes(cmd.session)]
    if as_json:
        print_json(rows)
    else:
        print_table("Price changes", ["Id", "Kind", "Family", "Offer", "%", "Announced", "Effective",
                                      "Notices"], [list(r.values()) for r in rows])
