"""Fair-use breaches: saving a month's, listing them, and the staff's decision on one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.db.lookup import get_or_not_found
from clausier.core.errors import InvalidInput, one_of
from clausier.core.message import msg
from clausier.rating.fair_use import rules
from clausier.rating.models import FairUseBreach
from clausier.rating.month import rules as month_rules
from clausier.rating.plans import rules as plans_rules
from clausier.rating.rows import upsert
from clausier.rating.statuses import BreachStatus


def save_breaches(session: Session, clock: Clock, month: str, result: month_rules.MonthRating,
                  plans: dict[int, plans_rules.Plan]) -> int:
    seen = set()
    for breach in result.breaches:
        seen.add((breach.subscription_id, breach.metric))
        upsert(session, FairUseBreach, dict(subscription_id=breach.subscription_id, month=month,
                                            metric=breach.metric),
               dict(customer_id=plans[breach.subscription_id].customer_id, window=breach.window,
                    per=breach.per, units=breach.units, limit=str(breach.limit),
                    measured=str(breach.measured), consequence=breach.consequence,
                    clause=breach.clause, evidence=breach.evidence, detected_at=clock.now()))
    events: dict[int, list[rules.DataEvent]] = {}
    for event in result.data_events:
        events.setdefault(event.subscription_id, []).append(event)
    for subscription_id, items in events.items():
        seen.add((subscription_id, "data"))
        plan = plans[subscription_id]
        upsert(session, FairUseBreach, dict(subscription_id=subscription_id, month=month, metric="data"),
               dict(customer_id=plan.customer_id, window="month", per="line", units=1,
                    limit=f"{plan.bundle.data_mb} MB", measured="over", consequence="throttle_or_cut",
                    clause="; ".join(sorted({e.clause for e in items if e.clause})),
                    evidence={"events": [{"kind": e.kind, "at": e.at.isoformat(), "record_id": e.record_id}
                                         for e in items]},
                    detected_at=clock.now()))
    for stale in session.scalars(select(FairUseBreach).where(FairUseBreach.month == month,
                                                             FairUseBreach.status == BreachStatus.OPEN)):
        if (stale.subscription_id, stale.metric) not in seen and stale.subscription_id in plans:
            session.delete(stale)
    return len(seen)




def list_breaches(session: Session, status: BreachStatus | str | None = None,
                  month: str | None = None) -> list[FairUseBreach]:
    query = select(FairUseBreach).order_by(FairUseBreach.month.desc(), FairUseBreach.id)
    if status:
        query = query.where(FairUseBreach.status == one_of(
            BreachStatus, status, field="status", code=rules.Refused.fair_use_status_unknown))
    if month:
        query = query.where(FairUseBreach.month == month)
    return list(session.scalars(query))


BREACH_DECISIONS = {"acknowledge": BreachStatus.ACKNOWLEDGED,
                    "suspend_unlimited": BreachStatus.UNLIMITED_SUSPENDED}


def decide_breach(session: Session, clock: Clock, actor: Actor, breach_id: int, decision: str,
                  note: str = "") -> FairUseBreach:
    """Staff acknowledge a breach or suspend the subscription's unlimited option (the sheets
    allow an immediate suspension, e.g. CP IX §15)."""
    breach = get_or_not_found(session, FairUseBreach, breach_id, resource="fair_use_breach",
                              message=f"fair-use breach {breach_id} not found")
    if decision not in BREACH_DECISIONS:
        raise InvalidInput.on("decision", f"{decision!r} is not one of {', '.join(BREACH_DECISIONS)}",
                              code=rules.Refused.fair_use_decision_unknown)
    before = breach.status
    breach.status, breach.note = BREACH_DECISIONS[decision], note
    breach.decided_by, breach.decided_at = actor.name, clock.now()
    record(session, clock, actor, f"fair_use_breach.{decision}", breach,
           msg("breach {metric} {month} of subscription {id}", metric=breach.metric,
               month=breach.month, id=breach.subscription_id),
           {"status": [before, breach.status]})
    return breach
