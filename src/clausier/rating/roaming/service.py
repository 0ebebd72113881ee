"""Roaming abuse: storing each line's roaming profile of the month, evaluating the indicators
over the sheet's window, and proposing the surcharge.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.contracts import facts as contracts_facts
from clausier.core.clock import Clock
from clausier.rating.fraud import rules as fraud_rules
from clausier.rating.fraud.service import propose
from clausier.rating.models import FraudAlert, RoamingMonthRow
from clausier.rating.month import rules as month_rules
from clausier.rating.plans import rules as plans_rules
from clausier.rating.roaming import rules
from clausier.rating.rows import chunks, upsert


ROAMING_FIELDS = ("national_voice_s", "roaming_voice_s", "national_messages", "roaming_messages",
                  "national_bytes", "roaming_bytes", "national_days", "roaming_days")


def _roaming_windows(session: Session, subscription_ids: Sequence[int],
                     months: Sequence[str]) -> dict[int, list[rules.RoamingMonth]]:
    """The stored roaming profiles of lines over consecutive months (a month without a row
    counts as no roaming)."""
    stored: dict[tuple[int, str], RoamingMonthRow] = {
        (r.subscription_id, r.month): r for chunk in chunks(sorted(set(subscription_ids)))
        for r in session.scalars(select(RoamingMonthRow).where(
            RoamingMonthRow.subscription_id.in_(chunk), RoamingMonthRow.month.in_(list(months))))}
    return {sid: [rules.RoamingMonth(m, **{f: getattr(stored[sid, m], f) for f in ROAMING_FIELDS})
                  if (sid, m) in stored else rules.RoamingMonth(m) for m in months]
            for sid in subscription_ids}


def _serial_chain(session: Session, plan: plans_rules.Plan, months: Sequence[str],
                  siblings: Sequence[int]) -> tuple[int, ...]:
    """The customer's SIMs of the same family (``siblings``) used one after another while
    roaming."""
    profiles = {sid: window for sid, window in _roaming_windows(session, siblings, months).items()
                if any(m.roaming_days for m in window)}
    return rules.serial_sims(profiles, plan.usage) if len(profiles) > 1 else ()


def evaluate_roaming(session: Session, clock: Clock, month: str, roaming: pl.DataFrame,
                     plans: dict[int, plans_rules.Plan], tariffs: dict) -> int:
    """Store the month's roaming profile and evaluate the abuse indicators over the sheet's
    window of consecutive months (the three of each line, and the serial use of several SIMs
    by one customer); propose the surcharge tariffs when one holds."""
    store_roaming(session, month, roaming)
    return roaming_proposals(session, clock, month, lines_of(roaming), plans, tariffs)


def lines_of(roaming: pl.DataFrame) -> list[int]:
    return roaming["subscription_id"].to_list() if "subscription_id" in roaming.columns else []


def store_roaming(session: Session, month: str, roaming: pl.DataFrame) -> None:
    for row in roaming.iter_rows(named=True):
        subscription_id = row.pop("subscription_id")
        upsert(session, RoamingMonthRow, dict(subscription_id=subscription_id, month=month),
               {k: int(v or 0) for k, v in row.items()})
    session.flush()


def roaming_proposals(session: Session, clock: Clock, month: str, subscription_ids: list[int],
                      plans: dict[int, plans_rules.Plan], tariffs: dict) -> int:
    """The abuse indicators of these lines over the window, once every line of the month has its
    profile stored (the serial use of SIMs compares a customer's lines)."""
    proposals = 0
    chains: dict[tuple[int, str], tuple[int, ...]] = {}
    families = contracts_facts.subscription_ids_by_family(
        session, {plans[subscription_id].customer_id for subscription_id in subscription_ids})
    for subscription_id in subscription_ids:
        plan = plans[subscription_id]
        size = plan.usage.figures.roaming_abuse_observation_consecutive_months
        if size is None:
            continue
        wanted = month_rules.previous_months(month, int(size.value))
        window = _roaming_windows(session, [plan.subscription_id], wanted)[plan.subscription_id]
        indicators = rules.roaming_indicators(window, plan.usage)
        key = (plan.customer_id, plan.family)
        if key not in chains:
            chains[key] = _serial_chain(session, plan, wanted, families.get(key, []))
        evidence: dict = {"months": wanted, "window": [m.__dict__ for m in window]}
        if plan.subscription_id in chains[key]:
            indicators.append(rules.SERIAL_SIMS)
            outlines = contracts_facts.subscription_outlines(session, chains[key])
            evidence["serial_sims"] = [
                (outlines[sid].service_identifier if sid in outlines else None) or str(sid)
                for sid in chains[key]]
        if not indicators:
            continue
        listed = plan.usage.lists.roaming_abuse_indicators
        if interruption := fraud_rules.interruption_without_notice(plan.usage, "roaming_abuse"):
            evidence["interruption_without_notice"] = interruption
        alert, _ = upsert(session, FraudAlert, dict(subscription_id=plan.subscription_id, month=month,
                                                      kind="roaming_abuse"),
                          dict(customer_id=plan.customer_id,
                               clause=f"{size.clause}" + (f"; {listed.clause}" if listed else ""),
                               calls=0, evidence={"indicators": indicators, **evidence},
                               detected_at=clock.now()))
        session.flush()
        surcharges = {t.kind: t for t in tariffs.get(plan.tariff_key, [])
                      if t.destination == "roaming_surcharge"}
        explained = rules.roaming_surcharge(window, surcharges, plan.usage)
        if explained.lines:
            proposals += propose(session, clock, f"alert:{alert.id}", alert.id, plan,
                                 "roaming_surcharge", f"Roaming surcharge {wanted[0]}–{wanted[-1]}",
                                 explained, plan.price_basis)
    return proposals
