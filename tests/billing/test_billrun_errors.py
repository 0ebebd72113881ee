"""A bill run with a customer it cannot bill: the others are billed, the run finishes
``completed_with_errors`` (21 characters: the status column holds it on PostgreSQL since
migration 0013) and its errors name the customer and why. On SQLite and, with
``CLAUSIER_TEST_DB=postgresql``, on PostgreSQL, through the run's own transactions."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from clausier.billing.models import BillRun, Invoice
from clausier.billing.runs import service as billing_runs
from clausier.billing.runs.rules import BillRunStatus
from clausier.contracts.models import Subscription
from clausier.customers.models import Customer
from clausier.db.session import transaction
from tests import factories

UNKNOWN_VERSION = 99


def test_a_customer_whose_term_sheet_cannot_be_read_is_reported_and_the_others_are_billed(
        clean_engine, clock, actor):
    """Three TECHNICOPHONE customers with a preselection line (CP II); the second one's
    subscription is bound to a version of the sheet this database does not hold (as a
    subscription brought over from another installation would be): its terms cannot be read,
    so it gets no invoice, and the run says so."""
    with transaction(clean_engine) as s:
        factories.preselection_customers(s, clock, actor, 3)
        first, failing, third = s.scalars(select(Customer).order_by(Customer.id)).all()
        refs = first.ref, failing.ref, third.ref
        [sub] = s.scalars(select(Subscription).where(Subscription.customer_id == failing.id))
        sub_ref, sheet_id = sub.ref, sub.sheet_id
        s.execute(update(Subscription).where(Subscription.id == sub.id)
                  .values(sheet_version=UNKNOWN_VERSION))

    [report] = billing_runs.run_bill_run(clean_engine, clock, actor, "2026-11", "technicophone",
                                         processes=1)

    assert report.billed == 2
    assert report.errors == [{
        "customer": refs[1],
        "reason": f"{sub_ref}: sheet: no term sheet {sheet_id!r} version {UNKNOWN_VERSION} "
                  "is loaded"}]
    with transaction(clean_engine) as s:
        [run] = s.scalars(select(BillRun))
        assert run.status == BillRunStatus.COMPLETED_WITH_ERRORS == "completed_with_errors"
        assert run.errors == report.errors and run.finished_at is not None
        assert run.invoices == 2
        billed = s.execute(select(Customer.ref, Invoice.status, Invoice.total_ht)
                           .join(Invoice, Invoice.customer_id == Customer.id)
                           .order_by(Customer.id)).all()
    # CP II preselection line of the factory population: 10.00 € HT for November
    assert billed == [(refs[0], "issued", Decimal("10.00")), (refs[2], "issued", Decimal("10.00"))]
