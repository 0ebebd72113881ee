"""``/api/v1/payments``, ``/mandates``, ``/collections``, ``/dunning``, ``/disputes``,
``/deposits``, ``/rates`` and ``/outbox``: payments and collections over HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from pydantic import Field

from clausier.api.deps import Ctx, staff_ctx
from clausier.api.inputs import Day, Input, Percent, PositiveSum
from clausier.notifications import outbox
from clausier.notifications.shapes import message_dict
from clausier.payments import common, overview
from clausier.payments.deposits import service as deposits
from clausier.payments.disputes import service as disputes
from clausier.payments.dunning import service as dunning
from clausier.payments.ledger import late_payment
from clausier.payments.ledger import service as ledger
from clausier.payments.sepa import service as sepa
from clausier.payments import shapes

router = APIRouter(prefix="/api/v1", tags=["payments"])


class PaymentIn(Input):
    customer: str = Field(description="Customer reference (or id).")
    amount: PositiveSum
    method: str = Field("transfer", description="transfer | card | cheque | direct_debit")
    received_on: Day
    reference: str = Field("", description="The bank's reference: a payment posted again with "
                                           "it returns the first one.")
    invoices: list[str] = Field([], description="Allocate to these invoices, in order; default: oldest first.")


@router.get("/payments")
def list_payments(customer: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    customer_id = common.get_customer(ctx.session, customer).id if customer else None
    return [shapes.payment_dict(p) for p in ledger.list_payments(ctx.session, customer_id)]


@router.post("/payments", status_code=201,
             responses={200: {"description": "Recorded before: the first payment, unchanged."}})
def record_payment(body: PaymentIn, response: Response,
                   idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
                   ctx: Ctx = Depends(staff_ctx)) -> dict:
    """Record a payment once: a retry with the same ``Idempotency-Key`` header, or the same
    bank ``reference`` for the customer, answers 200 with the first payment."""
    ctx.require_write("payments")
    payment, repeated = ledger.record_payment_once(
        ctx.session, ctx.clock, ctx.actor, body.customer, body.amount, body.method,
        body.received_on, body.reference, body.invoices, idempotency_key=idempotency_key)
    if repeated:
        response.status_code = 200
    return shapes.payment_dict(payment)


class MandateIn(Input):
    customer: str
    reference: str = Field(description="Unique mandate reference (RUM), up to 35 characters.")
    signed_on: Day
    iban: str
    bic: str | None = None
    debtor_name: str | None = None


@router.get("/mandates")
def list_mandates(customer: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    customer_id = common.get_customer(ctx.session, customer).id if customer else None
    return [shapes.mandate_dict(m) for m in sepa.list_mandates(ctx.session, customer_id)]


@router.post("/mandates", status_code=201)
def add_mandate(body: MandateIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    mandate = sepa.add_mandate(ctx.session, ctx.clock, ctx.actor, body.customer,
                               reference=body.reference, signed_on=body.signed_on, iban=body.iban,
                               bic=body.bic, debtor_name=body.debtor_name)
    return shapes.mandate_dict(mandate)


@router.get("/collections/{customer}")
def collections(customer: str, on: Day | None = None, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """What the customer owes (interest accrued, explained), its ladder, payments, messages."""
    return shapes.collections_dict(overview.collections(ctx.session, customer,
                                                        on or ctx.clock.today()))


@router.get("/dunning/queue")
def dunning_queue(on: Day | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [e.as_dict() for e in dunning.dunning_queue(ctx.session, on or ctx.clock.today())]


class DecisionIn(Input):
    approve: bool
    on: Day | None = None


@router.post("/dunning/steps/{step_id}/decision")
def decide_step(step_id: int, body: DecisionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """Approve or decline a step the sheet leaves to the operator (suspend, terminate…)."""
    ctx.require_write("payments")
    row = dunning.decide_step(ctx.session, ctx.clock, ctx.actor, step_id, body.approve, body.on)
    return {"id": row.id, "step": row.step_id, "status": row.status, "decided_by": row.decided_by,
            "decided_on": row.decided_on}


class ReceiptIn(Input):
    received_on: Day


@router.post("/outbox/{message_id}/receipt")
def letter_receipt(message_id: int, body: ReceiptIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """The acknowledgement of receipt of a registered letter."""
    ctx.require_write("payments")
    return message_dict(dunning.record_letter_receipt(ctx.session, ctx.clock, ctx.actor,
                                                             message_id, body.received_on))


@router.get("/outbox")
def list_outbox(customer: str | None = None, status: str | None = None,
                ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    customer_id = common.get_customer(ctx.session, customer).id if customer else None
    return [message_dict(m) for m in outbox.list_messages(ctx.session, customer_id, status)]


class DisputeIn(Input):
    invoice: str
    received_on: Day
    channel: str = "registered_letter"
    amount: PositiveSum | None = None
    reason: str = ""
    invoice_received_on: Day | None = None


@router.get("/disputes")
def list_disputes(customer: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    customer_id = common.get_customer(ctx.session, customer).id if customer else None
    return [shapes.dispute_dict(d) for d in disputes.list_disputes(ctx.session, customer_id)]


@router.post("/disputes", status_code=201)
def record_dispute(body: DisputeIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    return shapes.dispute_dict(disputes.record_dispute(
        ctx.session, ctx.clock, ctx.actor, body.invoice, received_on=body.received_on,
        channel=body.channel, amount=body.amount, reason=body.reason,
        invoice_received_on=body.invoice_received_on))


class DisputeDecisionIn(Input):
    accept: bool
    note: str = ""


@router.post("/disputes/{dispute_id}/decision")
def decide_dispute(dispute_id: int, body: DisputeDecisionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    return shapes.dispute_dict(disputes.decide_dispute(ctx.session, ctx.clock, ctx.actor, dispute_id,
                                                         body.accept, body.note))


class DepositIn(Input):
    customer: str
    amount: PositiveSum
    ground: str
    due_on: Day
    subscription: str | None = None


class DepositEventIn(Input):
    on: Day | None = None
    amount: PositiveSum | None = None


@router.get("/deposits")
def list_deposits(customer: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    customer_id = common.get_customer(ctx.session, customer).id if customer else None
    return [shapes.deposit_dict(d) for d in deposits.list_deposits(ctx.session, customer_id)]


@router.post("/deposits", status_code=201)
def request_deposit(body: DepositIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    return shapes.deposit_dict(deposits.request_deposit(
        ctx.session, ctx.clock, ctx.actor, body.customer, amount=body.amount, ground=body.ground,
        due_on=body.due_on, subscription_ref=body.subscription))


@router.post("/deposits/{deposit_id}/provided")
def provide_deposit(deposit_id: int, body: DepositEventIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    return shapes.deposit_dict(deposits.provide_deposit(
        ctx.session, ctx.clock, ctx.actor, deposit_id, body.on or ctx.clock.today(), body.amount))


@router.post("/deposits/{deposit_id}/draw")
def draw_deposit(deposit_id: int, body: DepositEventIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    return shapes.payment_dict(deposits.draw_deposit(ctx.session, ctx.clock, ctx.actor, deposit_id,
                                                     body.on))


@router.post("/deposits/{deposit_id}/release")
def release_deposit(deposit_id: int, body: DepositEventIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    credit = deposits.release_deposit(ctx.session, ctx.clock, ctx.actor, deposit_id, body.on)
    return {"credit_id": credit.id, "amount": str(credit.amount)}


class RateIn(Input):
    half_year: str = Field(description="YYYY-H1 or YYYY-H2")
    percent: Percent


@router.post("/rates/legal-interest", status_code=201)
def add_legal_rate(body: RateIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("payments")
    row = late_payment.add_legal_rate(ctx.session, ctx.clock, ctx.actor, body.half_year, body.percent)
    return {"source": row.source, "half_year": row.half_year, "percent": row.percent}


@router.get("/rates/legal-interest")
def list_legal_rates(ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [{"source": r.source, "half_year": r.half_year, "percent": r.percent}
            for r in late_payment.list_legal_rates(ctx.session)]
