"""``/api/v1/privacy``: purges, exports, erasures, requests, register, processor duties."""

from __future__ import annotations


from fastapi import APIRouter, Depends, Response
from pydantic import Field

from clausier.api.deps import Ctx, customer_ctx, staff_ctx
from clausier.api.inputs import Day, Input, Moment
from clausier.core.errors import NotFound
from clausier.privacy import service, shapes

router = APIRouter(prefix="/api/v1", tags=["privacy"])


def _zip(content: bytes, name: str) -> Response:
    return Response(content, media_type="application/zip",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


class DayIn(Input):
    day: Day


class RequestIn(Input):
    kind: str = Field(description="access | rectification | erasure | restriction | portability | objection")
    received_on: Day
    requester: str
    customer_id: int | None = None
    contact_id: int | None = None
    requester_email: str = ""
    details: str = ""
    role: str = "controller"


class ExtensionIn(Input):
    reason: str
    informed_on: Day


class AnswerIn(Input):
    answered_on: Day
    note: str = ""


class HoldIn(Input):
    reason: str
    on: Day


class RetentionIn(Input):
    data: str
    months: int | None = Field(None, ge=1)
    days: int | None = Field(None, ge=1)
    reason: str = ""
    on: Day


class SubProcessorIn(Input):
    operator: str
    name: str
    purpose: str = ""
    country: str = "FR"
    safeguard: str = ""
    essential: bool = False
    announced_on: Day | None = Field(None, description="Announce it as a change with notices")
    planned_on: Day | None = None
    replaces: str | None = None


class ObjectionIn(Input):
    customer_id: int
    received_on: Day
    reason: str = ""


class CloseIn(Input):
    outcome: str = Field(description="resolved | withdrawn | terminate")
    on: Day
    note: str = ""


class AuditIn(Input):
    customer_id: int
    letter_received_on: Day
    starts_on: Day
    days: int
    auditor: str = ""
    registered_letter: bool = True
    auditor_is_competitor: bool = False


class BreachIn(Input):
    operator: str
    detected_at: Moment
    nature: str
    likely_consequences: str = ""
    measures_taken_or_proposed: str = ""
    data_categories: list[str] = []
    people_affected: int | None = None


class NotifyIn(Input):
    customer_ids: list[int] | None = None
    channel: str = "email"


class EndIn(Input):
    choice: str = Field(description="delete | return_and_destroy_copies")
    on: Day


@router.post("/privacy/purges")
def purge(body: DayIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    run = service.purge(ctx.session, ctx.clock, ctx.actor, body.day)
    return shapes.run_to_dict(*service.purge_report(ctx.session, run.day))


@router.get("/privacy/purges/latest")
def latest_purge(day: Day | None = None, ctx: Ctx = Depends(staff_ctx)) -> dict:
    run, lines = service.purge_report(ctx.session, day)
    if run is None:
        raise NotFound("purge: no purge has run" + (f" on {day}" if day else ""), resource="purge")
    return shapes.run_to_dict(run, lines)


@router.get("/privacy/register")
def register(ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [entry.as_dict() for entry in service.processing_register(ctx.session)]


@router.get("/privacy/requests")
def list_requests(status: str | None = None, customer_id: int | None = None,
                  ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [shapes.request_to_dict(r) for r in service.list_requests(ctx.session, status, customer_id)]


@router.post("/privacy/requests", status_code=201)
def open_request(body: RequestIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    return shapes.request_to_dict(service.open_request(ctx.session, ctx.clock, ctx.actor,
                                                        **body.model_dump()))


@router.post("/privacy/requests/{ref}/extension")
def extend_request(ref: str, body: ExtensionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    return shapes.request_to_dict(service.extend_request(ctx.session, ctx.clock, ctx.actor, ref,
                                                          body.reason, body.informed_on))


@router.post("/privacy/requests/{ref}/answer")
def answer_request(ref: str, body: AnswerIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    return shapes.request_to_dict(service.answer_request(ctx.session, ctx.clock, ctx.actor, ref,
                                                          body.answered_on, body.note))


@router.get("/privacy/{subject}s/{subject_id}/export")
def export(subject: str, subject_id: int, ctx: Ctx = Depends(staff_ctx)) -> Response:
    return _zip(service.export_zip(ctx.session, subject, subject_id),
                f"{subject}-{subject_id}.zip")


@router.post("/privacy/{subject}s/{subject_id}/erasure")
def erase(subject: str, subject_id: int, body: DayIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    return service.erase(ctx.session, ctx.clock, ctx.actor, subject, subject_id, body.day).as_dict()


@router.post("/privacy/customers/{customer_id}/legal-hold", status_code=201)
def place_hold(customer_id: int, body: HoldIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    hold = service.place_legal_hold(ctx.session, ctx.clock, ctx.actor, customer_id, body.reason, body.on)
    return {"customer_id": customer_id, "placed_on": hold.placed_on, "reason": hold.reason}


@router.post("/privacy/customers/{customer_id}/legal-hold/lift")
def lift_hold(customer_id: int, body: HoldIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    hold = service.lift_legal_hold(ctx.session, ctx.clock, ctx.actor, customer_id, body.reason, body.on)
    return {"customer_id": customer_id, "lifted_on": hold.lifted_on, "reason": hold.lift_reason}


@router.post("/privacy/customers/{customer_id}/retention")
def shorten_retention(customer_id: int, body: RetentionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    override = service.shorten_retention(ctx.session, ctx.clock, ctx.actor, customer_id, body.data,
                                         months=body.months, days=body.days, reason=body.reason,
                                         on=body.on)
    return {"customer_id": customer_id, "data": override.data, "months": override.months,
            "days": override.days, "clause": override.clause}


@router.post("/privacy/customers/{customer_id}/end-of-contract", status_code=201)
def end_of_contract(customer_id: int, body: EndIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    decision = service.end_of_contract(ctx.session, ctx.clock, ctx.actor, customer_id, body.choice, body.on)
    return {"customer_id": customer_id, "choice": decision.choice, "clause": decision.clause,
            "erased": decision.erased, "kept": decision.kept,
            "certificate_sha256": decision.certificate_sha256}


@router.get("/privacy/customers/{customer_id}/end-of-contract/certificate")
def certificate(customer_id: int, ctx: Ctx = Depends(staff_ctx)) -> Response:
    decision = service.get_end_of_contract(ctx.session, customer_id)
    with open(decision.certificate_file, "rb") as pdf:
        return Response(pdf.read(), media_type="application/pdf")


@router.get("/privacy/sub-processors")
def sub_processors(operator: str, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [{"id": s.id, "name": s.name, "purpose": s.purpose, "country": s.country,
             "safeguard": s.safeguard, "essential": s.essential, "since": s.since}
            for s in service.list_sub_processors(ctx.session, operator)]


@router.post("/privacy/sub-processors", status_code=201)
def add_sub_processor(body: SubProcessorIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """In place already, or (with ``announced_on`` and ``planned_on``) a change announced to
    every business customer with its objection window."""
    ctx.require_write("privacy")
    fields = dict(purpose=body.purpose, country=body.country, safeguard=body.safeguard,
                  essential=body.essential)
    if body.announced_on is None:
        sub = service.add_sub_processor(ctx.session, ctx.clock, ctx.actor, body.operator,
                                        body.name, **fields)
        return {"id": sub.id, "name": sub.name}
    change = service.announce_sub_processor(
        ctx.session, ctx.clock, ctx.actor, body.operator, body.name, announced_on=body.announced_on,
        planned_on=body.planned_on or body.announced_on, replaces=body.replaces, **fields)
    return {"change_id": change.id, "planned_on": change.planned_on,
            "notices": [{"customer_id": n.customer_id, "objection_deadline": n.objection_deadline}
                        for n in service.notices_of(ctx.session, change.id)]}


@router.post("/privacy/sub-processor-changes/{change_id}/objections", status_code=201)
def object_to_change(change_id: int, body: ObjectionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    objection = service.record_objection(ctx.session, ctx.clock, ctx.actor, change_id,
                                         body.customer_id, body.received_on, body.reason)
    return {"id": objection.id, **service.objection_timeline(ctx.session, objection).as_dict()}


@router.post("/privacy/objections/{objection_id}/close")
def close_objection(objection_id: int, body: CloseIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    objection = service.close_objection(ctx.session, ctx.clock, ctx.actor, objection_id,
                                        body.outcome, body.on, body.note)
    return {"id": objection.id, "status": objection.status, "closed_on": objection.closed_on}


@router.post("/privacy/audits", status_code=201)
def request_audit(body: AuditIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    audit = service.request_audit(ctx.session, ctx.clock, ctx.actor,
                                  **body.model_dump())
    return {"id": audit.id, "accepted": audit.accepted, "reasons": audit.reasons,
            "earliest_start": audit.earliest_start}


@router.post("/privacy/breaches", status_code=201)
def record_breach(body: BreachIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("privacy")
    fields = body.model_dump(exclude={"operator"})
    breach = service.record_breach(ctx.session, ctx.clock, ctx.actor, body.operator, **fields)
    return {"id": breach.id}


@router.post("/privacy/breaches/{breach_id}/notifications")
def notify_breach(breach_id: int, body: NotifyIn, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    ctx.require_write("privacy")
    sent = service.notify_breach(ctx.session, ctx.clock, ctx.actor, breach_id, body.customer_ids,
                                 body.channel)
    return [{"customer_id": n.customer_id, "sent_at": n.sent_at, "clause": n.clause} for n in sent]


@router.get("/portal/privacy/export")
def portal_export(ctx: Ctx = Depends(customer_ctx)) -> Response:
    """The signed-in customer's own data; no customer id is taken from the request."""
    return _zip(service.export_customer_zip(ctx.session, ctx.customer_id), "my-data.zip")
