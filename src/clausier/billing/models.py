"""Billing tables. ``Charge`` is the door through which other rooms put one-off amounts
(exit fees, penalties, credits, equipment, rejected-debit fees) on the customer's next invoice."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clausier.db.base import Base
from clausier.db.types import Instant, Money


class Charge(Base):
    """A one-off amount waiting for the bill run (negative for a credit)."""

    __tablename__ = "charges"
    __table_args__ = (UniqueConstraint("source", "source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), nullable=True,
                                                        index=True)
    source: Mapped[str] = mapped_column(String(40))        # termination, cancellation, sla_credit…
    source_key: Mapped[str] = mapped_column(String(120))   # idempotence: one charge per source event
    label: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(Money())
    price_basis: Mapped[str] = mapped_column(String(3))    # HT | TTC
    vat_rate: Mapped[str] = mapped_column(String(20), default="normal")
    incurred_on: Mapped[date] = mapped_column(Date)
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)   # Explained.as_dict()
    invoice_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(Instant)
