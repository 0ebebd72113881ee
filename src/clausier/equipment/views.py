"""Back-office pages: the equipment inventory and the returns due this week with the penalties
about to be billed."""

from __future__ import annotations

from datetime import date, timedelta

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from clausier.api.deps import Ctx, staff_ctx
from clausier.contracts import service as contracts
from clausier.core.errors import ClausierError
from clausier.customers import facts as customer_facts
from clausier.equipment import rules, service, shapes
from clausier.web.templating import render, verify_csrf

router = APIRouter(include_in_schema=False)


@router.get("/equipment")
def inventory_page(request: Request, state: str | None = None, kind: str | None = None,
                   customer_id: int | None = None, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    listed = service.list_items(ctx.session, state or None, customer_id, kind or None)
    items = shapes.item_dicts(listed, service.kinds_of(ctx.session, listed))
    return render(request, "equipment/inventory.html", {
        "items": items, "state": state or "", "kind": kind or "", "states": rules.STATES})


@router.get("/equipment/returns")
def returns_page(request: Request, on: date | None = None, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    start, end = service.week_of(on or ctx.clock.today())
    rows = shapes.return_dicts(service.returns_due(ctx.session, start, end))
    names = customer_facts.names(ctx.session, {r["customer_id"] for r in rows})
    return render(request, "equipment/returns.html", {
        "rows": rows, "start": start, "end": end, "names": names,
        "previous": start - timedelta(days=7), "next": start + timedelta(days=7)})


# The item's journey to the customer recorded from its page: (event, column, service function).
JOURNEY = (("shipment", "shipped_on", None), ("delivery", "delivered_on", service.record_delivery),
           ("receipt", "received_on", service.record_receipt))


@router.get("/equipment/item/{serial}")
def item_page(request: Request, serial: str, recorded: str | None = None, error: str | None = None,
              ctx: Ctx = Depends(staff_ctx)):
    """One item: where it is, its journey to the customer (shipment, delivery, receipt) with the
    forms recording the next step, and its subscription's lifecycle."""
    request.state.user = ctx.user
    item = service.get_item(ctx.session, serial)
    subscription = (contracts.get_subscription(ctx.session, item.subscription_id)
                    if item.subscription_id else None)
    return render(request, "equipment/item.html", {
        "item": shapes.item_dict(item, service.kind_of(ctx.session, item)), "subscription": subscription,
        "journey": [(event, getattr(item, column)) for event, column, _ in JOURNEY],
        "modes": rules.PROVISION_MODES, "today": ctx.clock.today(),
        "recorded": recorded if recorded in {e for e, _, _ in JOURNEY} else None, "error": error})


def _back(serial: str, outcome: str) -> RedirectResponse:
    return RedirectResponse(f"/equipment/item/{quote(serial)}?{outcome}#journey", status_code=303)


@router.post("/equipment/item/{serial}/shipment", dependencies=[Depends(verify_csrf)])
def ship_form(serial: str, subscription: str = Form(...), provision_mode: str = Form(...),
              on: date = Form(...), ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("equipment")
    try:
        service.ship(ctx.session, ctx.clock, ctx.actor, serial, subscription.strip(), provision_mode, on)
    except ClausierError as exc:
        ctx.session.rollback()
        return _back(serial, f"error={quote(exc.message)}")
    return _back(serial, "recorded=shipment")


@router.post("/equipment/item/{serial}/{event}", dependencies=[Depends(verify_csrf)])
def arrival_form(serial: str, event: str, on: date = Form(...), ctx: Ctx = Depends(staff_ctx)):
    """The delivery or the receipt of the item, recorded from its page."""
    ctx.require_write("equipment")
    record = next((function for name, _, function in JOURNEY if name == event and function), None)
    if record is None:
        return _back(serial, f"error={quote(f'event: {event!r} is not delivery or receipt')}")
    try:
        record(ctx.session, ctx.clock, ctx.actor, serial, on)
    except ClausierError as exc:
        ctx.session.rollback()
        return _back(serial, f"error={quote(exc.message)}")
    return _back(serial, f"recorded={event}")


def customer_section(session, customer, today, query) -> tuple[str, dict]:
    """The customer page's equipment: what it has, and what it must send back by when."""
    items = service.list_items(session, customer_id=customer.id, limit=200)
    return "equipment/_customer_section.html", {
        "equipment": items, "kinds": service.kinds_of(session, items), "today": today}
