"""The number inventory and portability requests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clausier.db.base import Base
from clausier.db.types import Instant, Status
from clausier.numbers.rules import NumberStatus, PortStatus


class PhoneNumber(Base):
    """A number the operator holds or carries: geographic (with its numbering zone), SDA (in a
    block), mobile, premium-rate (SVA) or non-geographic; assigned to one subscription at a time."""

    __tablename__ = "phone_numbers"
    __table_args__ = (UniqueConstraint("operator_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))                  # national form 0ZABPQMCDU
    kind: Mapped[str] = mapped_column(String(20))                    # geographic | sda | mobile | premium | non_geographic
    numbering_zone: Mapped[str] = mapped_column(String(20), default="")   # *zone de numérotation élémentaire*
    sda_block: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)  # first number of its block
    status: Mapped[NumberStatus] = mapped_column(Status(NumberStatus, 20),
                                                 default=NumberStatus.AVAILABLE, index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True, index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), nullable=True,
                                                        index=True)
    ported_in: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    released_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    release_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)


class PortRequest(Base):
    """A portability request: in (mandate, RIO, porting date, interruption window) or out (the
    termination request of that line, with its exit quote)."""

    __tablename__ = "port_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))                # in | out
    number: Mapped[str] = mapped_column(String(20), index=True, info={"personal": "identification"})
    kind: Mapped[str] = mapped_column(String(10))                    # fixed | mobile
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    rio: Mapped[str | None] = mapped_column(String(12), nullable=True)
    mandate_signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    requested_on: Mapped[date] = mapped_column(Date)
    porting_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[PortStatus] = mapped_column(Status(PortStatus, 20), index=True)
    refusal_reasons: Mapped[list] = mapped_column(JSON, default=list)
    plan: Mapped[dict] = mapped_column(JSON, default=dict)           # PortingPlan / exit quote
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Instant)
