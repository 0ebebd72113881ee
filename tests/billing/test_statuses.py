"""The billing statuses are closed lists: read back as members, refused outside the list."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import StatementError

from clausier.billing.invoices import service as billing_invoices
from clausier.billing.invoices.rules import InvoiceStatus
from clausier.billing.models import BillRun, Invoice
from clausier.billing.runs import service as billing_runs
from clausier.billing.runs.rules import BillRunStatus
from clausier.contracts.service import LineInput
from clausier.core.errors import InvalidInput
from tests import factories


def _bill(session, clock, actor, business) -> Invoice:
    factories.subscription(session, clock, actor, business, [LineInput(business.sites[0].id, "presel")],
                           signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    session.flush()
    return session.scalar(select(Invoice))


def test_statuses_read_from_the_database_are_the_members(session, clock, actor, tec, business):
    invoice_id = _bill(session, clock, actor, business).id
    session.expire_all()
    assert session.get(Invoice, invoice_id).status is InvoiceStatus.ISSUED
    assert session.scalar(select(BillRun.status)) is BillRunStatus.COMPLETED


def test_a_status_outside_the_list_is_refused_naming_it(session, clock, actor, tec, business):
    invoice = _bill(session, clock, actor, business)
    with pytest.raises(StatementError, match="'settled' is not a valid InvoiceStatus"):
        session.execute(update(Invoice).where(Invoice.id == invoice.id).values(status="settled"))


def test_listing_by_an_unknown_status_is_refused_with_its_code(session):
    with pytest.raises(InvalidInput) as refused:
        billing_invoices.list_invoices(session, status="settled")
    assert refused.value.code == "invoice_status_unknown"
