"""What other rooms may read of billing: issued invoices and what is left to pay on them, for
many customers or invoices in a few queries (plain dataclasses, never the tables' rows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from clausier.billing.models import Invoice, InvoiceLine
from clausier.billing.invoices.rules import PAYMENT_STATUSES, InvoiceStatus
from clausier.core.errors import NotFound
from clausier.core.money import ZERO, money

# Issued invoices that may still have something to pay.
OPEN_STATUSES = tuple(s for s in PAYMENT_STATUSES if s != InvoiceStatus.PAID)


@dataclass(frozen=True)
class InvoiceFacts:
    id: int
    number: str | None
    kind: str                    # invoice | credit_note
    customer_id: int
    status: str
    issue_date: date | None
    due_date: date | None
    price_basis: str             # HT | TTC
    total_ht: Decimal
    total_ttc: Decimal
    amount_paid: Decimal
    credited: Decimal            # the credit notes' total (TTC) against this invoice
    has_usage: bool              # carries usage lines (calls, data…)

    @property
    def total(self) -> Decimal:
        """What the invoice asks once its credit notes are deducted."""
        return money(self.total_ttc - self.credited)

    @property
    def outstanding(self) -> Decimal:
        return max(ZERO, money(self.total - self.amount_paid))


def _facts(session: Session, invoices: list[Invoice]) -> list[InvoiceFacts]:
    ids = [i.id for i in invoices]
    credited: dict[int, Decimal] = defaultdict(lambda: ZERO)
    usage: set[int] = set()
    if ids:
        for invoice_id, total in session.execute(
                select(Invoice.credited_invoice_id, Invoice.total_ttc)
                .where(Invoice.credited_invoice_id.in_(ids))):
            credited[invoice_id] += total
        usage = set(session.scalars(select(InvoiceLine.invoice_id).where(
            InvoiceLine.invoice_id.in_(ids), InvoiceLine.kind == "usage").distinct()))
    return [InvoiceFacts(
        id=i.id, number=i.number, kind=i.kind, customer_id=i.customer_id, status=i.status,
        issue_date=i.issue_date, due_date=i.due_date, price_basis=i.price_basis,
        total_ht=i.total_ht, total_ttc=i.total_ttc, amount_paid=i.amount_paid,
        credited=credited[i.id], has_usage=i.id in usage) for i in invoices]


def open_invoices(session: Session, customer_ids: Collection[int]) -> dict[int, list[InvoiceFacts]]:
    """The customers' issued invoices not marked paid, by customer, oldest due first (an
    invoice whose credit notes cover it is listed: ``outstanding`` says what is left)."""
    if not customer_ids:
        return {}
    rows = list(session.scalars(select(Invoice).where(
        Invoice.customer_id.in_(sorted(set(customer_ids))), Invoice.kind == "invoice",
        Invoice.number.is_not(None), Invoice.status.in_(OPEN_STATUSES))
        .order_by(Invoice.due_date, Invoice.issue_date, Invoice.id)))
    found: dict[int, list[InvoiceFacts]] = defaultdict(list)
    for fact in _facts(session, rows):
        found[fact.customer_id].append(fact)
    return dict(found)


def invoice_facts(session: Session, invoice_ids: Collection[int]) -> dict[int, InvoiceFacts]:
    """The invoices (or credit notes) of these ids, by id."""
    if not invoice_ids:
        return {}
    rows = list(session.scalars(select(Invoice).where(Invoice.id.in_(sorted(set(invoice_ids))))
                                .order_by(Invoice.id)))
    return {fact.id: fact for fact in _facts(session, rows)}


def invoice_by_number(session: Session, number_or_id: str | int) -> InvoiceFacts:
    """The invoice of this number (else of this id); NotFound otherwise."""
    text = str(number_or_id)
    invoice = session.scalar(select(Invoice).where(Invoice.number == text))
    if invoice is None and text.isdecimal():
        invoice = session.get(Invoice, int(text))
    if invoice is None:
        raise NotFound(f"invoice: {number_or_id} not found", resource="invoice")
    return _facts(session, [invoice])[0]


def customers_with_due_invoices(session: Session, on: date) -> list[int]:
    """Customers with an issued invoice not marked paid whose due date is before ``on``."""
    return list(session.scalars(select(Invoice.customer_id).where(
        Invoice.kind == "invoice", Invoice.number.is_not(None),
        Invoice.status.in_(OPEN_STATUSES), Invoice.due_date < on).distinct()))


@dataclass(frozen=True)
class DocumentListing:
    """An issued invoice or credit note as a list of a customer's documents shows it."""

    number: str
    kind: str                    # invoice | credit_note
    status: str
    period: str
    issue_date: date | None
    due_date: date | None
    total_ht: Decimal
    total_ttc: Decimal
    amount_paid: Decimal


_INVOICES = Invoice.__table__.c
# Built once, on the table's columns (no ORM entity to set up per call): the portal lists a
# customer's documents hundreds of times a second; building and keying the statement on each
# call cost as much as the database's answer.
_ISSUED_DOCUMENTS = (
    select(_INVOICES.number, _INVOICES.kind, _INVOICES.status, _INVOICES.period,
           _INVOICES.issue_date, _INVOICES.due_date, _INVOICES.total_ht, _INVOICES.total_ttc,
           _INVOICES.amount_paid)
    .where(_INVOICES.customer_id == bindparam("customer_id"), _INVOICES.status != InvoiceStatus.DRAFT)
    .order_by(_INVOICES.id.desc()).limit(bindparam("limit")).offset(bindparam("offset")))


def issued_documents_of_customer(session: Session, customer_id: int, *, limit: int = 10_000,
                                 offset: int = 0) -> list[DocumentListing]:
    """The customer's issued invoices and credit notes, latest first, a page at a time: drafts
    are left out and the page cut by the database (index ``ix_invoices_customer_listing``)."""
    rows = session.execute(_ISSUED_DOCUMENTS,
                           {"customer_id": customer_id, "limit": limit, "offset": offset})
    return [DocumentListing(*row) for row in rows]
