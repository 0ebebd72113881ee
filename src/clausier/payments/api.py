"""``/api/v1/payments``, ``/mandates``, ``/collections``, ``/dunning``, ``/disputes``,
``/deposits``, ``/rates`` and ``/outbox``: payments and collections over HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from clausier.api.deps import Ctx, staff_ctx
from clausier.payments import outbox, service

router = APIRouter(prefix="/api/v1", tags=["payments"])


class PaymentIn(BaseModel):
    customer: str = Field(description="Customer reference (or id).")
    amount: Decimal = Field(gt=0)
    method: str = Field("transfer", description="transfer | card | cheque | direct_debit")
    received_on: date
    reference: str = ""
    invoices: list[str] = Field([], description="Allocate to these invoices, in order; default: oldest first.")


@router.get("/payments")
def list_payments(customer: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    customer_id = service.get_customer(ctx.session, customer).id if customer else None
    return [service.payment_dict(p) for p in service.list_payments(ctx.session, customer_id)]


@router.post("/payments", status_code=201)
def record_payment(body: PaymentIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    payment = service.record_payment(ctx.session, ctx.clock, ctx.actor, body.customer, body.amount,
                                     body.method, body.received_on, body.reference, body.invoices)
    return service.payment_dict(payment)


class MandateIn(BaseModel):
    customer: str
    reference: str = Field(description="Unique mandate reference (RUM), up to 35 characters.")
    signed_on: date
    iban: str
    bic: str | None = None
    debtor_name: str | None = None


@router.get("/mandates")
def list_mandates(customer: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    customer_id = service.get_customer(ctx.session, customer).id if customer else None
    return [service.mandate_dict(m) for m in service.list_mandates(ctx.session, customer_id)]


@router.post("/mandates", status_code=201)
def add_mandate(body: MandateIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    mandate = service.add_mandate(ctx.session, ctx.clock, ctx.actor, body.customer,
                                  reference=body.reference, signed_on=body.signed_on, iban=body.iban,
                                  bic=body.bic, debtor_name=body.debtor_name)
    return service.mandate_dict(mandate)


@router.get("/collections/{customer}")
def collections(customer: str, on: date | None = None, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """What the customer owes (interest accrued, explained), its ladder, payments, messages."""
    return service.collections(ctx.session, customer, on or ctx.clock.today())


@router.get("/dunning/queue")
def dunning_queue(on: date | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [e.as_dict() for e in service.dunning_queue(ctx.session, on or ctx.clock.today())]


class DecisionIn(BaseModel):
    approve: bool
    on: date | None = None


@router.post("/dunning/steps/{step_id}/decision")
def decide_step(step_id: int, body: DecisionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """Approve or decline a step the sheet leaves to the operator (suspend, terminate…)."""
    ctx.require_write("payments")
    row = service.decide_step(ctx.session, ctx.clock, ctx.actor, step_id, body.approve, body.on)
    return {"id": row.id, "step": row.step_id, "status": row.status, "decided_by": row.decided_by,
            "decided_on": row.decided_on}


class ReceiptIn(BaseModel):
    received_on: date


@router.post("/outbox/{message_id}/receipt")
def letter_receipt(message_id: int, body: ReceiptIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """The acknowledgement of receipt of a registered letter."""
    ctx.require_write("payments")
    return outbox.message_dict(service.record_letter_receipt(ctx.session, ctx.clock, ctx.actor,
                                                             message_id, body.received_on))


@router.get("/outbox")
def list_outbox(customer: str | None = None, status: str | None = None,
                ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    customer_id = service.get_customer(ctx.session, customer).id if customer else None
    return [outbox.message_dict(m) for m in outbox.list_messages(ctx.session, customer_id, status)]


class DisputeIn(BaseModel):
    invoice: str
    received_on: date
    channel: str = "registered_letter"
    amount: Decimal | None = None
    reason: str = ""
    invoice_received_on: date | None = None


@router.get("/disputes")
def list_disputes(customer: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    customer_id = service.get_customer(ctx.session, customer).id if customer else None
    return [service.dispute_dict(d) for d in service.list_disputes(ctx.session, customer_id)]


@router.post("/disputes", status_code=201)
def record_dispute(body: DisputeIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    return service.dispute_dict(service.record_dispute(
        ctx.session, ctx.clock, ctx.actor, body.invoice, received_on=body.received_on,
        channel=body.channel, amount=body.amount, reason=body.reason,
        invoice_received_on=body.invoice_received_on))


class DisputeDecisionIn(BaseModel):
    accept: bool
    note: str = ""


@router.post("/disputes/{dispute_id}/decision")
def decide_dispute(dispute_id: int, body: DisputeDecisionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    return service.dispute_dict(service.decide_dispute(ctx.session, ctx.clock, ctx.actor, dispute_id,
                                                       body.accept, body.note))


class DepositIn(BaseModel):
    customer: str
    amount: Decimal = Field(gt=0)
    ground: str
    due_on: date
    subscription: str | None = None


class DepositEventIn(BaseModel):
    on: date | None = None
    amount: Decimal | None = None


@router.get("/deposits")
def list_deposits(customer: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    customer_id = service.get_customer(ctx.session, customer).id if customer else None
    return [service.deposit_dict(d) for d in service.list_deposits(ctx.session, customer_id)]


@router.post("/deposits", status_code=201)
def request_deposit(body: DepositIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    return service.deposit_dict(service.request_deposit(
        ctx.session, ctx.clock, ctx.actor, body.customer, amount=body.amount, ground=body.ground,
        due_on=body.due_on, subscription_ref=body.subscription))


@router.post("/deposits/{deposit_id}/provided")
def provide_deposit(deposit_id: int, body: DepositEventIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    return service.deposit_dict(service.provide_deposit(
        ctx.session, ctx.clock, ctx.actor, deposit_id, body.on or ctx.clock.today(), body.amount))


@router.post("/deposits/{deposit_id}/draw")
def draw_deposit(deposit_id: int, body: DepositEventIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    return service.payment_dict(service.draw_deposit(ctx.session, ctx.clock, ctx.actor, deposit_id,
                                                     body.on))


@router.post("/deposits/{deposit_id}/release")
def release_deposit(deposit_id: int, body: DepositEventIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    credit = service.release_deposit(ctx.session, ctx.clock, ctx.actor, deposit_id, body.on)
    return {"credit_id": credit.id, "amount": str(credit.amount)}


class RateIn(BaseModel):
    half_year: str = Field(description="YYYY-H1 or YYYY-H2")
    percent: Decimal


@router.post("/rates/legal-interest", status_code=201)
def add_legal_rate(body: RateIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    row = service.add_legal_rate(ctx.session, ctx.clock, ctx.actor, body.half_year, body.percent)
    return {"source": row.source, "half_year": row.half_year, "percent": row.percent}


@router.get("/rates/legal-interest")
def list_legal_rates(ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [{"source": r.source, "half_year": r.half_year, "percent": r.percent}
            for r in service.list_legal_rates(ctx.session)]
