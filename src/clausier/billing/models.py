"""Billing tables: bill runs, invoices and credit notes, their numbering, the months already billed,
index values and price changes (rated usage comes from the rating room's summaries).

``Charge`` is the door through which other rooms put one-off amounts (exit fees, penalties,
credits, equipment, rejected-debit fees) on the customer's next invoice.

An issued invoice is immutable: :func:`_refuse_changes_to_issued_invoices` stops any flush that
would change its figures or its lines; only its payment status may move on.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from clausier.core.errors import NotAllowed
from clausier.db.base import Base
from clausier.billing.invoices.rules import InvoiceStatus
from clausier.billing.periods import Refused
from clausier.billing.runs.rules import BillRunStatus, PartitionStatus
from clausier.db.types import Instant, Money, Status


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


class BillRun(Base):
    """One bill run of a period (``YYYY-MM``) for one operator, with its progress and report."""

    __tablename__ = "bill_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[BillRunStatus] = mapped_column(Status(BillRunStatus, 30),
                                                  default=BillRunStatus.RUNNING)
    issue_date: Mapped[date] = mapped_column(Date)
    customers_total: Mapped[int] = mapped_column(Integer, default=0)
    customers_done: Mapped[int] = mapped_column(Integer, default=0)
    invoices: Mapped[int] = mapped_column(Integer, default=0)
    total_ht: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    total_ttc: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    errors: Mapped[list] = mapped_column(JSON, default=list)    # [{"customer": ref, "reason": …}]
    actor: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(Instant)
    finished_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    # The database's time of the run's last sign of life (each batch): a run whose process died
    # (kill -9) stops showing it, and the next run of its period takes it over.
    heartbeat_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)


class BillRunPartition(Base):
    """A slice of a bill run sent to the workers (``clausier worker``) when a broker is
    configured: the customers of its operator whose id lies in [first, last]. The task that bills
    it is keyed on (run, index): a message delivered twice finds it done, or bills only what the
    first delivery did not commit."""

    __tablename__ = "bill_run_partitions"
    __table_args__ = (UniqueConstraint("bill_run_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bill_run_id: Mapped[int] = mapped_column(ForeignKey("bill_runs.id"))
    position: Mapped[int] = mapped_column(Integer)
    first_customer_id: Mapped[int] = mapped_column(Integer)
    last_customer_id: Mapped[int] = mapped_column(Integer)
    customers: Mapped[int] = mapped_column(Integer)
    status: Mapped[PartitionStatus] = mapped_column(Status(PartitionStatus, 20),
                                                    default=PartitionStatus.QUEUED)
    worker: Mapped[str] = mapped_column(String(200), default="")    # host:pid of the last taker
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    invoices: Mapped[int] = mapped_column(Integer, default=0)
    total_ht: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    total_ttc: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    errors: Mapped[list] = mapped_column(JSON, default=list)
    finished_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)


INVOICE_STATUSES = tuple(InvoiceStatus)
# What may still change once a document is issued (its payment life), nothing else.
_MUTABLE_AFTER_ISSUE = {"status", "amount_paid", "paid_on"}


class Invoice(Base):
    """An invoice (*facture*) or a credit note (*avoir*, ``kind='credit_note'``) referencing the
    invoice it corrects. Seller and buyer are copied at issue: the document never changes."""

    __tablename__ = "invoices"
    # Kept 10 years with the personal data they need (Code de commerce L123-22): the privacy
    # room's erasure keeps them.
    __table_args__ = (UniqueConstraint("customer_id", "run_key"),
                      # A customer's documents, latest first (the portal's list).
                      Index("ix_invoices_customer_listing", "customer_id", "id"),
                      {"info": {"kept_for": "accounting", "dated_by": "issue_date"}})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="invoice")   # invoice | credit_note
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    # Searched through ix_invoices_customer_listing (customer_id, id), which leads with it.
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"), nullable=True,
                                                     index=True)
    # "YYYY-MM" for the invoice a bill run makes: one per customer and period (idempotence).
    run_key: Mapped[str | None] = mapped_column(String(20), nullable=True)
    series: Mapped[str] = mapped_column(String(20))
    number: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    status: Mapped[InvoiceStatus] = mapped_column(Status(InvoiceStatus, 20),
                                                  default=InvoiceStatus.DRAFT, index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    price_basis: Mapped[str] = mapped_column(String(3))
    total_ht: Mapped[Decimal] = mapped_column(Money())
    total_vat: Mapped[Decimal] = mapped_column(Money())
    total_ttc: Mapped[Decimal] = mapped_column(Money())
    vat_breakdown: Mapped[list] = mapped_column(JSON, default=list)
    seller: Mapped[dict] = mapped_column(JSON, default=dict)
    buyer: Mapped[dict] = mapped_column(JSON, default=dict)
    mentions: Mapped[list] = mapped_column(JSON, default=list)   # [{"text": …, "clause": …}]
    billing_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True,
                                                            index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    amount_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)
    issued_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)

    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice",
                                                    order_by="InvoiceLine.position",
                                                    cascade="all, delete-orphan")

    @property
    def is_issued(self) -> bool:
        return self.number is not None


class InvoiceLine(Base):
    """One line: its amount in the invoice's basis, its VAT rate, its period and its explanation
    (``Explained.as_dict()``: formula and clause of each part)."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))   # recurring | one_off | usage | charge | adjustment
    subscription_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    site_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    site_name: Mapped[str] = mapped_column(String(200), default="")
    label: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Money())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())        # in the invoice's price basis
    amount_ht: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    clause: Mapped[str] = mapped_column(String(300), default="")
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class InvoiceSequence(Base):
    """The next number of a series in a year: taken in the invoice's transaction, so a rollback
    gives it back and numbers stay without gaps (*numérotation continue*)."""

    __tablename__ = "invoice_sequences"

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_number: Mapped[int] = mapped_column(Integer, default=1)


class BilledMonth(Base):
    """A month of a subscription's recurring fees, billed once (``days``/``month_days`` of it).
    The unique key is what guarantees that no subscription is billed twice for a month."""

    __tablename__ = "billed_months"
    __table_args__ = (UniqueConstraint("subscription_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Found by the unique key, which leads with it: no index of its own.
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    month: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    month_days: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money())
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)


class IndexValue(Base):
    """A published value of a price index (e.g. INSEE 001565192) for a month, as recorded."""

    __tablename__ = "index_values"
    __table_args__ = (UniqueConstraint("series", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(40), index=True)
    month: Mapped[date] = mapped_column(Date)
    value: Mapped[str] = mapped_column(String(24))          # decimal text, kept exactly
    recorded_at: Mapped[datetime] = mapped_column(Instant)
    actor: Mapped[str] = mapped_column(String(200))


class PriceRevision(Base):
    """A new monthly fee of a subscription item from a date (indexation or price change)."""

    __tablename__ = "price_revisions"
    __table_args__ = (UniqueConstraint("subscription_item_id", "effective_on", "cause"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    subscription_item_id: Mapped[int] = mapped_column(ForeignKey("subscription_items.id"), index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    cause: Mapped[str] = mapped_column(String(20))          # indexation | price_change
    price_change_id: Mapped[int | None] = mapped_column(ForeignKey("price_changes.id"), nullable=True)
    old_fee: Mapped[Decimal] = mapped_column(Money())
    new_fee: Mapped[Decimal] = mapped_column(Money())
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Instant)


class PriceChange(Base):
    """A change of prices announced by the operator (general, usage or regulatory)."""

    __tablename__ = "price_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))           # general | usage | regulatory
    family: Mapped[str | None] = mapped_column(String(40), nullable=True)
    offer_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    percent: Mapped[str | None] = mapped_column(String(24), nullable=True)
    announced_on: Mapped[date] = mapped_column(Date)
    effective_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Instant)

    notices: Mapped[list[PriceChangeNotice]] = relationship(back_populates="price_change",
                                                            order_by="PriceChangeNotice.id")


class PriceChangeNotice(Base):
    """The notice one customer gets for one affected subscription, and its right to leave."""

    __tablename__ = "price_change_notices"
    __table_args__ = (UniqueConstraint("price_change_id", "subscription_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    price_change_id: Mapped[int] = mapped_column(ForeignKey("price_changes.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    sent_on: Mapped[date] = mapped_column(Date)
    effective_on: Mapped[date] = mapped_column(Date)
    notice_clause: Mapped[str] = mapped_column(String(300), default="")
    may_leave_without_fees: Mapped[bool] = mapped_column(Boolean, default=False)
    leave_clause: Mapped[str] = mapped_column(String(300), default="")
    leave_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    price_change: Mapped[PriceChange] = relationship(back_populates="notices")


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_issued_invoices(session: Session, _context, _instances) -> None:
    """An issued invoice is corrected only by a credit note (CGI art. 242 nonies A)."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Invoice):
            state = inspect(obj)
            number = state.attrs.number.history
            was_issued = bool(number.deleted and number.deleted[0]) or (
                obj.number is not None and not number.added)
            if not was_issued:
                continue
            if obj in session.deleted:
                raise NotAllowed(f"invoice {obj.number}: an issued invoice cannot be deleted; "
                                 "issue a credit note", code=Refused.issued_invoice_not_deletable)
            changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
            frozen = changed - _MUTABLE_AFTER_ISSUE - {"lines"}
            if frozen or state.attrs.lines.history.has_changes():
                raise NotAllowed(f"invoice {obj.number}: issued, it cannot be modified "
                                 f"({', '.join(sorted(frozen or {'lines'}))}); issue a credit note",
                                 code=Refused.issued_invoice_immutable)
        elif isinstance(obj, InvoiceLine):
            invoice = obj.invoice
            if invoice is not None and invoice.number is not None:
                raise NotAllowed(f"invoice {invoice.number}: its lines cannot be changed once issued; "
                                 "issue a credit note", code=Refused.issued_invoice_lines_immutable)
