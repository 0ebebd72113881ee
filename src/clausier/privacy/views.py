"""Back-office pages of personal data (purge report, requests, holds, processor duties, the
register) and the customer portal's export of its own data."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from clausier.api.deps import Ctx, staff_ctx, user_ctx
from clausier.core.errors import NotFound
from clausier.privacy import rules, service
from clausier.web.templating import render, verify_csrf

router = APIRouter(include_in_schema=False)


def _page_ctx(request: Request, ctx: Ctx = Depends(staff_ctx)) -> Ctx:
    request.state.user = ctx.user
    return ctx


@router.get("/privacy")
def privacy_page(request: Request, day: date | None = None, ctx: Ctx = Depends(_page_ctx)):
    run, lines = service.purge_report(ctx.session, day)
    today = ctx.clock.today()
    requests = service.list_requests(ctx.session, "open")
    return render(request, "privacy/index.html", {
        "run": run, "lines": lines, "runs": service.list_runs(ctx.session),
        "requests": requests, "today": today, "kinds": rules.DATA_SUBJECT_REQUEST_KINDS,
        "objections": service.list_objections(ctx.session),
        "audits": service.list_audits(ctx.session), "breaches": service.list_breaches(ctx.session),
        "rules": service.retention_rules(ctx.session)})


@router.post("/privacy/purge", dependencies=[Depends(verify_csrf)])
def purge_today(ctx: Ctx = Depends(_page_ctx)):
    ctx.require_write("privacy")
    run = service.purge(ctx.session, ctx.clock, ctx.actor, ctx.clock.today())
    return RedirectResponse(f"/privacy?day={run.day.isoformat()}", status_code=303)


@router.post("/privacy/requests", dependencies=[Depends(verify_csrf)])
def open_request(kind: str = Form(...), requester: str = Form(...),
                 customer_id: int = Form(...), received_on: date = Form(...),
                 ctx: Ctx = Depends(_page_ctx)):
    ctx.require_write("privacy")
    service.open_request(ctx.session, ctx.clock, ctx.actor, kind=kind, requester=requester,
                         customer_id=customer_id, received_on=received_on)
    return RedirectResponse("/privacy", status_code=303)


@router.post("/privacy/requests/{ref}/answer", dependencies=[Depends(verify_csrf)])
def answer_request(ref: str, note: str = Form(""), ctx: Ctx = Depends(_page_ctx)):
    ctx.require_write("privacy")
    service.answer_request(ctx.session, ctx.clock, ctx.actor, ref, ctx.clock.today(), note)
    return RedirectResponse("/privacy", status_code=303)


@router.get("/privacy/register")
def register_page(request: Request, ctx: Ctx = Depends(_page_ctx)):
    return render(request, "privacy/register.html",
                  {"entries": service.processing_register(ctx.session)})


@router.get("/portal/privacy/export.zip")
def portal_export(ctx: Ctx = Depends(user_ctx)) -> Response:
    """The signed-in customer's own data (RGPD art. 15 and 20); never another customer's."""
    if ctx.user.kind != "customer" or ctx.user.customer_id is None:
        raise NotFound("not found")
    return Response(service.export_customer_zip(ctx.session, ctx.user.customer_id),
                    media_type="application/zip",
                    headers={"content-disposition": 'attachment; filename="my-data.zip"'})
