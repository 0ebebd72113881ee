"""Pages: the back-office ticket board (live clock, HTMX refresh), ticket page with its clock
timeline and actions, the SLA report; the customer portal's tickets and SLA reports."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from clausier.api.deps import Ctx, customer_ctx, staff_ctx
from clausier.contracts import service as contracts
from clausier.core.clock import PARIS
from clausier.core.errors import ClausierError, InvalidInput, NotFound
from clausier.customers import facts as customer_facts
from clausier.customers import service as customers
from clausier.support import service
from clausier.support.rules import TicketStatus, duration_text, percent_text
from clausier.web.dashboard import Card
from clausier.web.templating import render as render_page
from clausier.web.templating import verify_csrf

router = APIRouter(include_in_schema=False)

def render(request: Request, template: str, context: dict, status_code: int = 200):
    """Pages of this room also format durations (``dur``) and availability rates (``pct``)."""
    return render_page(request, template, {"dur": duration_text, "pct": percent_text, **context},
                       status_code)


STAFF_ACTIONS = {"confirm": service.confirm, "pause": service.request_access,
                 "resume": service.give_access, "restore": service.restore, "close": service.close}


def _month(text: str | None, ctx: Ctx) -> date:
    if not text:
        today = ctx.clock.today()
        return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise InvalidInput.on("month", f"{text!r} is not a month YYYY-MM") from None


def _instant(text: str) -> datetime | None:
    """``datetime-local`` form value, Paris time; empty means now."""
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


# --------------------------------------------------------------------------- back office


def dashboard_cards(session, gettext) -> list[Card]:
    return [Card(gettext("Open tickets"), str(service.open_ticket_count(session)), "/support/tickets"),
            Card(gettext("Service levels"), gettext("Monthly report"), "/support/sla")]


@router.get("/support/tickets")
def board_page(request: Request, ctx: Ctx = Depends(staff_ctx)):
    return render(request, "support/board.html", {
        "clocks": service.live_board(ctx.session, ctx.clock.now()), "now": ctx.clock.now(),
        "closed": service.list_tickets(ctx.session, status=TicketStatus.CLOSED)[:20], "base": "/support/tickets",
        **_reporters(ctx, "")})


@router.get("/support/tickets/board")
def board_fragment(request: Request, ctx: Ctx = Depends(staff_ctx)):
    """HTMX fragment refreshed every minute: the time left moves with the clock."""
    return render(request, "support/_board.html", {
        "clocks": service.live_board(ctx.session, ctx.clock.now()), "now": ctx.clock.now(),
        "base": "/support/tickets"})


@router.get("/support/tickets/reporters")
def reporters_fragment(request: Request, subscription: str = "", ctx: Ctx = Depends(staff_ctx)):
    """HTMX fragment of the ticket form: the contacts the subscription's customer authorised to
    report incidents (CP I §5.7), to pick from rather than type an id."""
    return render(request, "support/_reporters.html", _reporters(ctx, subscription))


def _reporters(ctx: Ctx, subscription: str, chosen: int | None = None) -> dict:
    if not subscription.strip():
        return {"reporters": None, "subscription": "", "chosen": chosen}
    try:
        customer_id = contracts.get_subscription(ctx.session, subscription.strip()).customer_id
    except NotFound:
        return {"reporters": None, "subscription": subscription, "chosen": chosen,
                "unknown": True}
    return {"reporters": customers.authorised_reporters(ctx.session, customer_id),
            "subscription": subscription, "chosen": chosen}


@router.post("/support/tickets", dependencies=[Depends(verify_csrf)])
def open_from_form(request: Request, subscription: str = Form(...), reporter_contact_id: int = Form(...),
                   description: str = Form(...), location: str = Form(""), consequences: str = Form(""),
                   access: str = Form(""), called_at: str = Form(""), ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("support")
    try:
        ticket = service.open_ticket(ctx.session, ctx.clock, ctx.actor, service.TicketInput(
            subscription=subscription, reporter_contact_id=reporter_contact_id,
            description=description, location=location, consequences=consequences,
            access=access or None, called_at=_instant(called_at), channel="phone"))
    except ClausierError as exc:
        return render(request, "support/board.html", {
            "clocks": service.live_board(ctx.session, ctx.clock.now()), "now": ctx.clock.now(),
            "closed": [], "base": "/support/tickets", "error": exc.message, "form": {
                "subscription": subscription, "reporter_contact_id": reporter_contact_id,
                "description": description, "location": location, "consequences": consequences},
            **_reporters(ctx, subscription, reporter_contact_id)},
            status_code=422)
    return RedirectResponse(f"/support/tickets/{ticket.ref}", status_code=303)


@router.get("/support/tickets/{ref}")
def ticket_page(request: Request, ref: str, ctx: Ctx = Depends(staff_ctx)):
    return _ticket_page(request, ctx, service.get_ticket(ctx.session, ref), staff=True)


def _ticket_page(request: Request, ctx: Ctx, ticket, staff: bool, error: str | None = None):
    clock = service.clock_of(ctx.session, ticket, ctx.clock.now())
    return render(request, "support/ticket.html", {
        "c": clock, "t": ticket, "staff": staff, "error": error,
        "customer": customer_facts.customers(ctx.session, [ticket.customer_id]).get(
            ticket.customer_id),
        "reporter": customer_facts.contacts(ctx.session, [ticket.reporter_contact_id]).get(
            ticket.reporter_contact_id),
        "events": sorted(ticket.events, key=lambda e: (e.at, e.id)),
        "notifications": service.notifications_of(ctx.session, ticket) if staff else [],
        "excusable_events": service.excusable_events(ctx.session, ticket) if staff else []},
        status_code=422 if error else 200)


@router.post("/support/tickets/{ref}/qualify", dependencies=[Depends(verify_csrf)])
def qualify_from_form(request: Request, ref: str, in_scope: str = Form(""), anomaly: str = Form(""),
                      excusable_event: str = Form(""), misuse: bool = Form(False), note: str = Form(""),
                      ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("support")
    try:
        service.qualify(ctx.session, ctx.clock, ctx.actor, ref,
                        in_scope={"yes": True, "no": False}.get(in_scope), anomaly=anomaly or None,
                        excusable_event=excusable_event or None, misuse=misuse, note=note)
    except ClausierError as exc:
        return _ticket_page(request, ctx, service.get_ticket(ctx.session, ref), True, exc.message)
    return RedirectResponse(f"/support/tickets/{ref}", status_code=303)


@router.post("/support/tickets/{ref}/{action}", dependencies=[Depends(verify_csrf)])
def act_from_form(request: Request, ref: str, action: str, at: str = Form(""),
                  ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("support")
    if action not in STAFF_ACTIONS:
        raise NotFound(f"action: {action} not found")
    try:
        STAFF_ACTIONS[action](ctx.session, ctx.clock, ctx.actor, ref, _instant(at))
    except ClausierError as exc:
        return _ticket_page(request, ctx, service.get_ticket(ctx.session, ref), True, exc.message)
    return RedirectResponse(f"/support/tickets/{ref}", status_code=303)


@router.get("/support/sla")
def sla_page(request: Request, month: str | None = None, customer: str | None = None,
             ctx: Ctx = Depends(staff_ctx)):
    day = _month(month, ctx)
    return render(request, "support/sla.html", {
        "customers": service.sla_overview(ctx.session, ctx.clock, day, customer or None),
        "month": day, "customer": customer or "", "portal": False})


# --------------------------------------------------------------------------- customer portal


@router.get("/portal/tickets")
def portal_tickets(request: Request, ctx: Ctx = Depends(customer_ctx)):
    return _portal_list(request, ctx, ctx.customer_id)


def _portal_list(request: Request, ctx: Ctx, customer_id: int, error: str | None = None,
                 form: dict | None = None):
    return render(request, "support/portal_tickets.html", {
        "clocks": service.live_board(ctx.session, ctx.clock.now(), customer_id),
        "closed": service.list_tickets(ctx.session, customer_id=customer_id, status=TicketStatus.CLOSED)[:20],
        "subscriptions": contracts.list_subscriptions(ctx.session, customer_id, "active"),
        "reporters": customers.authorised_reporters(ctx.session, customer_id),
        "now": ctx.clock.now(), "base": "/portal/tickets", "error": error, "form": form or {}},
        status_code=422 if error else 200)


@router.get("/portal/tickets/board")
def portal_board(request: Request, ctx: Ctx = Depends(customer_ctx)):
    return render(request, "support/_board.html", {
        "clocks": service.live_board(ctx.session, ctx.clock.now(), ctx.customer_id),
        "now": ctx.clock.now(), "base": "/portal/tickets"})


@router.post("/portal/tickets", dependencies=[Depends(verify_csrf)])
def portal_open(request: Request, subscription: str = Form(...), reporter_contact_id: int = Form(...),
                description: str = Form(...), location: str = Form(""), consequences: str = Form(""),
                ctx: Ctx = Depends(customer_ctx)):
    customer_id = ctx.customer_id
    try:
        ticket = service.open_ticket(ctx.session, ctx.clock, ctx.actor, service.TicketInput(
            subscription=subscription, reporter_contact_id=reporter_contact_id,
            description=description, location=location, consequences=consequences, channel="portal"))
    except ClausierError as exc:
        return _portal_list(request, ctx, customer_id, exc.message, {
            "subscription": subscription, "description": description, "location": location,
            "consequences": consequences})
    return RedirectResponse(f"/portal/tickets/{ticket.ref}", status_code=303)


@router.get("/portal/tickets/{ref}")
def portal_ticket(request: Request, ref: str, ctx: Ctx = Depends(customer_ctx)):
    ticket = service.get_ticket(ctx.session, ref)
    if ticket.customer_id != ctx.customer_id:
        raise NotFound(f"ticket: {ref} not found", resource="ticket")
    return _ticket_page(request, ctx, ticket, staff=False)


@router.get("/portal/sla")
def portal_sla(request: Request, month: str | None = None, ctx: Ctx = Depends(customer_ctx)):
    day = _month(month, ctx)
    return render(request, "support/sla.html", {
        "customers": service.sla_overview(ctx.session, ctx.clock, day, None, ctx.actor),
        "month": day, "customer": "", "portal": True})


def customer_section(session, customer, today, query) -> tuple[str, dict]:
    """The customer page's tickets, open ones first."""
    tickets = service.list_tickets(session, customer_id=customer.id)
    return "support/_customer_section.html", {
        "tickets": sorted(tickets, key=lambda t: t.status != TicketStatus.OPEN)[:12]}
