"""The ledger's door for the other rooms: one-off charges for the next invoice (used by contracts,
support, payments, equipment), the correction of months billed before a change order, and the
right to leave without fees that a price-change notice recorded (read by the contracts' exit
quotes)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing import periods
from clausier.billing.models import (
    BilledMonth,
    Charge,
    PriceChange,
    PriceChangeNotice,
    PriceRevision,
)
from clausier.billing.runs import inputs, rules
from clausier.core.clock import Clock
from clausier.core.explain import Explained
from clausier.core.message import msg, message_fields, stored
from clausier.terms import service as terms_service


def add_charge(session: Session, clock: Clock, actor: Actor, *, customer_id: int,
               subscription_id: int | None, source: str, source_key: str, label: str,
               explained: Explained, price_basis: str, incurred_on: date,
               vat_rate: str = "normal") -> Charge:
    """Idempotent on (source, source_key): recording the same event twice bills it once."""
    existing = session.scalar(select(Charge).where(Charge.source == source,
                                                   Charge.source_key == source_key))
    if existing is not None:
        return existing
    charge = Charge(customer_id=customer_id, subscription_id=subscription_id, source=source,
                    source_key=source_key, label=label, amount=explained.total,
                    price_basis=price_basis, vat_rate=vat_rate, incurred_on=incurred_on,
                    explanation=explained.as_dict() | message_fields("label", label),
                    created_at=clock.now())
    session.add(charge)
    record(session, clock, actor, f"charge.{source}", charge, msg("{label}: {amount}", label=label,
                                                                              amount=explained.total))
    return charge


def correct_billed_months(session: Session, clock: Clock, actor: Actor,
                          subscription, change_ref: str,
                          effective: date) -> list[Charge]:
    """A change order confirmed after the months it falls in were billed in advance: each item
    it ended is credited and each item it started is charged over the days from ``effective``
    (one charge a line, issued by the next bill run; idempotent on the change order's ref), and
    the months billed are revised so that a later end credits what they now hold.
    ``subscription`` is the contracts room's subscription, with its items."""
    month = BilledMonth.__table__.c
    billed = tuple(inputs.BilledMonthFacts(row.month, row.days, row.month_days, row.amount)
                   for row in session.execute(select(month).where(
                       month.subscription_id == subscription.id,
                       month.month >= periods.month_start(effective))))
    if not billed:
        return []
    revisions: dict[int, list[inputs.PriceStep]] = {}
    for row in session.scalars(select(PriceRevision).where(
            PriceRevision.subscription_id == subscription.id)):
        revisions.setdefault(row.subscription_item_id, []).append(inputs.PriceStep(
            row.effective_on, row.old_fee, row.new_fee,
            stored(row.explanation.get("note", ""), row.explanation.get("note_message"))))

    def facts(item) -> inputs.ItemFacts:
        return inputs.ItemFacts(
            label=item.label, quantity=item.quantity, monthly_fee=item.monthly_fee,
            price_basis=item.price_basis, vat_rate=item.vat_rate, access_fee=item.access_fee,
            minimum_billing=item.minimum_billing, active_from=item.active_from,
            active_until=item.active_until, revisions=tuple(revisions.get(item.id, ())))

    ended = [item for item in subscription.items if item.active_until == effective]
    started = [item for item in subscription.items if item.active_from == effective]
    sub = inputs.SubscriptionFacts(
        id=subscription.id, ref=subscription.ref, family=subscription.family,
        site_id=subscription.site_id, site_name="", signed_on=subscription.signed_on,
        items=tuple(facts(item) for item in subscription.items), status=subscription.status,
        go_live_on=subscription.go_live_on,
        equipment_received_on=subscription.equipment_received_on,
        end_on=subscription.terminated_on or subscription.termination_effective_on)
    terms = terms_service.get_sheet(session, subscription.sheet_id,
                                    subscription.sheet_version).terms_for(subscription.family)
    corrections, revised = rules.change_corrections(
        sub, terms, billed, effective, tuple(facts(item) for item in ended),
        tuple(facts(item) for item in started))
    first = subscription.items[0] if subscription.items else None
    charges = [add_charge(session, clock, actor, customer_id=subscription.customer_id,
                          subscription_id=subscription.id, source="change_correction",
                          source_key=f"{change_ref}:{index}",
                          label=correction.lines[0].label, explained=correction,
                          price_basis=first.price_basis if first else "HT",
                          vat_rate=first.vat_rate if first else "normal", incurred_on=effective)
               for index, correction in enumerate(corrections, start=1)]
    for revision in revised:
        session.execute(update(BilledMonth.__table__).where(
            month.subscription_id == revision.subscription_id, month.month == revision.month)
            .values(amount=revision.amount))
    return charges


def pending_charges(session: Session, customer_id: int) -> list[Charge]:
    return list(session.scalars(select(Charge).where(Charge.customer_id == customer_id,
                                                     Charge.invoice_id.is_(None))
                                .order_by(Charge.incurred_on, Charge.id)))


def right_to_leave_without_fees(session: Session, subscription_id: int,
                                received: date) -> PriceChangeNotice | None:
    """The price-change notice whose right to leave without fees covers a termination letter
    received on ``received`` (sent on or before, window not over); never a regulatory
    pass-through, which opens no such right."""
    return session.scalars(
        select(PriceChangeNotice).join(PriceChange)
        .where(PriceChangeNotice.subscription_id == subscription_id,
               PriceChangeNotice.may_leave_without_fees.is_(True),
               PriceChange.kind != "regulatory",
               PriceChangeNotice.sent_on <= received, PriceChangeNotice.leave_until >= received)
        .order_by(PriceChangeNotice.leave_until.desc(), PriceChangeNotice.id)).first()
