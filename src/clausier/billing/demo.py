"""Demo invoices: the last three months billed for every operator, month by month, each run on
the first day of its month as an operator runs it, so that the invoices have a history of issue
and due dates for collections and dunning to act on (idempotent)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.billing import periods
from clausier.billing.models import BillRun
from clausier.billing.runs import service as billing_runs
from clausier.catalog import facts as catalog
from clausier.core.clock import Clock, FixedClock

# The months the demo bills: this one and the two before.
DEMO_RUNS = 3


def first_demo_period(today: date) -> date:
    """The month of the demo's first bill run. The demo's subscriptions live before it were
    billed by the operators' old system up to the day before (``billed_until``, as an import
    records it), so that no demo invoice catches up years in one go."""
    return periods.add_months(periods.month_start(today), 1 - DEMO_RUNS)


def load_demo(session: Session, clock: Clock, actor: Actor) -> str:
    """One run per month, as an operator bills: each bills its month (and the months a go-live
    recorded late left unbilled, each as a line of arrears), on the month's first day."""
    first = first_demo_period(clock.today())
    invoices = 0
    for operator_id, code in catalog.operator_codes(session).items():
        for month in range(DEMO_RUNS):
            run_day = periods.add_months(first, month)
            period = periods.period_label(run_day)
            if session.scalar(select(BillRun.id).where(BillRun.operator_id == operator_id,
                                                       BillRun.period == period)):
                continue
            invoices += billing_runs.bill_period(session, FixedClock.on(run_day), actor, period,
                                                 code).billed
    return f"{invoices} invoice(s)"
