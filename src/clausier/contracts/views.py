"""Back-office pages: subscriptions list, contract page with its timeline and what-if exit quotes."""

from __future__ import annotations

from datetime import date

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from clausier.api.deps import Ctx, staff_ctx
from clausier.catalog import service as catalog
from clausier.contracts import changes, rules, service, statuses
from clausier.core.errors import ClausierError
from clausier.customers import facts as customer_facts
from clausier.web.forms import optional_int
from clausier.web.templating import render, verify_csrf

router = APIRouter(include_in_schema=False)


@router.get("/contracts")
def contracts_page(request: Request, status: str | None = None, family: str | None = None,
                   customer_id: int | None = None, ctx: Ctx = Depends(staff_ctx)):
    subscriptions = service.list_subscriptions(ctx.session, customer_id, status or None, family or None)
    customers = customer_facts.customers(ctx.session, {s.customer_id for s in subscriptions})
    return render(request, "contracts/list.html", {
        "subscriptions": subscriptions, "customers": customers, "status": status or "",
        "family": family or "", "statuses": sorted(statuses.SubscriptionStatus)})


@router.get("/contracts/{ref}")
def contract_page(request: Request, ref: str, on: date | None = None,
                  changed: str | None = None, change_error: str | None = None,
                  recorded: str | None = None, event_error: str | None = None,
                  ctx: Ctx = Depends(staff_ctx)):
    subscription = service.get_subscription(ctx.session, ref)
    day = on or ctx.clock.today()
    operator = catalog.get_operator_by_id(ctx.session, subscription.operator_id)
    return render(request, "contracts/detail.html", {
        "sub": subscription, "timeline": service.timeline(ctx.session, subscription.id, day),
        "items": service.items_in_force(subscription, day),
        "offers": catalog.list_offers(ctx.session, operator.code, subscription.family),
        "change_actions": changes.ACTIONS, "changed": changed, "change_error": change_error,
        "change_orders": service.quoted_change_orders(ctx.session, subscription.id),
        "lifecycle": [(event, getattr(service.lifecycle(subscription), event))
                      for event in rules.LIFECYCLE_EVENTS],
        "recorded": recorded if recorded in rules.LIFECYCLE_EVENTS else None,
        "event_error": event_error,
        "customer": customer_facts.customers(ctx.session, [subscription.customer_id]).get(
            subscription.customer_id),
        "site": customer_facts.sites(ctx.session, [subscription.site_id]).get(subscription.site_id),
        "exemptions": [e.reason.value for e in (service.terms_of(ctx.session, subscription).termination.exemptions
                                               if service.terms_of(ctx.session, subscription).termination else [])],
        "today": day})


@router.post("/contracts/{ref}/events", dependencies=[Depends(verify_csrf)])
def record_event_form(ref: str, event: str = Form(...), on: date = Form(...),
                      ctx: Ctx = Depends(staff_ctx)):
    """Record a shipment, delivery, receipt or activation (as the API and the CLI do)."""
    ctx.require_write("contracts")
    page = f"/contracts/{quote(ref)}"
    try:
        service.record_event(ctx.session, ctx.clock, ctx.actor, ref, event, on)
    except ClausierError as exc:
        ctx.session.rollback()
        return RedirectResponse(f"{page}?event_error={quote(exc.message)}#lifecycle", status_code=303)
    return RedirectResponse(f"{page}?recorded={quote(event)}#lifecycle", status_code=303)


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


def _wanted(action: str, offer: str, quantity: str) -> tuple[changes.Change, ...]:
    return (changes.Change(action, offer.strip(), optional_int("quantity", quantity) or 1),)


@router.post("/contracts/{ref}/change-quote", dependencies=[Depends(verify_csrf)])
def change_quote_fragment(request: Request, ref: str, on: date = Form(...),
                          action: str = Form(...), offer: str = Form(...),
                          quantity: str = Form("1"), ctx: Ctx = Depends(staff_ctx)):
    """HTMX fragment: what a change would cost and commit to, with the form confirming it."""
    form = {"on": on.isoformat(), "action": action, "offer": offer, "quantity": quantity}
    try:
        quote = service.quote_change(ctx.session, ref, _wanted(action, offer, quantity), on)
        return render(request, "contracts/_change_quote.html",
                      {"quote": quote, "ref": ref, "form": form, "error": None})
    except ClausierError as exc:
        return render(request, "contracts/_change_quote.html",
                      {"quote": None, "ref": ref, "form": form, "error": exc.message})


@router.post("/contracts/{ref}/changes", dependencies=[Depends(verify_csrf)])
def confirm_change_form(ref: str, on: date = Form(...), action: str = Form(...),
                        offer: str = Form(...), quantity: str = Form("1"),
                        ctx: Ctx = Depends(staff_ctx)):
    """Confirm the change quoted: the items change from its date (as the API's confirm)."""
    ctx.require_write("contracts")
    page = f"/contracts/{quote(ref)}"
    try:
        order = service.confirm_change(ctx.session, ctx.clock, ctx.actor, ref,
                                       _wanted(action, offer, quantity), on)
    except ClausierError as exc:
        ctx.session.rollback()
        return RedirectResponse(f"{page}?change_error={quote(exc.message)}", status_code=303)
    return RedirectResponse(f"{page}?changed={quote(order.ref)}&on={order.effective_on}",
                            status_code=303)


@router.post("/contracts/{ref}/changes/{order_ref}/confirm",
             dependencies=[Depends(verify_csrf)])
def confirm_requested_form(ref: str, order_ref: str, ctx: Ctx = Depends(staff_ctx)):
    """Confirm a change the customer requested from the portal."""
    ctx.require_write("contracts")
    page = f"/contracts/{quote(ref)}"
    try:
        order = service.confirm_requested_change(ctx.session, ctx.clock, ctx.actor, ref,
                                                 order_ref)
    except ClausierError as exc:
        ctx.session.rollback()
        return RedirectResponse(f"{page}?change_error={quote(exc.message)}", status_code=303)
    return RedirectResponse(f"{page}?changed={quote(order.ref)}&on={order.effective_on}",
                            status_code=303)


# --------------------------------------------------------------------------- the customer page

ORDER_ROWS = 4      # lines of the order form; an order with more lines goes through the API


def customer_section(session, customer, today: date, query: dict) -> tuple[str, dict]:
    """The customer's subscriptions with their commitment end, and the form of a new order."""
    subscriptions = service.list_subscriptions(session, customer.id)
    operator = catalog.get_operator_by_id(session, customer.operator_id)
    return "contracts/_customer_section.html", {
        "subscriptions": [(s, service.timeline(session, s.id, today)) for s in subscriptions],
        "sites": customer.sites, "today": today, "channels": service.CHANNELS,
        "offers": catalog.list_offers(session, operator.code), "rows": range(ORDER_ROWS),
        "order_error": query.get("order_error")}


@router.post("/customers/{customer_id}/orders", dependencies=[Depends(verify_csrf)])
def order_form(customer_id: int, signed_on: date = Form(...), channel: str = Form(...),
               site_id: list[str] = Form([]), offer_code: list[str] = Form([]),
               quantity: list[str] = Form([]), ctx: Ctx = Depends(staff_ctx)):
    """A signed order typed in from the back office, accepted at once: one subscription per site
    and service family (as ``POST /api/v1/orders`` with ``accept``)."""
    ctx.require_write("contracts")
    page = f"/customers/{customer_id}"
    try:
        lines = [service.LineInput(site_id=optional_int(f"lines.{index}.site_id", site) or 0,
                                   offer_code=code.strip(),
                                   quantity=optional_int(f"lines.{index}.quantity", count) or 1)
                 for index, (site, code, count) in enumerate(zip(site_id, offer_code, quantity))
                 if code.strip()]
        order = service.create_order(ctx.session, ctx.clock, ctx.actor, service.OrderInput(
            customer_id=customer_id, signed_on=signed_on, channel=channel, lines=lines))
        ctx.session.flush()
        created = service.accept_order(ctx.session, ctx.clock, ctx.actor, order.id)
    except ClausierError as exc:
        ctx.session.rollback()
        return RedirectResponse(f"{page}?order_error={quote(exc.message)}#contracts",
                                status_code=303)
    return RedirectResponse(f"{page}?order={quote(order.ref)}&created={len(created)}#contracts",
                            status_code=303)
