"""Real customers with real invoices, made through the services (no mocks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.billing.invoices import service as billing_invoices
from clausier.billing.runs import service as billing_runs
from clausier.billing.models import Invoice
from clausier.contracts import service as contracts
from clausier.core.clock import FixedClock
from clausier.customers.models import Contact, Customer
from clausier.rating.models import UsageSummary
from tests import factories


@dataclass
class Billed:
    customer: Customer
    invoice: Invoice
    subscription_id: int


def billed_customer(session: Session, actor: Actor, operator_code: str, *, family: str,
                    monthly_fee: str, go_live: date, period: str, issue_on: date,
                    kind: str = "company", name: str = "Boulangerie Martin",
                    email: str = "compta@example.org", phone: str = "+33612345678",
                    commitment_months: int = 12, usage: str | None = None,
                    access_fee: str = "0") -> Billed:
    """A customer with one live subscription and the invoice of ``period`` issued on ``issue_on``
    (with ``usage`` of the month before the go-live, to make a usage invoice)."""
    clock = FixedClock.on(issue_on)
    op = factories.operator(session, clock, actor, operator_code)
    code = f"{family}-{monthly_fee}"
    factories.offer(session, op, code, family, monthly_fee, commitment_months=commitment_months,
                    access_fee=access_fee)
    customer = factories.customer(session, clock, op, name, kind=kind,
                                  employees=None if kind == "household" else 3)
    customer.billing_address = "12 rue des Lilas\n37000 Tours"
    session.add(Contact(customer_id=customer.id, name="Comptabilité", email=email, phone=phone,
                        roles=["billing"]))
    (sub,) = factories.subscription(session, clock, actor, customer, [contracts.LineInput(
        site_id=factories.site_id(customer), offer_code=code, commitment_months=commitment_months)],
        signed_on=go_live, go_live_on=go_live)
    if usage is not None:     # rated usage of the month before, as the rating room writes it
        previous = (date(go_live.year, go_live.month, 1) - timedelta(days=1)).strftime("%Y-%m")
        session.add(UsageSummary(subscription_id=sub.id, customer_id=customer.id, month=previous,
                                 usage_period=previous, amount=Decimal(usage),
                                 price_basis=op.price_basis, records=1, explanation={},
                                 computed_at=clock.now()))
        session.flush()
    billing_runs.bill_period(session, clock, actor, period, operator_code,
                             customer_ids=[customer.id])
    (invoice,) = billing_invoices.list_invoices(session, customer_id=customer.id)
    return Billed(customer, invoice, sub.id)
