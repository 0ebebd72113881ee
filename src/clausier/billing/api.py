"""``/api/v1/invoices``, ``/api/v1/billruns``, ``/api/v1/index-values``, ``/api/v1/price-changes``."""

from __future__ import annotations

import threading
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy import event

from clausier.api.deps import Ctx, staff_ctx
from clausier.api.files import attachment
from clausier.api.inputs import (
    Day,
    IndexValue,
    Input,
    Page,
    Percent,
    PositiveSum,
    Sum,
    page_of_list,
)
from clausier.billing.documents.pdf import invoice_document
from clausier.billing.invoices import service as billing_invoices
from clausier.billing.ledger import service as billing_ledger
from clausier.billing.runs import service as billing_runs
from clausier.billing.runs.rules import BillRunStatus
from clausier.billing.shapes import invoice_dict
from clausier.catalog import facts as catalog
from clausier.workers.dispatch import partition_queue

router = APIRouter(prefix="/api/v1", tags=["billing"])


class BillRunIn(Input):
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="The month billed, YYYY-MM.")
    operator: str
    draft: bool = False


class CreditIn(Input):
    reason: str = Field(min_length=1)
    amount: PositiveSum | None = Field(None, description="In the invoice's basis; none: all.")
    label: str | None = None
    vat_rate: str | None = None


class PaymentIn(Input):
    amount_paid: Sum
    on: Day | None = None


class IndexValueIn(Input):
    series: str
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    value: IndexValue


class IndexationIn(Input):
    operator: str
    year: int = Field(ge=2000, le=2100)


class PriceChangeIn(Input):
    operator: str
    kind: str = Field(description="general | usage | regulatory")
    effective_on: Day
    percent: Percent | None = None
    family: str | None = None
    offer_code: str | None = None
    description: str = ""


def _download(ctx: Ctx, number: str, document: str, language: str = "fr") -> Response:
    invoice = billing_invoices.get_invoice(ctx.session, number)
    return attachment(*invoice_document(invoice, billing_invoices.credited_by(ctx.session, invoice),
                                        document, language))


@router.get("/invoices")
def list_invoices(status: str | None = None, customer_id: int | None = None,
                  period: str | None = None, operator: str | None = None, kind: str | None = None,
                  q: str | None = None, page: Page = Depends(page_of_list),
                  ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [invoice_dict(i, with_lines=False)
            for i in billing_invoices.list_invoices(
        ctx.session, status=status, customer_id=customer_id, period=period, operator_code=operator,
        kind=kind, search=q, limit=page.limit, offset=page.offset)]


@router.get("/invoices/export.csv")
def export_csv(period: str | None = None, operator: str | None = None, status: str | None = None,
               ctx: Ctx = Depends(staff_ctx)) -> Response:
    text = billing_invoices.export_csv(ctx.session, period=period, operator_code=operator,
                                       status=status)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="invoices.csv"'})


@router.get("/invoices/{number}")
def get_invoice(number: str, ctx: Ctx = Depends(staff_ctx)) -> dict:
    return invoice_dict(billing_invoices.get_invoice(ctx.session, number))


@router.get("/invoices/{number}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def invoice_pdf_route(number: str, lang: Literal["fr", "en"] = Query(
                          "fr", description="language of the document"),
                      ctx: Ctx = Depends(staff_ctx)) -> Response:
    return _download(ctx, number, "pdf", lang)


@router.get("/invoices/{number}/facturx.xml", response_class=Response,
            responses={200: {"content": {"application/xml": {}}}})
def invoice_xml(number: str, ctx: Ctx = Depends(staff_ctx)) -> Response:
    return _download(ctx, number, "facturx.xml")


@router.post("/invoices/{number}/credit-notes", status_code=201)
def credit(number: str, body: CreditIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("billing")
    note = billing_invoices.credit_note(ctx.session, ctx.clock, ctx.actor, number, body.reason,
                               amount=body.amount, label=body.label, vat_rate=body.vat_rate)
    ctx.session.flush()
    return invoice_dict(note)


@router.post("/invoices/{number}/payment")
def payment(number: str, body: PaymentIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    invoice = billing_invoices.record_payment(ctx.session, ctx.clock, ctx.actor, number,
                                              body.amount_paid,
                                     body.on or ctx.clock.today())
    return invoice_dict(invoice, with_lines=False)


@router.post("/invoices/{invoice_id}/issue")
def issue(invoice_id: int, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("billing")
    return invoice_dict(billing_invoices.issue_invoice(ctx.session, ctx.clock,
                                                                        ctx.actor, invoice_id),
                                with_lines=False)


@router.get("/billruns")
def list_bill_runs(ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    codes = catalog.operator_codes(ctx.session)
    return [bill_run_dict(r, codes.get(r.operator_id, ""))
            for r in billing_runs.list_bill_runs(ctx.session)]


@router.get("/billruns/{run_id}")
def get_bill_run(run_id: int, ctx: Ctx = Depends(staff_ctx)) -> dict:
    run = billing_runs.get_bill_run(ctx.session, run_id)
    operator = catalog.operator_by_id(ctx.session, run.operator_id)
    return bill_run_dict(run, operator.code if operator else "")


# A run beside the server's requests holds the write lock one batch at a time (SQLite), and the
# writes queued behind it wait for the batch: smaller batches, shorter waits (benchmarks/
# api_load.py on a loaded machine: writers' p99 15 s with 50 customers a batch, 25 s with 500).
SERVER_BATCH = 50


def start_in_background(request: Request, ctx: Ctx, period: str, operator: str, draft: bool) -> int:
    """Record the run in the request's transaction; once it commits, bill in a thread. The
    progress is read from ``GET /billruns/{id}``."""
    engine = request.app.state.engine
    queue = partition_queue(request.app.state.settings, ctx.actor)    # workers, with a broker
    run = billing_runs.start_bill_run(ctx.session, ctx.clock, ctx.actor, period, operator,
                                 issuing=not draft)
    ctx.session.flush()
    worker = threading.Thread(target=billing_runs.run_bill_run, daemon=True,
                              name=f"billrun-{run.id}",
                              args=(engine, ctx.clock, ctx.actor, period, operator),
                              # In this process: the server's cores serve its requests.
                              kwargs={"draft_only": draft, "bill_run_id": run.id,
                                      "batch_size": SERVER_BATCH, "queue": queue,
                                      "processes": 1})
    event.listen(ctx.session, "after_commit", lambda _session: worker.start(), once=True)
    return run.id


@router.post("/billruns", status_code=202)
def start_bill_run(body: BillRunIn, request: Request, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("billing")
    run_id = start_in_background(request, ctx, body.period, body.operator, body.draft)
    return {"id": run_id, "status": BillRunStatus.RUNNING, "href": f"/api/v1/billruns/{run_id}"}


@router.get("/index-values")
def index_values(series: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [{"series": r.series, "month": f"{r.month:%Y-%m}", "value": r.value}
            for r in billing_ledger.list_index_values(ctx.session, series)]


@router.post("/index-values", status_code=201)
def add_index_value(body: IndexValueIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("billing")
    row = billing_ledger.add_index_value(ctx.session, ctx.clock, ctx.actor, body.series, body.month,
                                         body.value)
    return {"series": row.series, "month": f"{row.month:%Y-%m}", "value": row.value}


@router.post("/indexation")
def indexation(body: IndexationIn, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    ctx.require_write("billing")
    return [{"subscription_id": r.subscription_id, "item_id": r.subscription_item_id,
             "effective_on": r.effective_on, "old_fee": str(r.old_fee), "new_fee": str(r.new_fee),
             "explanation": r.explanation}
            for r in billing_ledger.apply_indexation(ctx.session, ctx.clock, ctx.actor,
                                                     body.operator, body.year)]


@router.get("/price-changes")
def price_changes(ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [{"id": c.id, "kind": c.kind, "family": c.family, "offer_code": c.offer_code,
             "percent": c.percent, "announced_on": c.announced_on, "effective_on": c.effective_on,
             "notices": len(c.notices)} for c in billing_ledger.list_price_changes(ctx.session)]


@router.post("/price-changes", status_code=201)
def announce(body: PriceChangeIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("billing")
    change = billing_ledger.announce_price_change(
        ctx.session, ctx.clock, ctx.actor, body.operator, body.kind, body.effective_on,
        family=body.family, offer_code=body.offer_code, percent=body.percent,
        description=body.description)
    return {"id": change.id, "notices": [
        {"customer_id": n.customer_id, "subscription_id": n.subscription_id,
         "effective_on": n.effective_on, "notice_clause": n.notice_clause,
         "may_leave_without_fees": n.may_leave_without_fees, "leave_until": n.leave_until,
         "leave_clause": n.leave_clause} for n in change.notices]}


def bill_run_dict(run, operator_code: str = "") -> dict:
    """A bill run as the API shows it."""
    return {"id": run.id, "operator": operator_code, "period": run.period, "status": run.status,
            "issue_date": run.issue_date, "customers_total": run.customers_total,
            "customers_done": run.customers_done, "invoices": run.invoices,
            "total_ht": str(run.total_ht), "total_ttc": str(run.total_ttc), "errors": run.errors,
            "started_at": run.started_at, "finished_at": run.finished_at}
