"""``/api/v1/tickets`` and ``/api/v1/sla``: tickets, their clock, the SLA report and claims.

Staff see every customer; a customer-portal token sees and acts for its own customer only; a
site user (whose account carries its pack's customer) is told "not found".
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from clausier.api.deps import Ctx, service_ctx, staff_ctx
from clausier.api.inputs import Input, Moment
from clausier.core.errors import InvalidInput
from clausier.support import service, shapes

router = APIRouter(prefix="/api/v1", tags=["support"])


class PersonIn(Input):
    name: str
    email: str = ""
    phone: str = ""


class TicketIn(Input):
    subscription: str = Field(description="Subscription reference or id.")
    reporter_contact_id: int = Field(description="An incident reporter of the customer.")
    description: str
    location: str = ""
    consequences: str = ""
    keep_informed: list[PersonIn] = Field([], description="Default: the reporter.")
    site_ids: list[int] = Field([], description="Default: the subscription's site.")
    access: str | None = Field(None, description="Access affected (e.g. isdn) when several.")
    called_at: Moment | None = Field(None, description="Time of the call; default: now.")
    channel: str = "api"


class AtIn(Input):
    at: Moment | None = Field(None, description="When it happened; default: now.")


class QualifyIn(Input):
    in_scope: bool | None = None
    anomaly: str | None = Field(None, description="major | minor")
    excusable_event: str | None = None
    misuse: bool = False
    note: str = ""


class OutageIn(Input):
    subscription: str
    started_at: Moment
    ended_at: Moment
    excluded_reason: str | None = None
    note: str = ""


class ClaimIn(Input):
    customer: str = Field(description="Customer reference or id.")
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise InvalidInput.on("month", f"{text!r} is not a month YYYY-MM") from None


def _ticket_out(ctx: Ctx, ref: str) -> dict:
    ticket = service.get_ticket(ctx.session, ref)
    service.check_customer_scope(ctx.actor, ticket.customer_id)
    return shapes.ticket_to_dict(service.clock_of(ctx.session, ticket, ctx.clock.now()),
                                  with_events=True)


@router.post("/tickets", status_code=201)
def open_ticket(body: TicketIn, ctx: Ctx = Depends(service_ctx)) -> dict:
    """Open a ticket (staff, or the customer portal for its own services)."""
    ctx.require_write("support")
    ticket = service.open_ticket(ctx.session, ctx.clock, ctx.actor, service.TicketInput(
        subscription=body.subscription, reporter_contact_id=body.reporter_contact_id,
        description=body.description, location=body.location, consequences=body.consequences,
        keep_informed=[p.model_dump() for p in body.keep_informed], site_ids=body.site_ids,
        access=body.access, called_at=body.called_at, channel=body.channel))
    return _ticket_out(ctx, ticket.ref)


@router.get("/tickets")
def list_tickets(customer: str | None = None, all_states: bool = Query(False, alias="all"),
                 ctx: Ctx = Depends(service_ctx)) -> list[dict]:
    """Open tickets, most urgent first (``all=true``: closed ones too)."""
    customer_id = ctx.customer_id
    if customer_id is None and customer:
        customer_id = service.get_customer(ctx.session, customer).id
    now = ctx.clock.now()
    if all_states:
        clocks = [service.clock_of(ctx.session, t, now)
                  for t in service.list_tickets(ctx.session, customer_id=customer_id)]
    else:
        clocks = service.live_board(ctx.session, now, customer_id)
    return [shapes.ticket_to_dict(c) for c in clocks]


@router.get("/tickets/{ref}")
def show_ticket(ref: str, ctx: Ctx = Depends(service_ctx)) -> dict:
    return _ticket_out(ctx, ref)


@router.post("/tickets/{ref}/confirm")
def confirm(ref: str, body: AtIn, ctx: Ctx = Depends(service_ctx)) -> dict:
    """The written confirmation of the call (the customer may send it from the portal)."""
    ctx.require_write("support")
    service.confirm(ctx.session, ctx.clock, ctx.actor, ref, body.at)
    return _ticket_out(ctx, ref)


def _staff_action(action, ref: str, ctx: Ctx, **options) -> dict:
    ctx.require_write("support")
    action(ctx.session, ctx.clock, ctx.actor, ref, **options)
    return _ticket_out(ctx, ref)


@router.post("/tickets/{ref}/pause")
def pause(ref: str, body: AtIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """Site access requested: the clock is frozen."""
    return _staff_action(service.request_access, ref, ctx, at=body.at)


@router.post("/tickets/{ref}/resume")
def resume(ref: str, body: AtIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """Site access given: the clock runs again."""
    return _staff_action(service.give_access, ref, ctx, at=body.at)


@router.post("/tickets/{ref}/qualify")
def qualify(ref: str, body: QualifyIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    return _staff_action(service.qualify, ref, ctx, **body.model_dump())


@router.post("/tickets/{ref}/restore")
def restore(ref: str, body: AtIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """Restoration notified: the clock stops."""
    return _staff_action(service.restore, ref, ctx, at=body.at)


@router.post("/tickets/{ref}/close")
def close(ref: str, body: AtIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    return _staff_action(service.close, ref, ctx, at=body.at)


@router.post("/sla/outages", status_code=201)
def record_outage(body: OutageIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("support")
    outage = service.record_outage(ctx.session, ctx.clock, ctx.actor, body.subscription,
                                   body.started_at, body.ended_at, body.excluded_reason, body.note)
    return {"id": outage.id, "started_at": outage.started_at.isoformat(),
            "ended_at": outage.ended_at.isoformat(), "excluded_reason": outage.excluded_reason}


@router.get("/sla/report")
def sla_report(month: str = Query(..., pattern=r"^\d{4}-\d{2}$"), customer: str | None = None,
               ctx: Ctx = Depends(service_ctx)) -> list[dict]:
    """Per subscription: availability, band, credit, restoration breaches, penalties, explained."""
    return [shapes.report_to_dict(r) for r in service.sla_report(
        ctx.session, ctx.clock, _month(month), customer, ctx.actor)]


@router.post("/sla/claims", status_code=201)
def claim(body: ClaimIn, ctx: Ctx = Depends(service_ctx)) -> dict:
    """The customer's claim for a month: credits for the next invoice, each line explained."""
    ctx.require_write("support")
    return shapes.claim_to_dict(service.claim(ctx.session, ctx.clock, ctx.actor, body.customer,
                                               _month(body.month)))
