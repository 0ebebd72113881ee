"""The demo's invoices look like an operator's month-by-month bill runs (issue 18 §8): no line
covers many months, and what the operators' old system billed before the demo's first run is not
billed again."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from clausier.billing.models import Invoice, InvoiceLine
from clausier.contracts.models import Order, Subscription
from clausier.customers.models import Customer


def test_the_demo_bills_month_by_month_from_where_the_old_system_stopped(demo_session, clock):
    """The clock is 24 November 2026: the demo bills September, October and November 2026, and
    the subscriptions signed before were billed by the old system up to 31 August 2026. Monthly
    fees are billed month by month in advance (Technicophone CGV art. 10.2, seed 001 L360-362),
    so a run bills its own month, and a month before it only as arrears."""
    periods = set(demo_session.scalars(select(Invoice.period)))
    assert periods == {"2026-09", "2026-10", "2026-11"}
    migrated = date(2026, 8, 31)
    # The demo customers' own orders (``DEMO-<customer ref>``); the TV option the equipment demo
    # adds to OZO-000001 is billed by Clausier from its go-live, with its arrears.
    subscriptions = [sub for sub, customer_ref, order_ref in demo_session.execute(
        select(Subscription, Customer.ref, Order.external_ref)
        .join(Customer, Subscription.customer_id == Customer.id)
        .join(Order, Subscription.order_id == Order.id)) if order_ref == f"DEMO-{customer_ref}"]
    assert len(subscriptions) > 30
    assert {s.billed_until for s in subscriptions if s.signed_on <= migrated} == {migrated}
    assert {s.billed_until for s in subscriptions if s.signed_on > migrated} <= {None}
    lines = demo_session.execute(select(InvoiceLine, Invoice.period).join(
        Invoice, InvoiceLine.invoice_id == Invoice.id).where(Invoice.kind == "invoice")).all()
    recurring = [(line, period) for line, period in lines if line.kind == "recurring"]
    assert recurring
    for line, period in recurring:
        assert (line.period_start.year, line.period_start.month) == \
            (line.period_end.year, line.period_end.month), line.label
        # A whole month before the run's own is arrears (a started month says so instead).
        whole_month = "prorata" not in line.label and "(started month" not in line.label
        if line.period_start.strftime("%Y-%m") < period and whole_month:
            assert line.label.endswith("(arrears)"), line.label
    # Nothing the old system billed is billed again: no month up to 31 August, no set-up fee.
    billed_before = {s.id for s in subscriptions if s.billed_until and s.go_live_on
                     and s.go_live_on <= migrated}
    assert billed_before
    assert not [line.label for line, _ in recurring
                if line.subscription_id in billed_before and line.period_start <= migrated]
    assert not [line.label for line, _ in lines
                if line.kind == "one_off" and line.subscription_id in billed_before]
