"""Serialised equipment items, SIM cards and installation appointments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clausier.db.base import Base
from clausier.db.types import Instant, Money, Status
from clausier.equipment.rules import AppointmentStatus, SimStatus


class EquipmentItem(Base):
    """One serialised item and where it is: in stock → shipped → installed → returned / lost / sold.

    ``provision_mode`` is how the customer holds it (*mise à disposition*, *location*, *vente*);
    ``owner`` who owns it (the operator, the customer once paid or once a non-return penalty
    passed ownership, the manufacturer for a Rozoh SIM, a third party for the VIDEOFUTUR box).
    """

    __tablename__ = "equipment_items"
    __table_args__ = (UniqueConstraint("operator_id", "serial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("equipment_kinds.id"))
    serial: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(20), default="in_stock", index=True)
    provision_mode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    owner: Mapped[str] = mapped_column(String(20), default="operator")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True, index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), nullable=True,
                                                        index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    # Prices agreed on the order (default: the catalogue's), used for penalties and sales.
    replacement_value: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    sale_price: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    monthly_rent: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    price_basis: Mapped[str] = mapped_column(String(3))
    shipped_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    delivered_on: Mapped[date | None] = mapped_column(Date, nullable=True)    # carrier's proof
    received_on: Mapped[date | None] = mapped_column(Date, nullable=True)     # warranty starts
    installed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Paid in full: set by payments; title of a sold item passes then.
    paid_in_full_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ownership_passed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The return obligation, opened once when the service ends.
    return_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    return_due_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    return_to: Mapped[str | None] = mapped_column(String(20), nullable=True)
    return_terms: Mapped[dict] = mapped_column(JSON, default=dict)
    overdue_handled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    overdue_action: Mapped[str | None] = mapped_column(String(20), nullable=True)
    returned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    return_condition: Mapped[str | None] = mapped_column(String(20), nullable=True)  # good | damaged
    lost_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Instant)

    sim: Mapped[SimCard | None] = relationship(back_populates="item", uselist=False,
                                               foreign_keys="SimCard.item_id")


class SimCard(Base):
    """The SIM side of an item (serial = ICCID): its line and status. The PIN is never kept; the
    PUK only sealed (AES-GCM, ``core.sealed``) so that staff and the customer can read it back."""

    __tablename__ = "sim_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_items.id"), unique=True)
    msisdn: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    imsi: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[SimStatus] = mapped_column(Status(SimStatus, 20), default=SimStatus.ACTIVE)
    suspension_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)  # loss | theft | inactivity
    suspended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_activity_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    puk_sealed: Mapped[str | None] = mapped_column(String(120), nullable=True)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("sim_cards.id"), nullable=True)

    item: Mapped[EquipmentItem] = relationship(back_populates="sim", foreign_keys=[item_id])


class Appointment(Base):
    """An on-site installation appointment, agreed jointly; a late cancellation is billed."""

    __tablename__ = "installation_appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    scheduled_at: Mapped[datetime] = mapped_column(Instant)
    price: Mapped[Decimal] = mapped_column(Money())          # the installation service, per the quote
    price_basis: Mapped[str] = mapped_column(String(3))
    status: Mapped[AppointmentStatus] = mapped_column(Status(AppointmentStatus, 20),
                                                      default=AppointmentStatus.PLANNED)
    cancelled_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)
