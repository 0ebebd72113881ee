"""What payments reads of billing's invoices, through ``billing.facts`` (never writes: the
payment status moves only through ``billing.invoices.service.record_payment``): the open invoices of
customers as ``rules.OpenInvoice``, with the part held back by open disputes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.billing import facts as billing_facts
from clausier.billing.ledger.charges import pending_charges
from clausier.billing.facts import InvoiceFacts
from clausier.core.money import ZERO, money
from clausier.payments.models import Dispute
from clausier.payments.rules import DisputeStatus, OpenInvoice


def facts(session: Session, invoices: list[InvoiceFacts]) -> list[OpenInvoice]:
    """The invoices as the payment rules read them, in the same order."""
    ids = [i.id for i in invoices]
    disputed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if ids:
        for invoice_id, amount in session.execute(select(Dispute.invoice_id, Dispute.amount).where(
                Dispute.invoice_id.in_(ids), Dispute.status == DisputeStatus.OPEN)):
            disputed[invoice_id] += amount
    return [OpenInvoice(
        id=invoice.id, number=invoice.number, issue_date=invoice.issue_date,
        due_date=invoice.due_date or invoice.issue_date, total=invoice.total,
        outstanding=invoice.outstanding, disputed=disputed[invoice.id],
        has_usage=invoice.has_usage) for invoice in invoices]


def open_invoices_of(session: Session, customer_ids: Collection[int]
                     ) -> dict[int, list[OpenInvoice]]:
    """Issued invoices of the customers with something left to pay, oldest first, by customer."""
    issued = [i for invoices in billing_facts.open_invoices(session, customer_ids).values()
              for i in invoices]
    result: dict[int, list[OpenInvoice]] = defaultdict(list)
    for invoice, fact in zip(issued, facts(session, issued)):
        if fact.outstanding > 0:
            result[invoice.customer_id].append(fact)
    return dict(result)


def open_invoices(session: Session, customer_id: int) -> list[OpenInvoice]:
    """Issued invoices of the customer with something left to pay, oldest first."""
    return open_invoices_of(session, [customer_id]).get(customer_id, [])


def owed(session: Session, customer_id: int) -> Decimal:
    """Everything the customer owes: open invoices and the charges waiting for the next one."""
    invoiced = sum((i.outstanding for i in open_invoices(session, customer_id)), ZERO)
    charges = sum((c.amount for c in pending_charges(session, customer_id)), ZERO)
    return money(invoiced + max(ZERO, charges))


def customers_with_due_invoices(session: Session, on: date) -> list[int]:
    return billing_facts.customers_with_due_invoices(session, on)


def amounts_paid(session: Session, invoice_ids: Collection[int]) -> dict[int, Decimal]:
    """What billing has recorded as paid on each invoice."""
    return {i.id: i.amount_paid for i in billing_facts.invoice_facts(session, invoice_ids).values()}


def invoices_by_id(session: Session, invoice_ids: Collection[int]) -> dict[int, OpenInvoice]:
    """These invoices as the payment rules read them (paid ones included), by id."""
    found = list(billing_facts.invoice_facts(session, invoice_ids).values())
    return {fact.id: fact for fact in facts(session, found)}
