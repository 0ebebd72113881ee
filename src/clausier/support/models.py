"""Tickets with their dated events, total outages, SLA claims and the notification outbox."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clausier.db.base import Base
from clausier.db.types import Instant, Money, Status
from clausier.support.rules import NoticeStatus, TicketStatus


class Ticket(Base):
    """An incident ticket (*ticket d'incident*) on one service at one site, with a unique reference.

    The clock is never stored: it is read from the dated events (``rules.read_clock``)."""

    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("operator_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    site_ids: Mapped[list] = mapped_column(JSON, default=list)           # sites affected
    reporter_contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    channel: Mapped[str] = mapped_column(String(20), default="phone")  # phone | email | portal | api
    description: Mapped[str] = mapped_column(Text, info={"personal": "content"})
    location: Mapped[str] = mapped_column(Text, default="", info={"personal": "location"})
    consequences: Mapped[str] = mapped_column(Text, default="")
    keep_informed: Mapped[list] = mapped_column(JSON, default=list,      # [{name, email, phone}]
                                                info={"personal": "contact"})
    access: Mapped[str | None] = mapped_column(String(40), nullable=True)  # analogue, isdn…
    service_level_option: Mapped[str] = mapped_column(String(40))       # at opening
    status: Mapped[TicketStatus] = mapped_column(Status(TicketStatus, 20), default=TicketStatus.OPEN,
                                                 index=True)
    called_at: Mapped[datetime] = mapped_column(Instant)                # the time on the ticket
    confirmed_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    restored_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    # Qualification
    in_scope: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    anomaly: Mapped[str | None] = mapped_column(String(10), nullable=True)          # major | minor
    excusable_event: Mapped[str | None] = mapped_column(String(60), nullable=True)
    misuse: Mapped[bool] = mapped_column(Boolean, default=False)
    billable: Mapped[bool] = mapped_column(Boolean, default=False)
    qualification_note: Mapped[str] = mapped_column(Text, default="")
    restoration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)  # at closure
    created_at: Mapped[datetime] = mapped_column(Instant)
    created_by: Mapped[str] = mapped_column(String(200))

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan")


class TicketEvent(Base):
    """What happened to a ticket and when (``at``: the instant of the fact, not of the typing)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))   # opened | confirmed | access_requested | access_given | qualified | restored | closed
    at: Mapped[datetime] = mapped_column(Instant)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(Instant)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Outage(Base):
    """A total outage of a service (*absence totale du service*); ``excluded_reason`` when it does
    not count (excusable event, customer not cooperating, waiting for site access)."""

    __tablename__ = "outages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True, index=True)
    started_at: Mapped[datetime] = mapped_column(Instant, index=True)
    ended_at: Mapped[datetime] = mapped_column(Instant)
    excluded_reason: Mapped[str | None] = mapped_column(String(60), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Instant)


class SlaClaim(Base):
    """A customer's request for the penalties and credits of a month (one per customer and month)."""

    __tablename__ = "sla_claims"
    __table_args__ = (UniqueConstraint("customer_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    month: Mapped[date] = mapped_column(Date)                      # first day of the month
    requested_on: Mapped[date] = mapped_column(Date, index=True)
    includes_restoration: Mapped[bool] = mapped_column(Boolean, default=False)  # GTR: once a year
    total: Mapped[Decimal] = mapped_column(Money())                # negative: credited
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    refused: Mapped[list] = mapped_column(JSON, default=list)      # parts refused, with the reason
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Instant)


class Notification(Base):
    """The outbox: messages to the people to keep informed, written in the ticket's transaction
    and sent later by whichever sender drains ``pending`` rows (a mail relay, SMS gateway…)."""

    __tablename__ = "support_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    state: Mapped[str] = mapped_column(String(30))                # the ticket event announced
    recipient_name: Mapped[str] = mapped_column(String(200), default="", info={"personal": "identity"})
    recipient_email: Mapped[str] = mapped_column(String(200), default="", info={"personal": "contact"})
    recipient_phone: Mapped[str] = mapped_column(String(40), default="", info={"personal": "contact"})
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, info={"personal": "content"})
    status: Mapped[NoticeStatus] = mapped_column(Status(NoticeStatus, 20), default=NoticeStatus.PENDING,
                                                 index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # When a pending notice is tried again after a failure (notifications.rules.retry_at).
    next_attempt_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)
    sent_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
