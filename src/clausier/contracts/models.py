"""Orders (*bons de commande*), subscriptions and their dated timeline.

A subscription is one service (a term-sheet family) at one site of a customer, bound to the
version of the operator's term sheet in force at signature. Its items are the offers ordered for
that service at that site (e.g. 3 analogue lines + 1 ISDN access), options included.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clausier.db.base import Base
from clausier.contracts.statuses import ChangeOrderStatus, OrderStatus, SubscriptionStatus
from clausier.db.types import Instant, Money, Status


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("operator_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40))
    external_ref: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(Status(OrderStatus, 20), default=OrderStatus.DRAFT)
    signed_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))   # on_premises | off_premises | distance
    outside_main_activity: Mapped[bool] = mapped_column(Boolean, default=False)
    employees_at_signature: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sheet_id: Mapped[str] = mapped_column(String(60))
    sheet_version: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Instant)

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id",
                                                  cascade="all, delete-orphan")


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    commitment_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    monthly_fee: Mapped[Decimal] = mapped_column(Money())          # per unit
    access_fee: Mapped[Decimal] = mapped_column(Money())           # per unit, as sold (discounted)
    access_fee_undiscounted: Mapped[Decimal] = mapped_column(Money())
    minimum_billing: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)  # per month
    is_option: Mapped[bool] = mapped_column(Boolean, default=False)

    order: Mapped[Order] = relationship(back_populates="lines")


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("operator_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40))
    external_ref: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    family: Mapped[str] = mapped_column(String(40), index=True)
    sheet_id: Mapped[str] = mapped_column(String(60))
    sheet_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[SubscriptionStatus] = mapped_column(Status(SubscriptionStatus, 20),
                                                       default=SubscriptionStatus.ORDERED, index=True)
    signed_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20), default="on_premises")
    commitment_months: Mapped[int] = mapped_column(Integer)        # initial period
    service_identifier: Mapped[str | None] = mapped_column(String(60), nullable=True, index=True)
    billing_periodicity_months: Mapped[int] = mapped_column(Integer, default=1)
    service_level_option: Mapped[str] = mapped_column(String(40), default="standard")
    # Dates of the lifecycle (each set once, by a dated event: ``service.record_lifecycle``)
    shipped_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    delivered_on: Mapped[date | None] = mapped_column(Date, nullable=True)   # goods at the customer's
    equipment_received_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    go_live_on: Mapped[date | None] = mapped_column(Date, nullable=True)     # *mise en service*
    commitment_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    recommitted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    recommit_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notice_received_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    termination_effective_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    terminated_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    cancelled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    termination_reason: Mapped[str | None] = mapped_column(String(60), nullable=True)
    last_renewal_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # An imported subscription: the last day the old system billed (a month's last day); the
    # bill runs start the day after and bill no access fee again.
    billed_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)

    items: Mapped[list[SubscriptionItem]] = relationship(
        back_populates="subscription", order_by="SubscriptionItem.id", cascade="all, delete-orphan")
    events: Mapped[list[SubscriptionEvent]] = relationship(
        back_populates="subscription", order_by="SubscriptionEvent.id", cascade="all, delete-orphan")


class SubscriptionItem(Base):
    """One offer within a subscription, with the prices agreed on the order."""

    __tablename__ = "subscription_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    offer_code: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    monthly_fee: Mapped[Decimal] = mapped_column(Money())
    access_fee: Mapped[Decimal] = mapped_column(Money())
    access_fee_undiscounted: Mapped[Decimal] = mapped_column(Money())
    minimum_billing: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    one_off_price: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    price_basis: Mapped[str] = mapped_column(String(3))
    vat_rate: Mapped[str] = mapped_column(String(20), default="normal")
    is_option: Mapped[bool] = mapped_column(Boolean, default=False)
    active_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    active_until: Mapped[date | None] = mapped_column(Date, nullable=True)

    subscription: Mapped[Subscription] = relationship(back_populates="items")


class SubscriptionEvent(Base):
    """The dated timeline of a subscription (every transition, renewal, reminder, quote recorded)."""

    __tablename__ = "subscription_events"
    __table_args__ = (UniqueConstraint("subscription_id", "kind", "on", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    on: Mapped[date] = mapped_column(Date, index=True)
    key: Mapped[str] = mapped_column(String(60), default="")   # makes tick events idempotent
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(Instant)

    subscription: Mapped[Subscription] = relationship(back_populates="events")


class ChangeOrder(Base):
    """A change of a subscription's items (*modification de service*): what was asked, the quote
    it was confirmed on, and the date it takes effect (items in force change on that date)."""

    __tablename__ = "change_orders"
    __table_args__ = (UniqueConstraint("subscription_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    ref: Mapped[str] = mapped_column(String(40))
    external_ref: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    status: Mapped[ChangeOrderStatus] = mapped_column(Status(ChangeOrderStatus, 20),
                                                      default=ChangeOrderStatus.CONFIRMED)
    ordered_on: Mapped[date] = mapped_column(Date)
    effective_on: Mapped[date] = mapped_column(Date, index=True)
    changes: Mapped[list] = mapped_column(JSON, default=list)      # [{action, offer, quantity}]
    quote: Mapped[dict] = mapped_column(JSON, default=dict)        # the quote as confirmed
    one_off_total: Mapped[Decimal] = mapped_column(Money())
    monthly_total: Mapped[Decimal] = mapped_column(Money())
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Instant)
