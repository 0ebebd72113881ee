"""The customer portal's pages (``/portal``) and, for staff, the portal users of a customer."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote as quote_url

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from clausier.api.files import attachment
from clausier.api.deps import Ctx, customer_ctx, staff_ctx
from clausier.catalog import service as catalog
from clausier.contracts import service as contracts
from clausier.contracts.changes import ACTIONS, Change
from clausier.core.errors import ClausierError, NotFound
from clausier.customers import service as customers
from clausier.equipment import shapes as equipment_shapes
from clausier.portal import service
from clausier.rooms import ROOMS
from clausier.web.forms import optional_int
from clausier.web.templating import environment, language_of, render, verify_csrf

router = APIRouter(include_in_schema=False)


def _(text: str) -> str:
    """Marks a text for the catalogues; it is translated when the page is rendered."""
    return text


# The portal's sections: (path, title, the room that must be listed for the section to be shown).
SECTIONS: list[tuple[str, str, str | None]] = [
    ("/portal", _("My contracts"), None),
    ("/portal/invoices", _("My invoices"), "billing"),
    ("/portal/payments", _("Payments and what is due"), "payments"),
    ("/portal/usage", _("My usage"), "rating"),
    ("/portal/equipment", _("Equipment to return"), "equipment"),
    ("/portal/tickets", _("My tickets"), "support"),
    ("/portal/sla", _("Service-level reports"), "support"),
]


# How a customer reads a subscription's status and the grounds for leaving without the fee.
STATUS_LABELS = {
    "ordered": _("ordered"), "active": _("active"), "suspended": _("suspended"),
    "restricted": _("restricted"), "notice_given": _("notice given"),
    "terminated": _("terminated"), "cancelled": _("cancelled"),
}
GROUND_LABELS = {
    "price_increase_refused": _("I refuse a price increase"),
    "usage_price_increase_refused": _("I refuse an increase of usage prices"),
    "harmful_change_to_terms": _("I refuse a change of the terms to my detriment"),
    "force_majeure": _("Force majeure"),
    "move_to_uncovered_area": _("I move to an area the service does not cover"),
    "death": _("Death of the subscriber"),
    "technical_impossibility": _("The service is technically impossible"),
    "technical_malfunction": _("The service does not work"),
    "incumbent_terms_changed": _("The incumbent operator changed its terms"),
    "sub_processor_objection": _("I object to a new sub-processor"),
    "at_term": _("At the end of the term"),
}


def sections() -> list[tuple[str, str]]:
    listed = {room.name for room in ROOMS}
    return [(path, title) for path, title, room in SECTIONS if room is None or room in listed]


# base.html draws the portal's navigation from this (a customer user sees no staff link).
environment.globals["portal_sections"] = sections


@router.get("/portal")
def portal_home(request: Request, ctx: Ctx = Depends(customer_ctx)):
    today = ctx.clock.today()
    return render(request, "portal/home.html", {
        "customer": service.customer_of(ctx.session, ctx.customer_id),
        "contracts": service.contracts_of(ctx.session, ctx.customer_id, today),
        "sites": {s.id: s for s in service.customer_of(ctx.session, ctx.customer_id).sites},
        "today": today, "status_labels": STATUS_LABELS})


def _contract_page(request: Request, ctx: Ctx, ref: str, quote=None, error: str | None = None,
                   received: date | None = None, reason: str = "",
                   change_error: str | None = None):
    today = ctx.clock.today()
    contract = service.contract_of(ctx.session, ctx.customer_id, ref, today)
    sub = contract.subscription
    return render(request, "portal/contract.html", {
        "items": contracts.items_in_force(sub, today),
        "change_orders": contracts.quoted_change_orders(ctx.session, sub.id),
        "offers": catalog.list_offers(
            ctx.session, catalog.get_operator_by_id(ctx.session, sub.operator_id).code, sub.family),
        "change_actions": ACTIONS, "change_error": change_error, "today": today,
        "contract": contract, "sub": contract.subscription, "timeline": contract.timeline,
        "grounds": service.exit_grounds(ctx.session, contract.subscription),
        "received": received or today, "reason": reason, "quote": quote, "error": error,
        "ground_labels": GROUND_LABELS, "status_labels": STATUS_LABELS})


@router.get("/portal/contracts/{ref}")
def portal_contract(request: Request, ref: str, ctx: Ctx = Depends(customer_ctx)):
    return _contract_page(request, ctx, ref)


@router.post("/portal/contracts/{ref}/quote", dependencies=[Depends(verify_csrf)])
def portal_quote(request: Request, ref: str, received: date = Form(...), reason: str = Form(""),
                 ctx: Ctx = Depends(customer_ctx)):
    """What leaving would cost (changes nothing): an HTMX fragment, or the page without script."""
    service.subscription_of(ctx.session, ctx.customer_id, ref)      # 404 before anything else
    try:
        quote, error = service.quote_leaving(ctx.session, ctx.customer_id, ref, received,
                                             reason or None), None
    except ClausierError as exc:
        quote, error = None, exc.message
    if request.headers.get("hx-request"):
        return render(request, "contracts/_quote.html", {"quote": quote, "error": error})
    return _contract_page(request, ctx, ref, quote, error, received, reason)


@router.post("/portal/contracts/{ref}/changes", dependencies=[Depends(verify_csrf)])
def portal_request_change(request: Request, ref: str, on: date = Form(...),
                          action: str = Form(...), offer: str = Form(...),
                          quantity: str = Form("1"), ctx: Ctx = Depends(customer_ctx)):
    """The customer asks for a change: quoted and kept for staff to confirm (nothing changes)."""
    subscription = service.subscription_of(ctx.session, ctx.customer_id, ref)
    try:
        wanted = (Change(action, offer.strip(), optional_int("quantity", quantity) or 1),)
        contracts.request_change(ctx.session, ctx.clock, ctx.actor, subscription.id, wanted, on)
    except ClausierError as exc:     # refused before anything is written
        return _contract_page(request, ctx, ref, change_error=exc.message)
    return RedirectResponse(f"/portal/contracts/{quote_url(ref)}#changes", status_code=303)


@router.get("/portal/usage")
def portal_usage(request: Request, ctx: Ctx = Depends(customer_ctx)):
    """The customer's rated usage per service and month, with its explanation."""
    return render(request, "portal/usage.html", {
        "summaries": service.usage_of_customer(ctx.session, ctx.customer_id),
        "refs": {c.subscription.id: c.subscription.ref
                 for c in service.contracts_of(ctx.session, ctx.customer_id, ctx.clock.today())}})


def _equipment_page(request: Request, ctx: Ctx, revealed: tuple[str, str] | None = None,
                    error: str | None = None, status_code: int = 200):
    return render(request, "portal/equipment.html", {
        "rows": equipment_shapes.return_dicts(service.equipment_to_return(ctx.session,
                                                                          ctx.customer_id)),
        "sims": service.sims_of_customer(ctx.session, ctx.customer_id),
        "revealed": revealed, "error": error, "today": ctx.clock.today()},
        status_code=status_code)


@router.get("/portal/equipment")
def portal_equipment(request: Request, ctx: Ctx = Depends(customer_ctx)):
    """What the customer must send back, by when, what missing the deadline bills (with its
    clause) and where to send it; its SIM cards (PUK on request, loss or theft)."""
    return _equipment_page(request, ctx)


@router.post("/portal/equipment/sims/{iccid}/puk", dependencies=[Depends(verify_csrf)])
def portal_show_puk(request: Request, iccid: str, ctx: Ctx = Depends(customer_ctx)):
    """The PUK is shown once, in the answer to this POST (never in a URL; every reading audited)."""
    try:
        puk = service.show_puk(ctx.session, ctx.clock, ctx.actor, ctx.customer_id, iccid)
    except NotFound:
        raise
    except ClausierError as exc:
        return _equipment_page(request, ctx, error=exc.message, status_code=exc.status)
    return _equipment_page(request, ctx, revealed=(iccid, puk))


@router.post("/portal/equipment/sims/{iccid}/lost", dependencies=[Depends(verify_csrf)])
def portal_report_sim_lost(request: Request, iccid: str, reason: str = Form(...),
                           ctx: Ctx = Depends(customer_ctx)):
    try:
        service.report_sim_lost(ctx.session, ctx.clock, ctx.actor, ctx.customer_id, iccid, reason)
    except NotFound:
        raise
    except ClausierError as exc:
        return _equipment_page(request, ctx, error=exc.message, status_code=exc.status)
    return RedirectResponse("/portal/equipment", status_code=303)


@router.get("/portal/invoices")
def portal_invoices(request: Request, ctx: Ctx = Depends(customer_ctx)):
    """The customer's invoices and credit notes, each as a PDF with its Factur-X XML inside."""
    return render(request, "portal/invoices.html", {
        "invoices": service.invoices_of_customer(ctx.session, ctx.customer_id),
        "today": ctx.clock.today()})


@router.get("/portal/invoices/{number}")
def portal_invoice(request: Request, number: str, ctx: Ctx = Depends(customer_ctx)):
    """One of the customer's documents: its lines and, for rated calls, the usage annex."""
    invoice, _credited = service.invoice_of_customer(ctx.session, ctx.customer_id, number)
    return render(request, "portal/invoice.html", {
        "invoice": invoice, "annexes": service.usage_annexes(invoice)})


@router.get("/portal/invoices/{number}/{document}")
def portal_invoice_file(request: Request, number: str, document: str,
                        ctx: Ctx = Depends(customer_ctx)) -> Response:
    """``pdf`` (Factur-X: the XML is inside) in the page's language or ``facturx.xml`` alone."""
    return attachment(*service.invoice_file(ctx.session, ctx.customer_id, number, document,
                                            language_of(request)))


PAYMENT_METHODS = {
    "transfer": _("transfer"), "card": _("card"), "cheque": _("cheque"),
    "direct_debit": _("direct debit"), "deposit": _("deposit"), "set_off": _("set-off"),
}
CREDIT_SOURCES = {"overpayment": _("overpayment"), "deposit": _("deposit")}


@router.get("/portal/payments")
def portal_payments(request: Request, ctx: Ctx = Depends(customer_ctx)):
    """What is due (open invoices with their due dates), payments received, credit balance."""
    return render(request, "portal/payments.html", {
        "dues": service.dues_of_customer(ctx.session, ctx.customer_id, ctx.clock.today()),
        "today": ctx.clock.today(), "methods": PAYMENT_METHODS,
        "sources": CREDIT_SOURCES})


# --------------------------------------------------------------------------- staff: portal users

def _users_page(request: Request, ctx: Ctx, customer_id: int, values: dict | None = None,
                errors: dict | None = None, status_code: int = 200):
    customer = customers.get_customer(ctx.session, customer_id)
    template = ("portal/_users.html" if request.headers.get("hx-request")
                else "portal/users.html")
    return render(request, template, {
        "customer": customer, "users": service.portal_users(ctx.session, customer.id),
        "values": values or {"language": "fr"}, "errors": errors or {}},
                  status_code=status_code)


@router.get("/customers/{customer_id}/portal-users")
def portal_users_page(request: Request, customer_id: int, ctx: Ctx = Depends(staff_ctx)):
    return _users_page(request, ctx, customer_id)


@router.post("/customers/{customer_id}/portal-users", dependencies=[Depends(verify_csrf)])
def create_portal_user(request: Request, customer_id: int, email: str = Form(""),
                       name: str = Form(""), password: str = Form(""), language: str = Form("fr"),
                       ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("customers")
    values = {"email": email, "name": name, "language": language}
    try:
        with ctx.session.begin_nested():
            service.create_portal_user(ctx.session, ctx.clock, ctx.actor, customer_id,
                                       email=email, name=name, password=password,
                                       language=language)
    except ClausierError as exc:
        field, _sep, reason = exc.message.partition(": ")
        return _users_page(request, ctx, customer_id, values,
                           {field: reason} if reason else {"_": exc.message}, status_code=422)
    return RedirectResponse(f"/customers/{customer_id}#portal-users", status_code=303)
