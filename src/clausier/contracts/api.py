"""``/api/v1/orders`` and ``/api/v1/subscriptions``: the contract lifecycle over HTTP."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from clausier.api.deps import Ctx, staff_ctx
from clausier.api.inputs import Day, Input, Page, Price, page_of_list
from clausier.contracts import service, shapes
from clausier.contracts.changes import Change
from clausier.core.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["contracts"])


class LineIn(Input):
    site_id: int
    offer_code: str
    quantity: int = Field(1, ge=1)
    commitment_months: int | None = Field(None, ge=1)
    monthly_fee: Price | None = None
    access_fee: Price | None = None
    access_fee_undiscounted: Price | None = None
    minimum_billing: Price | None = None
    options: list[str] = []


class OrderIn(Input):
    customer_id: int
    signed_on: Day
    channel: str = Field(description="on_premises | off_premises | distance")
    lines: list[LineIn]
    outside_main_activity: bool = False
    employees_at_signature: int | None = None
    external_ref: str | None = None
    accept: bool = Field(True, description="Accept at once: creates the subscriptions.")


class MessageOut(BaseModel):
    """A text as a message id and its parameters, and ``text``: the message in the language the
    request asks for (``Accept-Language``)."""

    id: str
    params: dict
    text: str | None = None


class ExplainedLineOut(BaseModel):
    label: str
    formula: str
    amount: str
    clause: str
    label_message: MessageOut | None = None
    formula_message: MessageOut | None = None


class QuoteOut(BaseModel):
    effective_date: date
    total: str
    currency: str
    lines: list[ExplainedLineOut]
    notes: list[str] = []
    note_messages: list[MessageOut | None] | None = None


class DateIn(Input):
    on: Day
    reason: str | None = None
    service_identifier: str | None = None


class TerminationIn(Input):
    received: Day
    reason: str | None = None
    channel: Literal["registered_letter", "email", "any_notification", "sms", "phone", "online_form",
                     "ticket"] = Field("registered_letter", description="how the notice came")


def _quote_out(quote) -> QuoteOut:
    data = quote.explained.as_dict()
    effective = getattr(quote, "effective_date")
    return QuoteOut(effective_date=effective, total=data["total"], currency=data["currency"],
                    lines=data["lines"], notes=data["notes"],
                    note_messages=data.get("note_messages"))


@router.post("/orders", status_code=201)
def create_order(body: OrderIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("contracts")
    order = service.create_order(ctx.session, ctx.clock, ctx.actor, service.OrderInput(
        customer_id=body.customer_id, signed_on=body.signed_on, channel=body.channel,
        lines=[service.LineInput(**line.model_dump(exclude={"options"}), options=tuple(line.options))
               for line in body.lines],
        outside_main_activity=body.outside_main_activity,
        employees_at_signature=body.employees_at_signature, external_ref=body.external_ref))
    ctx.session.flush()
    subscriptions = service.accept_order(ctx.session, ctx.clock, ctx.actor, order.id) if body.accept else []
    return {"id": order.id, "ref": order.ref, "status": order.status,
            "subscriptions": [s.ref for s in subscriptions]}


@router.get("/subscriptions")
def list_subscriptions(customer_id: int | None = None, status: str | None = None,
                       family: str | None = None, page: Page = Depends(page_of_list),
                       ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [shapes.subscription_dict(s) for s in service.list_subscriptions(
        ctx.session, customer_id, status, family, limit=page.limit, offset=page.offset)]


@router.get("/subscriptions/{ref}")
def get_subscription(ref: str, on: Day | None = None, ctx: Ctx = Depends(staff_ctx)) -> dict:
    subscription = service.get_subscription(ctx.session, ref)
    return shapes.subscription_dict(subscription, on or ctx.clock.today(), ctx.session)


@router.get("/subscriptions/{ref}/quotes/termination", response_model=QuoteOut)
def quote_termination(ref: str, received: Day, reason: str | None = None,
                      ctx: Ctx = Depends(staff_ctx)):
    return _quote_out(service.quote_termination(ctx.session, ref, received, reason))


@router.post("/subscriptions/{ref}/termination", response_model=QuoteOut)
def terminate(ref: str, body: TerminationIn, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("contracts")
    return _quote_out(service.give_notice(ctx.session, ctx.clock, ctx.actor, ref, body.received, body.reason,
                                         channel=body.channel))


@router.post("/subscriptions/{ref}/activation")
def activate(ref: str, body: DateIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """Go-live (*mise en service*, first connection, a pack's activation): once, not before the
    order (409 when already recorded, 422 naming ``on``)."""
    ctx.require_write("contracts")
    subscription = service.activate(ctx.session, ctx.clock, ctx.actor, ref, body.on, body.service_identifier)
    return shapes.subscription_dict(subscription, ctx.clock.today(), ctx.session)


class EventIn(Input):
    on: Day = Field(description="The day it happened (not in the future).")


def _record_goods_event(event: str):
    def record(ref: str, body: EventIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
        ctx.require_write("contracts")
        subscription = service.record_event(ctx.session, ctx.clock, ctx.actor, ref, event, body.on)
        return shapes.subscription_dict(subscription, ctx.clock.today(), ctx.session)
    record.__doc__ = (f"Record the {event} of the subscription's goods: once, on the timeline and "
                      f"audited (409 when already recorded; 422 naming ``on`` when before the order "
                      f"or out of the order shipment → delivery → receipt).")
    record.__name__ = f"record_{event}"
    return record


for _event, _path in (("shipment", "shipment"), ("delivery", "delivery"), ("receipt", "receipt")):
    router.post(f"/subscriptions/{{ref}}/{_path}", name=f"subscription_{_event}")(_record_goods_event(_event))


class ChangeIn(BaseModel):
    action: Literal["add", "remove", "option_add", "option_remove", "offer"]
    offer: str = Field(min_length=1, description="A catalogue offer code.")
    quantity: int = Field(1, ge=1)


class ChangeOrderIn(BaseModel):
    on: date = Field(description="The date the change is ordered.")
    changes: list[ChangeIn] = Field(min_length=1)
    recommit_months: int | None = Field(None, ge=1, description="Where the terms offer a choice.")

    def wanted(self) -> tuple[Change, ...]:
        return tuple(Change(c.action, c.offer, c.quantity) for c in self.changes)


def _change_order_out(order) -> dict:
    return {"ref": order.ref, "status": order.status, "ordered_on": order.ordered_on,
            "effective_on": order.effective_on,
            "changes": order.changes, "quote": order.quote}


@router.post("/subscriptions/{ref}/changes/quote")
def quote_change(ref: str, body: ChangeOrderIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """What a change order would cost and commit to (changes nothing)."""
    return service.quote_change(ctx.session, ref, body.wanted(), body.on,
                                body.recommit_months).as_dict()


@router.post("/subscriptions/{ref}/changes", status_code=201)
def confirm_change(ref: str, body: ChangeOrderIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """Confirm a change order: items changed from its date, re-committed, fees charged."""
    ctx.require_write("contracts")
    order = service.confirm_change(ctx.session, ctx.clock, ctx.actor, ref, body.wanted(),
                                   body.on, body.recommit_months)
    return _change_order_out(order)


@router.get("/subscriptions/{ref}/changes")
def list_changes(ref: str, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [_change_order_out(order) for order in service.change_orders(ctx.session, ref)]


@router.post("/subscriptions/{ref}/{action}")
def change_status(ref: str, action: str, body: DateIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    if action not in ("suspend", "restrict", "resume", "cancellation", "withdrawal"):
        raise NotFound(f"no action {action}")
    ctx.require_write("contracts")
    if action == "cancellation":
        return _quote_out(service.cancel(ctx.session, ctx.clock, ctx.actor, ref, body.on)).model_dump(mode="json")
    if action == "withdrawal":
        return service.withdraw(ctx.session, ctx.clock, ctx.actor, ref, body.on).as_dict()
    subscription = service.change_status(ctx.session, ctx.clock, ctx.actor,
                                         service.get_subscription(ctx.session, ref).id, action, body.on,
                                         body.reason or "")
    return shapes.subscription_dict(subscription)


@router.get("/subscriptions/{ref}/quotes/withdrawal")
def withdrawal(ref: str, requested_on: Day, ctx: Ctx = Depends(staff_ctx)) -> dict:
    return service.withdrawal_decision(ctx.session, ref, requested_on).as_dict()


@router.get("/subscriptions/{ref}/quotes/plan-change")
def quote_plan_change(ref: str, change: str, on: Day, equipment_change: bool = False,
                      ctx: Ctx = Depends(staff_ctx)) -> dict:
    """A row of the plan-change grid for this subscription: refused when the row is about
    other services; the effective date follows from the service (telephony or not)."""
    return service.quote_plan_change(ctx.session, ref, change, on,
                                     equipment_change=equipment_change).as_dict()


@router.get("/subscriptions/{ref}/quotes/move")
def quote_move(ref: str, on: Day, new_site_id: int, ctx: Ctx = Depends(staff_ctx)) -> dict:
    return service.quote_move(ctx.session, ref, on, new_site_id).as_dict()
