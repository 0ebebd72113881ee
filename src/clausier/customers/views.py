"""Customer pages: list with live search, create and edit forms, the customer's page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from clausier.api.deps import Ctx, staff_ctx
from clausier.catalog import service as catalog
from clausier.core.errors import ClausierError
from clausier.customers import rules, service
from clausier.rooms import ROOMS
from clausier.web.dashboard import Card
from clausier.web.templating import render, verify_csrf

router = APIRouter(include_in_schema=False)

FORM_FIELDS = ("name", "kind", "ref", "external_ref", "category", "siren", "siret", "vat_number",
               "employees", "main_activity", "email", "phone", "billing_address", "country",
               "notes")
SITE_FORM_FIELDS = ("name", "address", "postcode", "city", "country", "numbering_zone")
CONTACT_FORM_FIELDS = ("name", "email", "phone", "site_id")

def customer_sections(ctx: Ctx, customer, query: dict) -> list[tuple[str, dict]]:
    """What the rooms show on the customer page (their manifests' ``customer_sections``), each
    called as ``section(session, customer, today, query)`` (``query``: the page's query
    parameters, where a section's form reports its error) returning ``(template, context)``."""
    return [section(ctx.session, customer, ctx.clock.today(), query)
            for room in ROOMS for section in room.customer_sections()]


def dashboard_cards(session, gettext) -> list[Card]:
    """One card per operator: how many customers it has."""
    return [Card(title=f"{gettext('Customers')} · {operator.name}", figure=str(count),
                 link=f"/customers?operator={operator.code}")
            for operator, count in service.count_by_operator(session)]


def _page_ctx(request: Request, ctx: Ctx = Depends(staff_ctx)) -> Ctx:
    return ctx


def _errors(exc: ClausierError) -> dict[str, str]:
    """Field -> reason, shown next to the field; what names no field goes on top."""
    if exc.problems:
        return {problem.field: problem.reason for problem in exc.problems}
    field, _, reason = exc.message.partition(": ")
    return {field: reason} if reason else {"_": exc.message}


def _form_values(form, fields: tuple[str, ...]) -> dict:
    values = {name: str(form.get(name, "")).strip() for name in fields}
    if "employees" in values:
        text = values["employees"]
        values["employees"] = int(text) if text.isdecimal() else None
    if "site_id" in values:
        values["site_id"] = int(values["site_id"]) if values["site_id"].isdecimal() else None
    return values


def _form_context(ctx: Ctx, values: dict, errors: dict | None = None, customer=None) -> dict:
    return {"values": values, "errors": errors or {}, "customer": customer,
            "operators": catalog.list_operators(ctx.session), "categories": rules.CATEGORIES,
            "kinds": rules.KINDS}


@router.get("/customers")
def customers_page(request: Request, q: str = "", operator: str = "", page: int = 1,
                   ctx: Ctx = Depends(_page_ctx)):
    found = service.search_customers(ctx.session, q or None, operator or None, page, 50)
    operators = {o.id: o for o in catalog.list_operators(ctx.session)}
    context = {"found": found, "q": q, "operator": operator, "operators": operators}
    if request.headers.get("hx-request"):
        return render(request, "customers/_results.html", context)
    return render(request, "customers/list.html", context)


@router.get("/customers/new")
def new_customer_form(request: Request, operator: str = "", ctx: Ctx = Depends(_page_ctx)):
    return render(request, "customers/form.html",
                  _form_context(ctx, {"operator": operator, "kind": "company", "country": "FR",
                                      "category": "other"}))


@router.post("/customers/new", dependencies=[Depends(verify_csrf)])
async def create_customer(request: Request, ctx: Ctx = Depends(_page_ctx)):
    ctx.require_write("customers")
    form = await request.form()
    values = {**_form_values(form, FORM_FIELDS), "operator": str(form.get("operator", ""))}
    given = {k: v for k, v in values.items()
             if v not in ("", None) and k not in ("operator", "name", "kind")}
    try:
        with ctx.session.begin_nested():
            customer = service.create_customer(
                ctx.session, ctx.clock, ctx.actor, operator=values["operator"],
                name=values["name"], kind=values["kind"], **given)
    except ClausierError as exc:
        return render(request, "customers/form.html", _form_context(ctx, values, _errors(exc)),
                      status_code=422)
    return RedirectResponse(f"/customers/{customer.id}", status_code=303)


@router.get("/customers/{customer_id}")
def customer_page(request: Request, customer_id: int, ctx: Ctx = Depends(_page_ctx)):
    return render(request, "customers/detail.html",
                  _detail_context(ctx, service.get_customer(ctx.session, customer_id),
                                  query=dict(request.query_params)))


def _detail_context(ctx: Ctx, customer, which: str = "", values: dict | None = None,
                    errors: dict | None = None, query: dict | None = None) -> dict:
    """The customer page; ``which`` names the form (site/contact) that comes back with errors."""
    return {
        "customer": customer,
        "operator": catalog.get_operator_by_id(ctx.session, customer.operator_id),
        "trail": service.customer_trail(ctx.session, customer.id), "roles": rules.CONTACT_ROLES,
        "site_values": values if which == "site" else {},
        "contact_values": values if which == "contact" else {},
        "site_errors": errors if which == "site" else {},
        "contact_errors": errors if which == "contact" else {},
        "sections": customer_sections(ctx, customer, query or {}),
    }


@router.get("/customers/{customer_id}/edit")
def edit_customer_form(request: Request, customer_id: int, ctx: Ctx = Depends(_page_ctx)):
    customer = service.get_customer(ctx.session, customer_id)
    values = {name: getattr(customer, name) or "" for name in FORM_FIELDS}
    return render(request, "customers/form.html", _form_context(ctx, values, customer=customer))


@router.post("/customers/{customer_id}/edit", dependencies=[Depends(verify_csrf)])
async def edit_customer(request: Request, customer_id: int, ctx: Ctx = Depends(_page_ctx)):
    ctx.require_write("customers")
    customer = service.get_customer(ctx.session, customer_id)
    values = _form_values(await request.form(), FORM_FIELDS)
    changes = {k: v for k, v in values.items() if k != "kind"}
    try:
        with ctx.session.begin_nested():
            service.update_customer(ctx.session, ctx.clock, ctx.actor, customer.id, **changes)
    except ClausierError as exc:
        ctx.session.refresh(customer)
        return render(request, "customers/form.html",
                      _form_context(ctx, {**values, "kind": customer.kind}, _errors(exc), customer),
                      status_code=422)
    return RedirectResponse(f"/customers/{customer.id}", status_code=303)


async def _add_child(request: Request, ctx: Ctx, customer_id: int, which: str):
    """Add a site or a contact from the forms of the customer page."""
    ctx.require_write("customers")
    form = await request.form()
    if which == "site":
        values = _form_values(form, SITE_FORM_FIELDS)
        values["is_central"] = True if form.get("is_central") else None
        add = service.add_site
    else:
        values = {**_form_values(form, CONTACT_FORM_FIELDS), "roles": form.getlist("roles")}
        add = service.add_contact
    try:
        with ctx.session.begin_nested():
            add(ctx.session, ctx.clock, ctx.actor, customer_id, **values)
    except ClausierError as exc:
        customer = service.get_customer(ctx.session, customer_id)
        ctx.session.refresh(customer)
        return render(request, "customers/detail.html",
                      _detail_context(ctx, customer, which, values, _errors(exc)),
                      status_code=422)
    return RedirectResponse(f"/customers/{customer_id}#{which}s", status_code=303)


@router.post("/customers/{customer_id}/sites", dependencies=[Depends(verify_csrf)])
async def add_site(request: Request, customer_id: int, ctx: Ctx = Depends(_page_ctx)):
    return await _add_child(request, ctx, customer_id, "site")


@router.post("/customers/{customer_id}/contacts", dependencies=[Depends(verify_csrf)])
async def add_contact(request: Request, customer_id: int, ctx: Ctx = Depends(_page_ctx)):
    return await _add_child(request, ctx, customer_id, "contact")
