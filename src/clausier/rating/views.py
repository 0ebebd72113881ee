"""Back-office pages of rating: imports and their reject reports, usage per service, fair-use
breaches, and the fraud alert queue with its penalty proposals (confirm / dismiss)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from clausier.api.deps import Ctx, staff_ctx
from clausier.rating import shapes
from clausier.rating.cdr import service as cdr_service
from clausier.rating.fair_use import service as fair_use_service
from clausier.rating.fraud import service as fraud_service
from clausier.rating.month import rules as month_rules
from clausier.rating.month import service as month_service
from clausier.web.templating import render, verify_csrf

router = APIRouter(include_in_schema=False)


def _last_month(ctx: Ctx) -> str:
    today = ctx.clock.today()
    return month_rules.shift_month(f"{today.year:04d}-{today.month:02d}", -1)


@router.get("/usage/imports")
def imports_page(request: Request, ctx: Ctx = Depends(staff_ctx)):
    return render(request, "rating/imports.html",
                  {"batches": cdr_service.list_batches(ctx.session)})


@router.get("/usage/imports/{batch_id}")
def import_page(request: Request, batch_id: int, ctx: Ctx = Depends(staff_ctx)):
    batch, rejects = cdr_service.get_batch(ctx.session, batch_id)
    return render(request, "rating/import.html", {"batch": batch, "rejects": rejects})


@router.get("/usage/services/{service_id}")
def usage_page(request: Request, service_id: str, month: str | None = None, ctx: Ctx = Depends(staff_ctx)):
    month = month or _last_month(ctx)
    return render(request, "rating/usage.html",
                  {"data": shapes.usage_dict(month_service.usage_of(ctx.session, service_id, month)),
                   "month": month})


@router.get("/usage/breaches")
def breaches_page(request: Request, status: str | None = "open", ctx: Ctx = Depends(staff_ctx)):
    return render(request, "rating/breaches.html", {
        "breaches": fair_use_service.list_breaches(ctx.session, status or None),
        "status": status or "",
        "decisions": list(fair_use_service.BREACH_DECISIONS)})


@router.post("/usage/breaches/{breach_id}/decision", dependencies=[Depends(verify_csrf)])
def decide_breach(breach_id: int, decision: str = Form(...), note: str = Form(""),
                  ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("usage")
    fair_use_service.decide_breach(ctx.session, ctx.clock, ctx.actor, breach_id, decision, note)
    return RedirectResponse("/usage/breaches", status_code=303)


@router.get("/usage/alerts")
def alerts_page(request: Request, status: str | None = "open", ctx: Ctx = Depends(staff_ctx)):
    alerts = fraud_service.list_alerts(ctx.session, status or None)
    proposals = {a.id: fraud_service.proposals_of(ctx.session, a.id) for a in alerts}
    return render(request, "rating/alerts.html", {"alerts": alerts, "proposals": proposals,
                                                   "status": status or ""})


@router.post("/usage/alerts/{alert_id}/decision", dependencies=[Depends(verify_csrf)])
def decide_alert(alert_id: int, decision: str = Form(...), note: str = Form(""),
                 ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("usage")
    fraud_service.decide_alert(ctx.session, ctx.clock, ctx.actor, alert_id, decision, note)
    return RedirectResponse("/usage/alerts", status_code=303)


@router.post("/usage/penalties/{proposal_id}/decision", dependencies=[Depends(verify_csrf)])
def decide_penalty(proposal_id: int, decision: str = Form(...), note: str = Form(""),
                   ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("usage")
    fraud_service.decide_penalty(ctx.session, ctx.clock, ctx.actor, proposal_id, decision, note)
    return RedirectResponse("/usage/alerts?status=", status_code=303)
