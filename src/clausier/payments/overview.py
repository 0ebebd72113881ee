"""The collections view of a customer: what it owes and why, and everything payments holds
about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.billing.ledger.charges import pending_charges
from clausier.core.errors import NotAllowed
from clausier.core.explain import Explained
from clausier.customers.facts import CustomerFacts
from clausier.notifications import outbox
from clausier.payments import invoices as invoice_reads
from clausier.payments import rules
from clausier.payments.common import get_customer, terms_of
from clausier.payments.deposits.service import list_deposits
from clausier.payments.disputes.service import list_disputes
from clausier.payments.dunning.service import Due, due_of, open_case_of
from clausier.payments.invoices import owed
from clausier.payments.ledger.late_payment import accrued_interest
from clausier.payments.ledger.service import credits_of, list_payments
from clausier.payments.models import (CustomerCredit, Deposit, DirectDebitItem, Dispute,
                                      DunningCase, Mandate, Payment)
from clausier.payments.sepa.service import list_mandates

# --------------------------------------------------------------------------- the collections view


@dataclass(frozen=True)
class InvoiceDue:
    """An open invoice as collections sees it: when it is due once the sheet's acceleration is
    applied, whether it is overdue, and the late interest accrued (or why none could be)."""

    invoice: rules.OpenInvoice
    effective_due_date: date
    overdue: bool
    interest: Explained | None
    interest_refused: str | None = None


@dataclass(frozen=True)
class Collections:
    """Everything payments holds about a customer's money on a day; the edges show it with
    ``shapes.collections_dict``."""

    customer: CustomerFacts
    on: date
    owed: Decimal
    pending_charges: list           # billing's charges waiting for the next invoice
    due: Due
    invoices: list[InvoiceDue]
    cases: list[DunningCase]
    payments: list[Payment]
    credits: list[CustomerCredit]
    mandates: list[Mandate]
    debits: list[DirectDebitItem]
    deposits: list[Deposit]
    disputes: list[Dispute]
    messages: list                  # notifications' outbox messages


def collections(session: Session, customer_ref: str | int, on: date) -> Collections:
    """Everything about a customer's money: what it owes (open invoices with the interest
    accrued, charges for the next invoice), the cases and their steps, payments, credits,
    mandates, debits, deposits, disputes, messages."""
    customer = get_customer(session, customer_ref)
    terms = terms_of(session, customer).terms
    case = open_case_of(session, customer.id)
    due = due_of(session, customer, terms, on, case)
    overdue_ids = {i.id for i in due.overdue}
    invoices = []
    for invoice in invoice_reads.open_invoices(session, customer.id):
        effective = rules.effective_due(invoice, due.accelerated_on)
        try:
            interest, refused = accrued_interest(session, terms, invoice, on), None
        except NotAllowed as exc:
            interest, refused = None, exc.message
        invoices.append(InvoiceDue(invoice, effective, invoice.id in overdue_ids, interest, refused))
    cases = list(session.scalars(select(DunningCase).where(DunningCase.customer_id == customer.id)
                                 .order_by(DunningCase.id.desc())))
    items = list(session.scalars(select(DirectDebitItem).where(
        DirectDebitItem.customer_id == customer.id).order_by(DirectDebitItem.id)))
    return Collections(
        customer=customer, on=on, owed=owed(session, customer.id),
        pending_charges=pending_charges(session, customer.id), due=due, invoices=invoices,
        cases=cases, payments=list_payments(session, customer.id),
        credits=credits_of(session, customer.id), mandates=list_mandates(session, customer.id),
        debits=items, deposits=list_deposits(session, customer.id),
        disputes=list_disputes(session, customer.id),
        messages=outbox.list_messages(session, customer.id))
