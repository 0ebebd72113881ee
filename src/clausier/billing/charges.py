"""Billing's door for the other rooms: one-off charges for the next invoice (used by contracts,
support, payments, equipment), and the right to leave without fees that a price-change notice
recorded (read by the contracts' exit quotes)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing.models import Charge, PriceChange, PriceChangeNotice
from clausier.core.clock import Clock
from clausier.core.explain import Explained


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
                    explanation=explained.as_dict(), created_at=clock.now())
    session.add(charge)
    record(session, clock, actor, f"charge.{source}", charge, f"{label}: {explained.total}")
    return charge


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
