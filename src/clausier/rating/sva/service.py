"""Premium-number payouts (*reversements*) and sanctions: saving a month's payouts, what a number
may claim, the claims and their standing, caller tariff changes, the sanction after the cure
deadline and supplier penalties passed on.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.contracts import facts as contracts_facts
from clausier.contracts import service as contracts
from clausier.contracts.statuses import SubscriptionStatus
from clausier.core.calendar import BusinessCalendar, DayKind, OpeningHours
from clausier.core.clock import PARIS, Clock
from clausier.core.errors import NotAllowed, NotFound, RuleRefusal
from clausier.core.explain import Explained
from clausier.core.message import msg
from clausier.core.money import money
from clausier.rating.statuses import AlertStatus
from clausier.rating.fraud.service import propose
from clausier.rating.models import FraudAlert, PenaltyProposal, SvaPayout, SvaPayoutClaim
from clausier.rating.plans.service import plans_of
from clausier.rating.price import rules as price_rules
from clausier.rating.rows import upsert
from clausier.rating.sva import rules
from clausier.terms.schema import Usage


def save_payouts(session: Session, payouts: pl.DataFrame) -> None:
    for row in payouts.iter_rows(named=True):
        key = dict(subscription_id=row["subscription_id"], day=row["day"])
        existing = session.scalar(select(SvaPayout).filter_by(**key))
        if existing is not None and existing.claim_id is not None:
            continue      # already claimed: late calls of that day are not re-opened
        upsert(session, SvaPayout, key, dict(calls=row["calls"], seconds=row["seconds"],
                                             amount=price_rules.from_micro(row["amount_micro"])))


def propose_uncured_sanction(session: Session, clock: Clock, actor: Actor, alert_id: int,
                             on: date) -> PenaltyProposal:
    """A premium number still not compliant after the cure deadline (counted in business
    days from the confirmation of the alert) carries the additional sanction (CP XII §13.1)."""
    alert = session.get(FraudAlert, alert_id)
    if alert is None or alert.kind != "sva_abnormal_traffic":
        raise NotFound(f"premium-number alert {alert_id} not found",
                       resource="premium_number_alert")
    if alert.status != AlertStatus.CONFIRMED or alert.decided_at is None:
        raise NotAllowed(f"status: alert {alert_id} must be confirmed first",
                         code=rules.PayoutRefused.premium_alert_not_confirmed)
    plan = plans_of(session, [alert.subscription_id])[0][0]
    days = plan.usage.figures.cure_deadline_business_days
    explained = rules.sva_uncured(plan.usage)
    if days is None or explained is None:
        raise NotAllowed("terms: the sheet has no cure deadline sanction for this service",
                         code=rules.PayoutRefused.premium_no_cure_sanction)
    deadline = _calendar().add_days(alert.decided_at.astimezone(PARIS).date(), int(days.value), DayKind.OUVRES)
    if on <= deadline:
        raise NotAllowed(f"on: the cure deadline runs until {deadline.isoformat()} ({days.clause})",
                         code=rules.PayoutRefused.premium_cure_deadline_running)
    propose(session, clock, f"uncured:{alert.id}", alert.id, plan, "sva_sanction",
            f"Premium number not compliant after {deadline.isoformat()}", explained,
            plan.usage.amounts.not_cured_within_deadline_penalty.basis)
    proposal = session.scalar(select(PenaltyProposal).where(PenaltyProposal.source_key == f"uncured:{alert.id}"))
    record(session, clock, actor, "penalty.propose", proposal, proposal.label)
    return proposal


def _calendar() -> BusinessCalendar:
    return BusinessCalendar(OpeningHours.heures_ouvrees())


def _payout_age(usage: Usage):
    """How the sheet counts the payout delay: business days when it says so, else calendar."""
    business = usage.figures.payout_claimable_after_business_days is not None
    kind = DayKind.OUVRES if business else DayKind.CALENDAR
    calendar = _calendar()
    return lambda day, claim_day: calendar.count_days(day, claim_day, kind)


def claimable_payouts(session: Session, subscription_id: int, on: date) -> tuple[Explained, list[date]]:
    """What a premium number may claim on a date (unclaimed payouts of old enough calls), and
    the days of calls it covers."""
    plan = plans_of(session, [subscription_id])[0]
    if not plan:
        raise NotFound(f"subscription {subscription_id} not found", resource="subscription")
    usage = plan[0].usage
    accruals = [(p.day, p.amount) for p in session.scalars(select(SvaPayout).where(
        SvaPayout.subscription_id == subscription_id, SvaPayout.claim_id.is_(None)))]
    return rules.sva_claimable(accruals, on, usage, _payout_age(usage))


def payout_claims(session: Session, subscription_id: int | None = None) -> list[SvaPayoutClaim]:
    """The payout requests made, newest first (one premium number's with ``subscription_id``)."""
    query = select(SvaPayoutClaim).order_by(SvaPayoutClaim.requested_on.desc(), SvaPayoutClaim.id.desc())
    if subscription_id is not None:
        query = query.where(SvaPayoutClaim.subscription_id == subscription_id)
    return list(session.scalars(query))




def claim_standing(session: Session, claim: SvaPayoutClaim, on: date) -> rules.ClaimStanding:
    """Where a payout request stands on ``on``: payable, and final once its invoice deadline has
    passed (CP XII §12)."""
    plans, _ = plans_of(session, [claim.subscription_id])
    return rules.payout_claim_standing(claim.invoice_deadline, on, plans[0].usage)


def tariff_change_effective(session: Session, subscription_id: int | str,
                            requested_on: date) -> tuple[date, str]:
    """The day a premium number's new caller tariff requested on ``requested_on`` takes effect,
    and the clause (CP XII §8.1)."""
    subscription = contracts.get_subscription(session, subscription_id)
    try:
        return rules.tariff_change_effective(contracts.terms_of(session, subscription).usage or Usage(),
                                             requested_on)
    except RuleRefusal as exc:
        raise exc.as_error(NotAllowed, of=subscription.ref) from None


def pass_on_supplier_penalty(session: Session, clock: Clock, actor: Actor, subscription_id: int | str,
                             supplier: str, number: str, charged: Decimal, charged_on: date) -> PenaltyProposal:
    """Propose to staff the pass-on of a penalty an upstream operator charged the operator for
    one of the client's premium numbers, at its amount (CP XII §13.1)."""
    subscription = contracts.get_subscription(session, subscription_id)
    plan = plans_of(session, [subscription.id])[0][0]
    try:
        explained = rules.supplier_penalty(plan.usage, supplier, number, charged,
                                           [subscription.service_identifier or ""])
    except RuleRefusal as exc:
        raise exc.as_invalid_input() from None
    key = f"supplier:{subscription.id}:{nb_key(number)}:{charged_on.isoformat()}"
    propose(session, clock, key, None, plan, "supplier_penalty",
            f"Supplier penalty passed on ({supplier.strip()}, {charged_on.isoformat()})", explained,
            plan.price_basis)
    session.flush()
    proposal = session.scalar(select(PenaltyProposal).where(PenaltyProposal.source_key == key))
    record(session, clock, actor, "usage.supplier_penalty", proposal,
           msg("{ref}: {amount} charged by {supplier} for {number}", ref=subscription.ref,
               amount=explained.total, supplier=supplier.strip(), number=number))
    return proposal


def nb_key(number: str) -> str:
    """A number as a key: its digits."""
    return "".join(ch for ch in number if ch.isdigit())


def unclaimed_payouts(session: Session) -> list[dict]:
    """Per premium number: the payouts accrued and not yet claimed (days of calls, amount)."""
    payouts = list(session.scalars(select(SvaPayout).where(SvaPayout.claim_id.is_(None))))
    outlines = contracts_facts.subscription_outlines(session, {p.subscription_id for p in payouts})
    by_number: dict[str, list[SvaPayout]] = {}
    # The payouts of subscriptions that exist, by their reference then day (a join would).
    for payout in sorted((p for p in payouts if p.subscription_id in outlines),
                         key=lambda p: (outlines[p.subscription_id].ref, p.day)):
        by_number.setdefault(outlines[payout.subscription_id].ref, []).append(payout)
    return [{"subscription_id": payouts[0].subscription_id, "subscription": ref,
             "days": len(payouts), "calls": sum(p.calls for p in payouts),
             "first_day": payouts[0].day.isoformat(), "last_day": payouts[-1].day.isoformat(),
             "amount": str(money(sum((p.amount for p in payouts), Decimal(0))))}
            for ref, payouts in by_number.items()]


def claim_payouts(session: Session, clock: Clock, actor: Actor, subscription_id: int, on: date) -> SvaPayoutClaim:
    """Request the payout of what is claimable: refused while the number is suspended or when
    the balance does not exceed the sheet's minimum (CP XII §11.1, §12)."""
    subscription = contracts_facts.subscription_outlines(session, [subscription_id]).get(
        subscription_id)
    if subscription is None:
        raise NotFound(f"subscription {subscription_id} not found", resource="subscription")
    plan = plans_of(session, [subscription_id])[0][0]
    usage = plan.usage
    frozen = usage.flags.payout_frozen_while_suspended
    if frozen and frozen.value and subscription.status == SubscriptionStatus.SUSPENDED:
        raise NotAllowed(f"status: payouts are frozen while the number is suspended — {frozen.clause}",
                         code=rules.PayoutRefused.payout_frozen_while_suspended)
    explained, days = claimable_payouts(session, subscription_id, on)
    minimum = usage.amounts.payout_min_balance_exclusive
    if minimum is not None and explained.total <= minimum.amount:
        raise NotAllowed(f"amount: the claimable balance {explained.total} € does not exceed "
                         f"{minimum.amount} € — {minimum.src}",
                         code=rules.PayoutRefused.payout_balance_not_above_minimum)
    months = usage.figures.payout_invoice_deadline_months
    deadline = on + relativedelta(months=int(months.value) if months else 12)
    claim = SvaPayoutClaim(subscription_id=subscription_id, requested_on=on, amount=explained.total,
                           explanation=explained.as_dict(), invoice_deadline=deadline,
                           actor=actor.name, created_at=clock.now())
    session.add(claim)
    session.flush()
    for payout in session.scalars(select(SvaPayout).where(SvaPayout.subscription_id == subscription_id,
                                                          SvaPayout.claim_id.is_(None),
                                                          SvaPayout.day.in_(days))):
        payout.claim_id = claim.id
    record(session, clock, actor, "sva_payout.claim", claim,
           msg("{amount} claimed on {date}, invoice due by {deadline}", amount=explained.total,
               date=on, deadline=deadline))
    return claim
