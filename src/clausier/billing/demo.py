"""Demo invoices: the last three months billed for every operator, month by month, each run on
the first day of its month as an operator runs it, so that the invoices have a history of issue
and due dates for collections and dunning to act on (idempotent)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.billing import rules, service
from clausier.billing.models import BillRun
from clausier.catalog.models import Operator
from clausier.core.clock import Clock, FixedClock


# The months the demo bills: this one and the two before.
DEMO_RUNS = 3


def first_demo_period(today: date) -> date:
    """The month of the demo's first bill run. The demo's subscriptions live before it were
    billed by the operators' old system up to the day before (``billed_until``, as an import
    records it), so that no demo invoice catches up years in one go."""
    return rules.add_months(rules.month_start(today), 1 - DEMO_RUNS)


def load_demo(session: Session, clock: Clock, actor: Actor) -> str:
    """One run per month, as an operator bills: each bills its month (and the months a go-live
    recorded late left unbilled, each as a line of arrears), on the month's first day."""
    first = first_demo_period(clock.today())
    invoices = 0
    for operator in session.scalars(select(Operator).order_by(Operator.code)):
        for month in range(DEMO_RUNS):
            run_day = rules.add_months(first, month)
            period = rules.period_label(run_day)
            if session.scalar(select(BillRun.id).where(BillRun.operator_id == operator.id,
                                                       BillRun.period == period)):
                continue
            invoices += service.bill_period(session, FixedClock.on(run_day), actor, period,
                                            operator.code).billed
    return f"{invoices} invoice(s)"
