"""Payments and collections tables: payments and their allocations, customer credits and refunds,
SEPA mandates, collections and returns, the legal interest rate table, dunning cases and their
dated steps, deposits, disputes. The letters, e-mails and SMS they send are notifications'
(``outbox_messages``, referenced by id).

Invoices belong to billing: they are referenced by id (and number, for reading) and their
payment status is moved only through ``billing.invoices.service.record_payment``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clausier.db.base import Base
from clausier.db.types import Instant, Money, Status
from clausier.payments.rules import (
    DebitStatus,
    DepositStatus,
    DisputeStatus,
    DunningCaseStatus,
    DunningStepStatus,
    MandateStatus,
    PaymentStatus,
)


class Payment(Base):
    """Money received from a customer (or taken from its deposit or credit), allocated to invoices."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[str] = mapped_column(String(20))    # transfer|card|cheque|direct_debit|deposit|set_off
    received_on: Mapped[date] = mapped_column(Date, index=True)
    reference: Mapped[str] = mapped_column(String(120), default="")
    # The client's ``Idempotency-Key`` of the request that recorded it: a retry finds it.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    status: Mapped[PaymentStatus] = mapped_column(
        Status(PaymentStatus, 20), default=PaymentStatus.RECORDED)
    reversed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reversal_reason: Mapped[str] = mapped_column(String(200), default="")
    credit_id: Mapped[int | None] = mapped_column(ForeignKey("customer_credits.id"), nullable=True)
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("deposits.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Instant)

    allocations: Mapped[list[Allocation]] = relationship(back_populates="payment",
                                                         order_by="Allocation.id")


class Allocation(Base):
    __tablename__ = "payment_allocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money())
    on: Mapped[date] = mapped_column(Date)
    reversed: Mapped[bool] = mapped_column(default=False)

    payment: Mapped[Payment] = relationship(back_populates="allocations")


class CustomerCredit(Base):
    """What the operator owes the customer (an overpayment, a released deposit): refunded or set off."""

    __tablename__ = "customer_credits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))         # overpayment | deposit
    source_key: Mapped[str] = mapped_column(String(80), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    remaining: Mapped[Decimal] = mapped_column(Money())
    created_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(300), default="")


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("customer_credits.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    refunded_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20), default="transfer")
    reference: Mapped[str] = mapped_column(String(120), default="")
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Instant)


class SetOffNotice(Base):
    """The notice that must precede a set-off of mutual debts (CGV art. 10.4)."""

    __tablename__ = "set_off_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    sent_on: Mapped[date] = mapped_column(Date)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), nullable=True)


class CreditorAccount(Base):
    """The operator's SEPA creditor data: account and creditor identifier (*ICS*)."""

    __tablename__ = "creditor_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), unique=True)
    name: Mapped[str] = mapped_column(String(70))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str] = mapped_column(String(11))
    creditor_identifier: Mapped[str] = mapped_column(String(35))
    # Days between the pre-notification and the collection; 14 is the SEPA rulebook's default
    # when the creditor and the debtor agreed on nothing shorter.
    prenotification_days: Mapped[int] = mapped_column(Integer, default=14)


class Mandate(Base):
    """A SEPA Core direct-debit mandate signed by the customer (*mandat de prélèvement*)."""

    __tablename__ = "mandates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reference: Mapped[str] = mapped_column(String(35), unique=True)    # RUM
    signed_on: Mapped[date] = mapped_column(Date)
    # the mandate proves the debits that paid the invoices: kept with them (privacy.rules)
    debtor_name: Mapped[str] = mapped_column(String(70), info={"personal": "identity",
                                                                "needed_for": "accounting"})
    iban: Mapped[str] = mapped_column(String(34), info={"personal": "financial", "needed_for": "accounting"})
    bic: Mapped[str] = mapped_column(String(11), info={"personal": "financial", "needed_for": "accounting"})
    status: Mapped[MandateStatus] = mapped_column(
        Status(MandateStatus, 20), default=MandateStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    last_collection_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)


class DirectDebitCollection(Base):
    """One pain.008 file of collections for a date."""

    __tablename__ = "direct_debit_collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    collection_date: Mapped[date] = mapped_column(Date, index=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    items_count: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Money())
    xml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Instant)


class DirectDebitItem(Base):
    """One debit of one invoice: scheduled, exported in a file, collected, or returned."""

    __tablename__ = "direct_debit_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandates.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(40))
    presentation: Mapped[int] = mapped_column(Integer, default=1)
    amount: Mapped[Decimal] = mapped_column(Money())
    collection_date: Mapped[date] = mapped_column(Date, index=True)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    sequence_type: Mapped[str | None] = mapped_column(String(4), nullable=True)   # FRST | RCUR
    status: Mapped[DebitStatus] = mapped_column(
        Status(DebitStatus, 20), default=DebitStatus.SCHEDULED, index=True)
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("direct_debit_collections.id"),
                                                      nullable=True, index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    dunning_case_id: Mapped[int | None] = mapped_column(ForeignKey("dunning_cases.id"), nullable=True)
    returned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    return_reason: Mapped[str | None] = mapped_column(String(4), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)


class DebitReturn(Base):
    """A rejection or return of a debit with its ISO 20022 reason code, as imported."""

    __tablename__ = "debit_returns"
    __table_args__ = (UniqueConstraint("item_id", "reason_code", "returned_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("direct_debit_items.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(String(120))
    returned_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    source_file: Mapped[str] = mapped_column(String(300), default="")
    imported_at: Mapped[datetime] = mapped_column(Instant)


class LegalInterestRate(Base):
    """A rate in force for a half-year, recorded by the operator (percent a year)."""

    __tablename__ = "legal_interest_rates"
    __table_args__ = (UniqueConstraint("source", "half_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(30))       # french_legal_rate | ecb_refinancing_rate
    half_year: Mapped[str] = mapped_column(String(7))     # 2026-H1
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    percent: Mapped[str] = mapped_column(String(24))      # decimal text, kept exactly
    actor: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(Instant)


class DunningCase(Base):
    """A customer's unpaid-bill procedure, walked step by step along the sheet's ladder."""

    __tablename__ = "dunning_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[DunningCaseStatus] = mapped_column(
        Status(DunningCaseStatus, 20), default=DunningCaseStatus.OPEN, index=True)
    trigger: Mapped[str] = mapped_column(String(20))          # overdue | rejection
    opened_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)              # oldest due date / first presentation
    rejected_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    accelerated_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    sheet_id: Mapped[str] = mapped_column(String(60))
    sheet_version: Mapped[int] = mapped_column(Integer)
    restricted: Mapped[list] = mapped_column(JSON, default=list)   # subscription ids the ladder restricted
    suspended: Mapped[list] = mapped_column(JSON, default=list)    # … and suspended
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(Instant)

    steps: Mapped[list[DunningStepRecord]] = relationship(back_populates="case",
                                                          order_by="DunningStepRecord.position")


class DunningStepRecord(Base):
    """A step of a case: reached on a date, done, or waiting for a staff decision."""

    __tablename__ = "dunning_steps"
    __table_args__ = (UniqueConstraint("case_id", "step_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dunning_cases.id"), index=True)
    step_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(Integer)
    reached_on: Mapped[date] = mapped_column(Date, index=True)
    # done | pending_approval | approved | declined | lapsed (the case closed before a decision)
    status: Mapped[DunningStepStatus] = mapped_column(Status(DunningStepStatus, 20), index=True)
    basis: Mapped[str] = mapped_column(Text, default="")       # why it fell due that day, clause
    amount_due: Mapped[Decimal] = mapped_column(Money())
    details: Mapped[dict] = mapped_column(JSON, default=dict)   # invoices, explained amounts, effects
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), nullable=True)
    debit_item_id: Mapped[int | None] = mapped_column(ForeignKey("direct_debit_items.id"), nullable=True)
    debit_returned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)

    case: Mapped[DunningCase] = relationship(back_populates="steps")


class Deposit(Base):
    """A deposit or guarantee (*dépôt de garantie*) asked of a customer on one of the sheet's grounds."""

    __tablename__ = "deposits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), nullable=True)
    ground: Mapped[str] = mapped_column(String(60))
    clause: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Money())
    held: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    requested_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    # requested | held | drawn (to replenish) | released ; suspended_for: service suspended meanwhile
    status: Mapped[DepositStatus] = mapped_column(
        Status(DepositStatus, 20), default=DepositStatus.REQUESTED, index=True)
    provided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    suspended: Mapped[list] = mapped_column(JSON, default=list)
    drawn_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    draw_letter_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), nullable=True)
    replenish_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    replenishment_late: Mapped[bool] = mapped_column(default=False)
    release_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    released_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)


class Dispute(Base):
    """A customer's dispute of an invoice (*contestation*), admissible or not by the sheet."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(40))
    invoice_received_on: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DisputeStatus] = mapped_column(Status(DisputeStatus, 20), index=True)
    decision: Mapped[dict] = mapped_column(JSON, default=dict)      # reasons and clauses
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    credit_note_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)
