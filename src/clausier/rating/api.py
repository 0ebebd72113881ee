"""``/api/v1/usage/…``: CDR imports, rating, usage per service, fair-use breaches, fraud alerts,
penalty confirmations and premium-number payouts."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import Field

from clausier.api.deps import Ctx, staff_ctx
from clausier.api.inputs import Day, Input
from clausier.rating import shapes
from clausier.rating.cdr import service as cdr_service
from clausier.rating.fair_use import service as fair_use_service
from clausier.rating.fraud import service as fraud_service
from clausier.rating.month import service as month_service
from clausier.rating.sva import service as sva_service

router = APIRouter(prefix="/api/v1/usage", tags=["usage"])


class MonthIn(Input):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")


class DecisionIn(Input):
    decision: str = Field(description="breach: acknowledge | suspend_unlimited; "
                                      "alert: confirm | dismiss; penalty: confirm | reject")
    note: str = ""


class ClaimIn(Input):
    on: Day


def _batch_dict(batch, rejects=None) -> dict:
    data = {"id": batch.id, "file": batch.file_name, "read": batch.rows_read,
            "imported": batch.accepted, "already_known": batch.duplicates,
            "rejected": batch.rejected, "months": batch.months,
            "started_at": batch.started_at.isoformat()}
    if rejects is not None:
        data["rejects"] = [{"line": r.line, "record_id": r.record_id, "reason": r.reason} for r in rejects]
    return data


@router.post("/imports", status_code=201)
def import_file(file: UploadFile = File(..., description="CDR CSV (optionally .gz)"),
                ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("usage")
    name = Path(file.filename or "upload.csv").name
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        with target.open("wb") as handle:
            shutil.copyfileobj(file.file, handle)
        batch = cdr_service.import_cdr_file(ctx.session, ctx.clock, ctx.actor, target)
    return _batch_dict(batch)


@router.get("/imports")
def imports(ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [_batch_dict(b) for b in cdr_service.list_batches(ctx.session)]


@router.get("/imports/{batch_id}")
def import_detail(batch_id: int, ctx: Ctx = Depends(staff_ctx)) -> dict:
    batch, rejects = cdr_service.get_batch(ctx.session, batch_id)
    return _batch_dict(batch, rejects)


@router.post("/rating")
def rate(body: MonthIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("usage")
    return month_service.rate(ctx.session, ctx.clock, ctx.actor, body.month).as_dict()


@router.get("/services/{service_id}")
def usage_of(service_id: str, month: str, ctx: Ctx = Depends(staff_ctx)) -> dict:
    return shapes.usage_dict(month_service.usage_of(ctx.session, service_id, month))


@router.get("/summaries")
def summaries(customer_id: int, up_to_month: str, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    """Unbilled rated usage of a customer (what the next bill run will take)."""
    return [shapes.rated_month_dict(rated, customer_id)
            for rated in month_service.unbilled_of_customer(ctx.session, customer_id, up_to_month)]


@router.get("/breaches")
def breaches(status: str | None = None, month: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [shapes.breach_dict(b)
            for b in fair_use_service.list_breaches(ctx.session, status, month)]


@router.post("/breaches/{breach_id}/decision")
def decide_breach(breach_id: int, body: DecisionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("usage")
    return shapes.breach_dict(fair_use_service.decide_breach(
        ctx.session, ctx.clock, ctx.actor, breach_id, body.decision, body.note))


@router.get("/fraud-alerts")
def fraud_alerts(status: str | None = None, month: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [shapes.alert_dict(a)
            for a in fraud_service.list_alerts(ctx.session, status, month)]


@router.post("/fraud-alerts/{alert_id}/decision")
def decide_alert(alert_id: int, body: DecisionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("usage")
    return shapes.alert_dict(fraud_service.decide_alert(
        ctx.session, ctx.clock, ctx.actor, alert_id, body.decision, body.note))


@router.get("/penalties")
def penalties(status: str | None = None, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [shapes.proposal_dict(p)
            for p in fraud_service.proposals_of(ctx.session, status=status)]


@router.post("/penalties/{proposal_id}/decision")
def decide_penalty(proposal_id: int, body: DecisionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """Confirming a penalty puts it on the customer's next invoice (a billing charge)."""
    ctx.require_write("usage")
    return shapes.proposal_dict(fraud_service.decide_penalty(
        ctx.session, ctx.clock, ctx.actor, proposal_id, body.decision, body.note))


@router.get("/payouts/{subscription_id}")
def payouts(subscription_id: int, on: Day, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """What a premium number may claim on a date."""
    explained, _ = sva_service.claimable_payouts(ctx.session, subscription_id, on)
    return explained.as_dict()


@router.post("/payouts/{subscription_id}/claims", status_code=201)
def claim(subscription_id: int, body: ClaimIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("usage")
    return shapes.payout_claim_dict(
        sva_service.claim_payouts(ctx.session, ctx.clock, ctx.actor, subscription_id, body.on))
