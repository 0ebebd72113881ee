"""Back-office pages: subscriptions list, contract page with its timeline and what-if exit quotes."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Request

from clausier.api.deps import Ctx, staff_ctx
from clausier.contracts import service
from clausier.core.errors import ClausierError
from clausier.customers.models import Customer, Site
from clausier.web.templating import render, verify_csrf

router = APIRouter(include_in_schema=False)


@router.get("/contracts")
def contracts_page(request: Request, status: str | None = None, family: str | None = None,
                   customer_id: int | None = None, ctx: Ctx = Depends(staff_ctx)):
    subscriptions = service.list_subscriptions(ctx.session, customer_id, status or None, family or None)
    customers = {c.id: c for c in ctx.session.query(Customer).filter(
        Customer.id.in_({s.customer_id for s in subscriptions}))} if subscriptions else {}
    return render(request, "contracts/list.html", {
        "subscriptions": subscriptions, "customers": customers, "status": status or "",
        "family": family or "", "statuses": sorted({target for _, target in service.TRANSITIONS.values()} | {"ordered"})})


@router.get("/contracts/{ref}")
def contract_page(request: Request, ref: str, on: date | None = None, ctx: Ctx = Depends(staff_ctx)):
    subscription = service.get_subscription(ctx.session, ref)
    day = on or ctx.clock.today()
    return render(request, "contracts/detail.html", {
        "sub": subscription, "timeline": service.timeline(ctx.session, subscription.id, day),
        "customer": ctx.session.get(Customer, subscription.customer_id),
        "site": ctx.session.get(Site, subscription.site_id),
        "exemptions": [e.reason.value for e in (service.terms_of(ctx.session, subscription).termination.exemptions
                                               if service.terms_of(ctx.session, subscription).termination else [])],
        "today": day})


@router.post("/contracts/{ref}/quote", dependencies=[Depends(verify_csrf)])
def quote_fragment(request: Request, ref: str, received: date = Form(...), reason: str = Form(""),
                   ctx: Ctx = Depends(staff_ctx)):
    """HTMX fragment: the explained termination quote for a date (changes nothing)."""
    try:
        quote = service.quote_termination(ctx.session, ref, received, reason or None)
        return render(request, "contracts/_quote.html", {"quote": quote, "error": None})
    except ClausierError as exc:
        return render(request, "contracts/_quote.html", {"quote": None, "error": exc.message},
                      status_code=200)
