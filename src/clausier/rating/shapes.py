"""The rating room's plain shapes of fair-use breaches, fraud alerts, penalty proposals and
premium-number payout claims, for the API, the CLI's ``--json`` and the month's report."""

from __future__ import annotations

from clausier.rating.models import FairUseBreach, FraudAlert, PenaltyProposal, SvaPayoutClaim
from clausier.rating.sva.rules import ClaimStanding


def breach_dict(row: FairUseBreach) -> dict:
    return {"id": row.id, "subscription_id": row.subscription_id, "month": row.month,
            "metric": row.metric, "window": row.window, "per": row.per, "units": row.units,
            "limit": row.limit, "measured": row.measured, "consequence": row.consequence,
            "clause": row.clause, "status": row.status, "evidence": row.evidence, "note": row.note}


def alert_dict(row: FraudAlert) -> dict:
    return {"id": row.id, "subscription_id": row.subscription_id, "month": row.month,
            "kind": row.kind, "clause": row.clause, "calls": row.calls, "status": row.status,
            "evidence": row.evidence, "note": row.note}


def proposal_dict(row: PenaltyProposal) -> dict:
    return {"id": row.id, "alert_id": row.alert_id, "subscription_id": row.subscription_id,
            "kind": row.kind, "label": row.label, "amount": str(row.amount),
            "price_basis": row.price_basis, "status": row.status, "explanation": row.explanation,
            "charge_id": row.charge_id}


def payout_claim_dict(row: SvaPayoutClaim, standing: ClaimStanding | None = None) -> dict:
    data = {"id": row.id, "subscription_id": row.subscription_id, "amount": str(row.amount),
            "requested_on": row.requested_on.isoformat(), "status": row.status,
            "invoice_deadline": row.invoice_deadline.isoformat(), "explanation": row.explanation}
    if standing is not None:
        data["standing"] = standing.as_dict()
    return data
