"""Fraud alerts and penalty proposals: saving a month's alerts, proposing their penalties to
staff, listing them, and the staff's decisions (a confirmed penalty becomes a charge on the
next invoice).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing.ledger.charges import add_charge
from clausier.core.clock import Clock
from clausier.core.errors import InvalidInput, NotAllowed, one_of
from clausier.db.lookup import get_or_not_found
from clausier.core.explain import Explained, Line
from clausier.core.message import msg
from clausier.rating.fraud import rules
from clausier.rating.models import FraudAlert, PenaltyProposal
from clausier.rating.month import rules as month_rules
from clausier.rating.plans import rules as plans_rules
from clausier.rating.rows import upsert
from clausier.rating.sva import rules as sva_rules
from clausier.rating.statuses import AlertStatus, ProposalStatus


PENALTY_SOURCE = "usage_penalty"


def save_alerts(session: Session, clock: Clock, month: str, alerts: Sequence[rules.Alert],
                plans: dict[int, plans_rules.Plan]) -> list[tuple[FraudAlert, rules.Alert]]:
    saved = []
    for found in alerts:
        row, _ = upsert(session, FraudAlert, dict(subscription_id=found.subscription_id, month=month,
                                                  kind=found.kind),
                        dict(customer_id=plans[found.subscription_id].customer_id, clause=found.clause,
                             calls=found.calls, evidence=found.evidence, detected_at=clock.now()))
        saved.append((row, found))
    session.flush()
    return saved


def propose(session: Session, clock: Clock, source_key: str, alert_id: int | None,
            plan: plans_rules.Plan, kind: str, label: str, explained: Explained, basis: str) -> int:
    """Propose a penalty to staff; a proposal already decided is never changed."""
    row = session.scalar(select(PenaltyProposal).where(PenaltyProposal.source_key == source_key))
    if row is not None and row.status != ProposalStatus.PROPOSED:
        return 0
    if row is None:
        row = PenaltyProposal(source_key=source_key, alert_id=alert_id,
                              subscription_id=plan.subscription_id, customer_id=plan.customer_id,
                              kind=kind, proposed_at=clock.now())
        session.add(row)
    row.label, row.amount, row.price_basis = label, explained.total, basis
    row.explanation = explained.as_dict()
    return 1


def _basis(explained_lines_basis: Iterable[str], default: str) -> str:
    bases = set(explained_lines_basis)
    return bases.pop() if len(bases) == 1 else default


def propose_for_alert(session: Session, clock: Clock, alert: FraudAlert, found: rules.Alert,
                      plan: plans_rules.Plan) -> int:
    usage = plan.usage
    if found.penalty is not None:
        amounts = (usage.amounts.penalty_per_calling_number,
                   usage.amounts.penalty_per_call_or_attempt)
        basis = _basis((a.basis for a in amounts if a), plan.price_basis)
        return propose(session, clock, f"alert:{alert.id}", alert.id, plan, "caller_id_penalty",
                       f"Penalty: {found.kind.replace('_', ' ')} ({alert.month})", found.penalty, basis)
    if found.kind == "sva_abnormal_traffic":
        window = usage.figures.repeat_window_months
        since = month_rules.shift_month(alert.month, -int(window.value)) if window else alert.month
        repeated = session.scalar(select(PenaltyProposal.id).join(
            FraudAlert, FraudAlert.id == PenaltyProposal.alert_id).where(
            PenaltyProposal.subscription_id == plan.subscription_id,
            PenaltyProposal.kind == "sva_sanction", PenaltyProposal.status == ProposalStatus.CONFIRMED,
            FraudAlert.month >= since, FraudAlert.month < alert.month)) is not None
        explained = sva_rules.sva_sanction(usage, 1, repeated)
        if explained is None:
            return 0
        base = usage.amounts.ethics_or_abnormal_traffic_penalty
        return propose(session, clock, f"alert:{alert.id}", alert.id, plan, "sva_sanction",
                       f"Premium number sanction ({alert.month})", explained, base.basis)
    return 0






def list_alerts(session: Session, status: AlertStatus | str | None = None,
                month: str | None = None) -> list[FraudAlert]:
    query = select(FraudAlert).order_by(FraudAlert.month.desc(), FraudAlert.id)
    if status:
        query = query.where(FraudAlert.status == one_of(
            AlertStatus, status, field="status", code=rules.Refused.fraud_alert_status_unknown))
    if month:
        query = query.where(FraudAlert.month == month)
    return list(session.scalars(query))


def get_proposal(session: Session, proposal_id: int) -> PenaltyProposal:
    proposal = get_or_not_found(session, PenaltyProposal, proposal_id, resource="penalty_proposal",
                                message=f"proposal: no penalty proposal {proposal_id}")
    return proposal


def proposals_of(session: Session, alert_id: int | None = None,
                 status: ProposalStatus | str | None = None) -> list[PenaltyProposal]:
    query = select(PenaltyProposal).order_by(PenaltyProposal.id)
    if alert_id is not None:
        query = query.where(PenaltyProposal.alert_id == alert_id)
    if status:
        query = query.where(PenaltyProposal.status == one_of(
            ProposalStatus, status, field="status", code=rules.Refused.penalty_status_unknown))
    return list(session.scalars(query))


def decide_alert(session: Session, clock: Clock, actor: Actor, alert_id: int, decision: str,
                 note: str = "") -> FraudAlert:
    """Confirm or dismiss a fraud alert; dismissing it rejects its pending penalty proposals."""
    alert = get_or_not_found(session, FraudAlert, alert_id, resource="fraud_alert",
                             message=f"fraud alert {alert_id} not found")
    if decision not in ("confirm", "dismiss"):
        raise InvalidInput.on("decision", f"{decision!r} is not confirm or dismiss",
                              code=rules.Refused.fraud_alert_decision_unknown)
    if alert.status != AlertStatus.OPEN:
        raise NotAllowed(f"status: alert {alert_id} is already {alert.status}",
                         code=rules.Refused.fraud_alert_already_decided)
    alert.status = AlertStatus.CONFIRMED if decision == "confirm" else AlertStatus.DISMISSED
    alert.note, alert.decided_by, alert.decided_at = note, actor.name, clock.now()
    if decision == "dismiss":
        for proposal in proposals_of(session, alert_id, ProposalStatus.PROPOSED):
            proposal.status, proposal.decided_by, proposal.decided_at = ProposalStatus.REJECTED, actor.name, clock.now()
    record(session, clock, actor, f"fraud_alert.{decision}", alert,
           msg("{kind} {month} of subscription {id}", kind=alert.kind, month=alert.month,
               id=alert.subscription_id), {"note": note})
    return alert


def decide_penalty(session: Session, clock: Clock, actor: Actor, proposal_id: int, decision: str,
                   note: str = "") -> PenaltyProposal:
    """Staff confirm a proposed penalty (it becomes a charge on the next invoice) or reject it."""
    proposal = get_or_not_found(session, PenaltyProposal, proposal_id, resource="penalty_proposal",
                                message=f"penalty proposal {proposal_id} not found")
    if decision not in ("confirm", "reject"):
        raise InvalidInput.on("decision", f"{decision!r} is not confirm or reject",
                              code=rules.Refused.penalty_decision_unknown)
    if proposal.status != ProposalStatus.PROPOSED:
        raise NotAllowed(f"status: penalty proposal {proposal_id} is already {proposal.status}",
                         code=rules.Refused.penalty_already_decided)
    if decision == "confirm":
        alert = session.get(FraudAlert, proposal.alert_id) if proposal.alert_id else None
        if alert is not None and alert.status != AlertStatus.CONFIRMED:
            raise NotAllowed(f"status: confirm alert {alert.id} before billing its penalty",
                             code=rules.Refused.penalty_alert_not_confirmed)
        lines = tuple(Line.from_dict(line) for line in proposal.explanation.get("lines", []))
        charge = add_charge(session, clock, actor, customer_id=proposal.customer_id,
                            subscription_id=proposal.subscription_id, source=PENALTY_SOURCE,
                            source_key=f"penalty:{proposal.id}", label=proposal.label,
                            explained=Explained(lines), price_basis=proposal.price_basis,
                            incurred_on=clock.today())
        proposal.charge_id = charge.id
    proposal.status = ProposalStatus.CONFIRMED if decision == "confirm" else ProposalStatus.REJECTED
    proposal.decided_by, proposal.decided_at = actor.name, clock.now()
    record(session, clock, actor, f"penalty.{decision}", proposal,
           msg("{label}: {amount} {basis}", label=proposal.label, amount=proposal.amount,
               basis=proposal.price_basis), {"note": note})
    return proposal
