"""The rating room's plain shapes of fair-use breaches, fraud alerts, penalty proposals,
premium-number payout claims, a month's usage and its rated summaries, for the API, the CLI's
``--json`` and the pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clausier.rating.models import (FairUseBreach, FraudAlert, PenaltyProposal, SvaPayoutClaim,
                                     UsageSummary)
from clausier.rating.sva.rules import ClaimStanding

if TYPE_CHECKING:   # annotations only: the month's service loads Polars
    from clausier.rating import facts
    from clausier.rating.month.service import MonthUsage


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


def rated_month_dict(rated: facts.RatedMonth, customer_id: int) -> dict:
    return {"id": rated.id, "subscription_id": rated.subscription_id, "customer_id": customer_id,
            "month": rated.month, "usage_period": rated.usage_period, "amount": str(rated.amount),
            "price_basis": rated.price_basis, "records": rated.records,
            "explanation": rated.explanation.as_dict(), "detail": rated.detail.as_dict(),
            "billed_invoice_id": None}



def summary_dict(row: UsageSummary) -> dict:
    return {"id": row.id, "subscription_id": row.subscription_id, "customer_id": row.customer_id,
            "month": row.month, "usage_period": row.usage_period, "amount": str(row.amount),
            "price_basis": row.price_basis, "records": row.records, "explanation": row.explanation,
            "billed_invoice_id": row.billed_invoice_id}


def usage_dict(usage: MonthUsage) -> dict:
    """A service's usage in a month as the API, the CLI and the page show it."""
    return {
        "subscription": {"id": usage.subscription_id, "ref": usage.subscription_ref,
                         "family": usage.family, "service_identifier": usage.service_identifier},
        "month": usage.month,
        "summaries": [summary_dict(s) for s in usage.summaries],
        "traffic": usage.traffic,
        "breaches": [breach_dict(b) for b in usage.breaches],
        "alerts": [alert_dict(a) for a in usage.alerts],
    }
