"""Demo invoices: the last three months billed for every operator (idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.billing import rules, service
from clausier.billing.models import BillRun
from clausier.catalog.models import Operator
from clausier.core.clock import Clock


def load_demo(session: Session, clock: Clock, actor: Actor) -> str:
    """The first run catches up every month since each go-live; the next two are monthly runs."""
    this_month = rules.month_start(clock.today())
    invoices = 0
    for operator in session.scalars(select(Operator).order_by(Operator.code)):
        for back in (2, 1, 0):
            period = rules.period_label(rules.add_months(this_month, -back))
            if session.scalar(select(BillRun.id).where(BillRun.operator_id == operator.id,
                                                       BillRun.period == period)):
                continue
            invoices += service.bill_period(session, clock, actor, period, operator.code).billed
    return f"{invoices} invoice(s)"
