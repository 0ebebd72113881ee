"""Back-office pages of collections: the dunning queue with step approvals and letter receipts,
a customer's collections page, and the outbox."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse

from clausier.api.deps import Ctx, staff_ctx
from clausier.core.errors import NotFound
from clausier.notifications import outbox
from clausier.notifications.facts import message_facts
from clausier.payments import invoices as invoice_reads
from clausier.payments import overview, shapes
from clausier.payments.dunning import service as dunning
from clausier.payments.ledger import service as ledger
from clausier.payments.sepa import service as sepa
from clausier.web.dashboard import Card
from clausier.web.templating import render, verify_csrf

router = APIRouter(include_in_schema=False)


def dashboard_cards(session, gettext) -> list[Card]:
    cases, pending = dunning.dunning_counts(session)
    return [Card(gettext("Dunning cases"), str(cases), "/payments/dunning"),
            Card(gettext("Steps awaiting approval"), str(pending), "/payments/dunning")]


@router.get("/payments/dunning")
def dunning_page(request: Request, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    today = ctx.clock.today()
    return render(request, "payments/dunning.html",
                  {"entries": dunning.dunning_queue(ctx.session, today), "today": today})


@router.post("/payments/dunning/steps/{step_id}", dependencies=[Depends(verify_csrf)])
def decide_step(step_id: int, decision: str = Form(...), ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("payments")
    dunning.decide_step(ctx.session, ctx.clock, ctx.actor, step_id, decision == "approve")
    return RedirectResponse("/payments/dunning", status_code=303)


@router.post("/payments/letters/{message_id}/receipt", dependencies=[Depends(verify_csrf)])
def letter_receipt(message_id: int, received_on: date = Form(...), ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("payments")
    dunning.record_letter_receipt(ctx.session, ctx.clock, ctx.actor, message_id, received_on)
    return RedirectResponse("/payments/dunning", status_code=303)


@router.get("/payments/customers/{customer}")
def collections_page(request: Request, customer: str, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    return render(request, "payments/collections.html",
                  {"data": shapes.collections_dict(
                      overview.collections(ctx.session, customer, ctx.clock.today()))})


@router.get("/payments/outbox")
def outbox_page(request: Request, status: str | None = None, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    return render(request, "payments/outbox.html",
                  {"messages": outbox.list_messages(ctx.session, status=status or None),
                   "status": status or ""})


@router.get("/payments/letters/{message_id}.pdf")
def letter_pdf(message_id: int, ctx: Ctx = Depends(staff_ctx)):
    message = message_facts(ctx.session, [message_id]).get(message_id)
    if message is None or not message.file_path:
        raise NotFound(f"letter {message_id} not found", resource="letter")
    return FileResponse(message.file_path, media_type="application/pdf",
                        filename=f"letter-{message.id:06d}.pdf")


def customer_section(session, customer, today, query) -> tuple[str, dict]:
    """The customer page's collections summary: what is owed, payments, mandates (details on the
    collections page)."""
    return "payments/_customer_section.html", {
        "owed": invoice_reads.owed(session, customer.id),
        "payments": ledger.list_payments(session, customer.id, limit=5),
        "mandates": sepa.list_mandates(session, customer.id)}
