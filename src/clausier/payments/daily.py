"""The collections part of the daily tick (named in ``scheduler.service``'s steps)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.core.clock import Clock
from clausier.customers import facts as customer_facts
from clausier.payments import invoices as invoice_reads
from clausier.payments.rules import DunningCaseStatus
from clausier.payments.deposits.service import deposits_tick
from clausier.payments.dunning.service import advance
from clausier.payments.models import DunningCase
from clausier.payments.sepa.service import schedule_collections, settle_collections


def tick(session: Session, clock: Clock, actor: Actor, day: date, *,
         customer_id: int | None = None) -> dict[str, int]:
    """The collections part of the daily tick: debits scheduled and collected, every customer's
    ladder moved to ``day`` (one customer's only with ``customer_id``), deposits watched.
    Running it twice for a day changes nothing."""
    counts = {"scheduled": schedule_collections(session, clock, actor, day, customer_id),
              "collected": settle_collections(session, clock, actor, day, customer_id),
              "steps": 0}
    ids = set(invoice_reads.customers_with_due_invoices(session, day)) | set(session.scalars(
        select(DunningCase.customer_id).where(DunningCase.status == DunningCaseStatus.OPEN)))
    if customer_id is not None:
        ids &= {customer_id}
    customers = customer_facts.customers(session, ids)
    for due_id in sorted(ids):
        counts["steps"] += len(advance(session, clock, actor, customers[due_id], day))
    counts.update(deposits_tick(session, clock, actor, day, customer_id))
    return counts
