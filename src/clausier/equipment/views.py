"""Back-office pages: the equipment inventory and the returns due this week with the penalties
about to be billed."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from clausier.api.deps import Ctx, staff_ctx
from clausier.customers.models import Customer
from clausier.equipment import rules, service
from clausier.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/equipment")
def inventory_page(request: Request, state: str | None = None, kind: str | None = None,
                   customer_id: int | None = None, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    items = [service.to_dict(i) for i in service.list_items(ctx.session, state or None, customer_id,
                                                             kind or None)]
    return render(request, "equipment/inventory.html", {
        "items": items, "state": state or "", "kind": kind or "", "states": rules.STATES})


@router.get("/equipment/returns")
def returns_page(request: Request, on: date | None = None, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    start, end = service.week_of(on or ctx.clock.today())
    rows = service.returns_due(ctx.session, start, end)
    names = {c.id: c.name for c in ctx.session.scalars(
        select(Customer).where(Customer.id.in_({r["customer_id"] for r in rows})))}
    return render(request, "equipment/returns.html", {
        "rows": rows, "start": start, "end": end, "names": names,
        "previous": start - timedelta(days=7), "next": start + timedelta(days=7)})


def customer_section(session, customer, today, query) -> tuple[str, dict]:
    """The customer page's equipment: what it has, and what it must send back by when."""
    return "equipment/_customer_section.html", {
        "equipment": service.list_items(session, customer_id=customer.id, limit=200), "today": today}
