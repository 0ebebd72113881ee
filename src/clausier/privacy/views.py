"""Back-office pages of personal data (purge report, requests, legal holds, processor duties:
sub-processor changes and objections, audits, breaches; the register) and the customer portal's
export of its own data. Every form posts to a service that writes the audit trail."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from clausier.api.deps import Ctx, customer_ctx, staff_ctx
from clausier.catalog import service as catalog
from clausier.core.clock import PARIS
from clausier.core.errors import InvalidInput
from clausier.privacy import rules, service
from clausier.web.dashboard import Card
from clausier.web.forms import optional_int
from clausier.web.templating import render, verify_csrf

router = APIRouter(include_in_schema=False)

PROCESSOR_PAGE = "/privacy/processor"


def dashboard_cards(session, gettext) -> list[Card]:
    """Open data-subject requests, the nearest deadline first."""
    open_requests = service.list_requests(session, "open")
    deadlines = sorted(r.extended_due_on or r.due_on for r in open_requests)
    figure = str(len(open_requests)) + (f" · {deadlines[0].isoformat()}" if deadlines else "")
    return [Card(title=gettext("Open data-subject requests"), figure=figure, link="/privacy")]


def _page_ctx(request: Request, ctx: Ctx = Depends(staff_ctx)) -> Ctx:
    request.state.user = ctx.user
    return ctx


def _writer(ctx: Ctx = Depends(_page_ctx)) -> Ctx:
    ctx.require_write("privacy")
    return ctx


def _back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/privacy")
def privacy_page(request: Request, day: date | None = None, ctx: Ctx = Depends(_page_ctx)):
    run, lines = service.purge_report(ctx.session, day)
    return render(request, "privacy/index.html", {
        "run": run, "lines": lines, "runs": service.list_runs(ctx.session),
        "requests": service.list_requests(ctx.session, "open"), "today": ctx.clock.today(),
        "kinds": rules.DATA_SUBJECT_REQUEST_KINDS, "holds": service.list_legal_holds(ctx.session),
        "rules": service.retention_rules(ctx.session)})


@router.post("/privacy/purge", dependencies=[Depends(verify_csrf)])
def purge_today(ctx: Ctx = Depends(_writer)):
    run = service.purge(ctx.session, ctx.clock, ctx.actor, ctx.clock.today())
    return _back(f"/privacy?day={run.day.isoformat()}")


@router.post("/privacy/requests", dependencies=[Depends(verify_csrf)])
def open_request(kind: str = Form(...), requester: str = Form(...),
                 customer_id: int = Form(...), received_on: date = Form(...),
                 ctx: Ctx = Depends(_writer)):
    service.open_request(ctx.session, ctx.clock, ctx.actor, kind=kind, requester=requester,
                         customer_id=customer_id, received_on=received_on)
    return _back("/privacy")


@router.post("/privacy/requests/{ref}/answer", dependencies=[Depends(verify_csrf)])
def answer_request(ref: str, note: str = Form(""), ctx: Ctx = Depends(_writer)):
    service.answer_request(ctx.session, ctx.clock, ctx.actor, ref, ctx.clock.today(), note)
    return _back("/privacy")


@router.post("/privacy/holds", dependencies=[Depends(verify_csrf)])
def place_hold(customer_id: int = Form(...), reason: str = Form(...), on: date = Form(...),
               ctx: Ctx = Depends(_writer)):
    service.place_legal_hold(ctx.session, ctx.clock, ctx.actor, customer_id, reason, on)
    return _back("/privacy")


@router.post("/privacy/holds/{customer_id}/lift", dependencies=[Depends(verify_csrf)])
def lift_hold(customer_id: int, reason: str = Form(...), ctx: Ctx = Depends(_writer)):
    service.lift_legal_hold(ctx.session, ctx.clock, ctx.actor, customer_id, reason,
                            ctx.clock.today())
    return _back("/privacy")


# --------------------------------------------------------------------------- processor duties

@router.get(PROCESSOR_PAGE)
def processor_page(request: Request, ctx: Ctx = Depends(_page_ctx)):
    operators = catalog.list_operators(ctx.session)
    changes = service.list_changes(ctx.session)
    breaches = service.list_breaches(ctx.session)
    return render(request, "privacy/processor.html", {
        "today": ctx.clock.today(), "operators": operators,
        "sub_processors": {op.code: service.list_sub_processors(ctx.session, op.code)
                           for op in operators},
        "changes": [(change, service.notices_of(ctx.session, change.id)) for change in changes],
        "objections": service.list_objections(ctx.session),
        "audits": service.list_audits(ctx.session),
        "breaches": [(b, service.notifications_of(ctx.session, b.id)) for b in breaches],
        "categories": rules.PERSONAL_CATEGORIES})


@router.post("/privacy/sub-processor-changes", dependencies=[Depends(verify_csrf)])
def announce_change(operator: str = Form(...), name: str = Form(...), purpose: str = Form(""),
                    country: str = Form("FR"), safeguard: str = Form(""),
                    essential: bool = Form(False), replaces: str = Form(""),
                    announced_on: date = Form(...), planned_on: date = Form(...),
                    ctx: Ctx = Depends(_writer)):
    service.announce_sub_processor(
        ctx.session, ctx.clock, ctx.actor, operator, name, announced_on=announced_on,
        planned_on=planned_on, replaces=replaces.strip() or None, purpose=purpose,
        country=country.strip().upper() or "FR", safeguard=safeguard, essential=essential)
    return _back(PROCESSOR_PAGE)


@router.post("/privacy/sub-processor-changes/{change_id}/objections",
             dependencies=[Depends(verify_csrf)])
def record_objection(change_id: int, customer_id: int = Form(...),
                     received_on: date = Form(...), reason: str = Form(""),
                     ctx: Ctx = Depends(_writer)):
    service.record_objection(ctx.session, ctx.clock, ctx.actor, change_id, customer_id,
                             received_on, reason)
    return _back(PROCESSOR_PAGE)


@router.post("/privacy/objections/{objection_id}/close", dependencies=[Depends(verify_csrf)])
def close_objection(objection_id: int, outcome: str = Form(...), on: date = Form(...),
                    note: str = Form(""), ctx: Ctx = Depends(_writer)):
    service.close_objection(ctx.session, ctx.clock, ctx.actor, objection_id, outcome, on, note)
    return _back(PROCESSOR_PAGE)


@router.post("/privacy/audits", dependencies=[Depends(verify_csrf)])
def request_audit(customer_id: int = Form(...), letter_received_on: date = Form(...),
                  starts_on: date = Form(...), days: int = Form(...), auditor: str = Form(""),
                  registered_letter: bool = Form(False), auditor_is_competitor: bool = Form(False),
                  ctx: Ctx = Depends(_writer)):
    service.request_audit(ctx.session, ctx.clock, ctx.actor, customer_id,
                          letter_received_on=letter_received_on, starts_on=starts_on, days=days,
                          auditor=auditor, registered_letter=registered_letter,
                          auditor_is_competitor=auditor_is_competitor)
    return _back(PROCESSOR_PAGE)


@router.post("/privacy/breaches", dependencies=[Depends(verify_csrf)])
def record_breach(operator: str = Form(...), detected_at: datetime = Form(...),
                  nature: str = Form(...), likely_consequences: str = Form(""),
                  measures_taken_or_proposed: str = Form(""),
                  data_categories: list[str] = Form([]), people_affected: str = Form(""),
                  ctx: Ctx = Depends(_writer)):
    service.record_breach(
        ctx.session, ctx.clock, ctx.actor, operator,
        # a datetime-local field has no offset: the time the staff read is Paris time
        detected_at=detected_at if detected_at.tzinfo else detected_at.replace(tzinfo=PARIS),
        nature=nature, likely_consequences=likely_consequences,
        measures_taken_or_proposed=measures_taken_or_proposed, data_categories=data_categories,
        people_affected=optional_int("people_affected", people_affected))
    return _back(PROCESSOR_PAGE)


@router.post("/privacy/breaches/{breach_id}/notifications", dependencies=[Depends(verify_csrf)])
def notify_breach(breach_id: int, customer_ids: str = Form(""), channel: str = Form("email"),
                  ctx: Ctx = Depends(_writer)):
    ids = [optional_int("customer_ids", part) for part in customer_ids.replace(",", " ").split()]
    service.notify_breach(ctx.session, ctx.clock, ctx.actor, breach_id, ids or None, channel)
    return _back(PROCESSOR_PAGE)


# --------------------------------------------------------------------------- register, portal

@router.get("/privacy/register")
def register_page(request: Request, ctx: Ctx = Depends(_page_ctx)):
    return render(request, "privacy/register.html",
                  {"entries": service.processing_register(ctx.session)})


@router.get("/portal/privacy/export.zip")
def portal_export(ctx: Ctx = Depends(customer_ctx)) -> Response:
    """The signed-in customer's own data (RGPD art. 15 and 20); never another customer's."""
    return Response(service.export_customer_zip(ctx.session, ctx.customer_id),
                    media_type="application/zip",
                    headers={"content-disposition": 'attachment; filename="my-data.zip"'})
