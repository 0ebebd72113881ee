"""Back-office pages: invoices (list with filters, detail with each line's explanation, PDF,
Factur-X, credit note, CSV export) and bill runs (start one, follow its progress with HTMX)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from clausier.api.deps import Ctx, staff_ctx
from clausier.api.files import attachment
from clausier.billing.api import start_in_background
from clausier.billing.documents.mentions import mention_text
from clausier.billing.documents.pdf import invoice_document
from clausier.billing.invoices import rules as invoice_rules
from clausier.billing.invoices import service as billing_invoices
from clausier.billing.models import INVOICE_STATUSES
from clausier.billing.runs import service as billing_runs
from clausier.catalog import facts as catalog
from clausier.core.errors import ClausierError, InvalidInput
from clausier.web.dashboard import Card
from clausier.web.templating import language_of, render, verify_csrf

router = APIRouter(include_in_schema=False)


def dashboard_cards(session, gettext) -> list[Card]:
    issued, overdue = billing_invoices.invoice_counts(session)
    return [Card(gettext("Invoices issued"), str(issued), "/billing/invoices"),
            Card(gettext("Overdue invoices"), str(overdue), "/billing/invoices?status=overdue")]


def _operators(ctx: Ctx) -> dict[int, str]:
    return catalog.operator_codes(ctx.session)


@router.get("/billing/invoices")
def invoices_page(request: Request, status: str = "", period: str = "", operator: str = "",
                  kind: str = "", q: str = "", ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    filters = {"status": status, "period": period, "operator": operator, "kind": kind, "q": q}
    invoices = billing_invoices.list_invoices(ctx.session, status=status or None,
                                              period=period or None,
                                     operator_code=operator or None, kind=kind or None,
                                     search=q or None, limit=500)
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v and k != "q")
    return render(request, "billing/invoices.html", {
        "invoices": invoices, "filters": filters, "statuses": INVOICE_STATUSES,
        "operators": sorted(_operators(ctx).values()), "export_query": query})


@router.get("/billing/invoices.csv")
def invoices_csv(status: str = "", period: str = "", operator: str = "",
                 ctx: Ctx = Depends(staff_ctx)):
    text = billing_invoices.export_csv(ctx.session, status=status or None, period=period or None,
                              operator_code=operator or None)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="invoices.csv"'})


def _detail(request: Request, ctx: Ctx, number: str, error: str | None = None, status_code=200):
    invoice = billing_invoices.get_invoice(ctx.session, number)
    credited = billing_invoices.credited_by(ctx.session, invoice)
    credit_notes = billing_invoices.list_invoices(ctx.session, kind="credit_note",
                                                  customer_id=invoice.customer_id)
    return render(request, "billing/invoice.html", {
        "invoice": invoice, "credited": credited, "error": error,
        "annexes": invoice_rules.usage_annexes(invoice.lines), "mention_text": mention_text,
        "credit_notes": [n for n in credit_notes if n.credited_invoice_id == invoice.id]},
        status_code=status_code)


@router.get("/billing/invoices/{number}")
def invoice_page(request: Request, number: str, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    return _detail(request, ctx, number)


@router.get("/billing/invoices/{number}/{document}")
def invoice_download(request: Request, number: str, document: str, ctx: Ctx = Depends(staff_ctx)):
    """``pdf`` (Factur-X, its XML inside) in the page's language or ``facturx.xml`` alone."""
    invoice = billing_invoices.get_invoice(ctx.session, number)
    return attachment(*invoice_document(invoice, billing_invoices.credited_by(ctx.session, invoice),
                                        document, language_of(request)))


@router.post("/billing/invoices/{number}/credit", dependencies=[Depends(verify_csrf)])
def credit_form(request: Request, number: str, reason: str = Form(""), amount: str = Form(""),
                ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    try:
        ctx.require_write("billing")
        value = None
        if amount.strip():
            try:
                value = Decimal(amount.strip().replace(",", "."))
            except InvalidOperation:
                raise InvalidInput.on("amount", f"{amount!r} is not an amount") from None
        note = billing_invoices.credit_note(ctx.session, ctx.clock, ctx.actor, number, reason,
                                            amount=value)
    except ClausierError as exc:
        return _detail(request, ctx, number, exc.message, status_code=422)
    return RedirectResponse(f"/billing/invoices/{note.number}", status_code=303)


@router.get("/billing/runs")
def runs_page(request: Request, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    operators = _operators(ctx)
    return render(request, "billing/runs.html", {
        "runs": billing_runs.list_bill_runs(ctx.session), "operators": operators,
        "default_period": f"{ctx.clock.today():%Y-%m}"})


@router.post("/billing/runs", dependencies=[Depends(verify_csrf)])
def start_run(request: Request, period: str = Form(...), operator: str = Form(...),
              ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("billing")
    run_id = start_in_background(request, ctx, period, operator, draft=False)
    return RedirectResponse(f"/billing/runs/{run_id}", status_code=303)


@router.get("/billing/runs/{run_id}")
def run_page(request: Request, run_id: int, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    run = billing_runs.get_bill_run(ctx.session, run_id)
    return render(request, "billing/run.html", {
        "run": run, "operator": _operators(ctx).get(run.operator_id),
        "partitions": billing_runs.list_partitions(ctx.session, run.id)})


@router.get("/billing/runs/{run_id}/progress")
def run_progress(request: Request, run_id: int, ctx: Ctx = Depends(staff_ctx)):
    """HTMX fragment polled while the run is going."""
    request.state.user = ctx.user
    run = billing_runs.get_bill_run(ctx.session, run_id)
    return render(request, "billing/_progress.html", {
        "run": run, "partitions": billing_runs.list_partitions(ctx.session, run.id)})


def customer_section(session, customer, today, query) -> tuple[str, dict]:
    """The customer page's latest invoices and credit notes."""
    return "billing/_customer_section.html", {
        "invoices": billing_invoices.list_invoices(session, customer_id=customer.id, limit=12)}
