"""What payments reads of billing's invoices (never writes: the payment status moves only through
``billing.invoices.service.record_payment``): the open invoices of a customer as
``rules.OpenInvoice``."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.billing.models import Invoice, InvoiceLine
from clausier.billing.invoices.service import PAYMENT_STATUSES
from clausier.core.money import ZERO, money
from clausier.payments.models import Dispute
from clausier.payments.rules import OpenInvoice

OPEN_STATUSES = tuple(s for s in PAYMENT_STATUSES if s != "paid")


def _credited(session: Session, invoice_ids: list[int]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if invoice_ids:
        for invoice_id, total in session.execute(
                select(Invoice.credited_invoice_id, Invoice.total_ttc)
                .where(Invoice.credited_invoice_id.in_(invoice_ids))):
            totals[invoice_id] += total
    return totals


def facts(session: Session, invoices: list[Invoice]) -> list[OpenInvoice]:
    ids = [i.id for i in invoices]
    credited = _credited(session, ids)
    disputed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    usage: set[int] = set()
    if ids:
        for invoice_id, amount in session.execute(select(Dispute.invoice_id, Dispute.amount).where(
                Dispute.invoice_id.in_(ids), Dispute.status == "open")):
            disputed[invoice_id] += amount
        usage = set(session.scalars(select(InvoiceLine.invoice_id).where(
            InvoiceLine.invoice_id.in_(ids), InvoiceLine.kind == "usage").distinct()))
    result = []
    for invoice in invoices:
        total = money(invoice.total_ttc - credited[invoice.id])
        result.append(OpenInvoice(
            id=invoice.id, number=invoice.number, issue_date=invoice.issue_date,
            due_date=invoice.due_date or invoice.issue_date, total=total,
            outstanding=max(ZERO, money(total - invoice.amount_paid)),
            disputed=disputed[invoice.id], has_usage=invoice.id in usage))
    return result


def open_invoices(session: Session, customer_id: int) -> list[OpenInvoice]:
    """Issued invoices of the customer with something left to pay, oldest first."""
    rows = list(session.scalars(select(Invoice).where(
        Invoice.customer_id == customer_id, Invoice.kind == "invoice",
        Invoice.number.is_not(None), Invoice.status.in_(OPEN_STATUSES))
        .order_by(Invoice.due_date, Invoice.issue_date, Invoice.id)))
    return [i for i in facts(session, rows) if i.outstanding > 0]


def customers_with_due_invoices(session: Session, on: date) -> list[int]:
    return list(session.scalars(select(Invoice.customer_id).where(
        Invoice.kind == "invoice", Invoice.number.is_not(None),
        Invoice.status.in_(OPEN_STATUSES), Invoice.due_date < on).distinct()))


def invoice(session: Session, invoice_id: int) -> Invoice:
    return session.get(Invoice, invoice_id)

