"""The daily tick: every room's daily work (renewals, notices, dunning, retention…) in one run.

Each room appends its step to ``TICK_STEPS`` as ``"module:function"``; a step is called as
``function(session, clock, actor, day)`` and returns a short summary (or None); a step that can
act for one customer only (``clausier tick --customer``) takes a keyword ``customer_id``. A step that has
run for a day is recorded in ``TickRun`` and never runs again for that day, so running the tick
twice for one date changes nothing the second time.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clausier.audit.models import AuditEntry
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.dryrun import dry_run
from clausier.core.settings import Settings
from clausier.customers.models import Customer
from clausier.db.session import lock_for_writing
from clausier.scheduler.models import TickRun

log = logging.getLogger(__name__)

# "module:function", in the order they run (data flows one way: contracts before billing…).
TICK_STEPS: list[str] = [
    "clausier.contracts.service:tick",
    "clausier.equipment.service:tick",      # after contracts: returns open once the line has ended
    "clausier.numbers.service:tick",
    "clausier.billing.invoices.service:tick",
    "clausier.payments.service:tick",
    "clausier.payments.service:deliver",
    "clausier.support.service:deliver_notifications",
    "clausier.access.service:daily_tick",
    "clausier.privacy.service:tick",
    "clausier.accounts.service:forget_stale_logins",
]

# Sent again and again through the day by the server (ticker.DeliveryLoop), not only by the daily
# tick: what waits in the outboxes, whose next attempt after a failure has come. Same signature.
DELIVERY_STEPS: list[str] = [
    "clausier.payments.service:deliver",
    "clausier.support.service:deliver_notifications",
]

# The same outboxes sent by the workers (``workers.tasks.deliver_notices``), one message a
# transaction: ``function(session, clock, actor)`` claims the oldest due message no other sender
# holds, sends and marks it, and returns "sent" or "failed" (None: nothing is due).
DELIVERY_ONE_BY_ONE: list[str] = [
    "clausier.payments.service:send_next",
    "clausier.support.service:send_next_notification",
]


# What the senders above would send, for a dry run (same room, ``(session, clock, customer_id)``).
DELIVERY_PREVIEWS: dict[str, str] = {
    "clausier.payments.service:deliver": "clausier.payments.service:deliveries_due",
    "clausier.support.service:deliver_notifications": "clausier.support.service:deliveries_due",
}


@dataclass(frozen=True)
class StepOutcome:
    step: str
    status: Literal["done", "already_done", "failed", "skipped"]
    summary: str = ""


@dataclass(frozen=True)
class TickPreview:
    """What a tick would do (``clausier tick --dry-run``), none of it kept."""

    outcomes: list[StepOutcome]
    changes: list[dict]       # the audit entries the run wrote: state changes, charges, letters
    messages: list[dict]      # the e-mails and SMS the senders would send

    def as_dict(self) -> dict:
        return {"outcomes": [o.__dict__ for o in self.outcomes], "changes": self.changes,
                "messages": self.messages}


def _resolve(step: str) -> Callable[..., str | None]:
    module_name, _, function = step.partition(":")
    return getattr(importlib.import_module(module_name), function)


def _takes_customer(function: Callable) -> bool:
    return "customer_id" in inspect.signature(function).parameters


def _left_to_the_workers(session: Session, clock: Clock, actor: Actor, day: date, **scope) -> str:
    """With a broker the workers send the outboxes (``workers.tasks.deliver_notices``, which
    ``clausier scheduler`` sends them every minute): the tick leaves its messages to them."""
    return "left to the workers"


def run_daily_tick(session: Session, clock: Clock, actor: Actor, day: date, *,
                   customer: Customer | None = None, messages: list[dict] | None = None
                   ) -> list[StepOutcome]:
    """Run the steps not yet run for ``day``. Each step runs in its own savepoint: a failing
    step is rolled back, reported and retried by the next run, without stopping the others.

    For one ``customer``, the steps that can be limited to a customer run (again, if the day's
    run has done them: they are idempotent) and leave the day's run to do for everyone; the
    others are skipped. With ``messages`` (a dry run), the senders do not send: what they would
    send is appended to that list."""
    lock_for_writing(session, "daily-tick")      # two servers must not run one day twice
    done = set() if customer else set(session.scalars(select(TickRun.step).where(TickRun.day == day)))
    outcomes = []
    for step in TICK_STEPS:
        if step in done:
            outcomes.append(StepOutcome(step, "already_done"))
            continue
        function = _resolve(step)
        if customer is not None and not _takes_customer(function):
            outcomes.append(StepOutcome(step, "skipped", "runs for every customer at once only"))
            continue
        scope = {"customer_id": customer.id} if customer is not None else {}
        if messages is not None and step in DELIVERY_PREVIEWS:
            due = _resolve(DELIVERY_PREVIEWS[step])(session, clock, **scope)
            messages.extend(due)
            outcomes.append(StepOutcome(step, "skipped", f"dry run: {len(due)} message(s) not sent"))
            continue
        if step in DELIVERY_STEPS and Settings.from_env().broker_url:
            function = _left_to_the_workers
        try:
            with session.begin_nested():
                summary = str(function(session, clock, actor, day, **scope) or "")
                if customer is None:
                    run = TickRun(day=day, step=step, ran_at=clock.now(), actor=actor.name,
                                  summary=summary)
                    session.add(run)
                    record(session, clock, actor, "tick.step", run,
                           f"{day.isoformat()} {step}: {summary}")
                else:
                    record(session, clock, actor, "tick.customer_step", customer,
                           f"{day.isoformat()} {step} for {customer.ref}: {summary}")
        except Exception as exc:   # one room's failure must not stop the others' daily work
            log.exception("daily tick %s: step %s failed", day, step)
            outcomes.append(StepOutcome(step, "failed", f"{type(exc).__name__}: {exc}"))
            continue
        outcomes.append(StepOutcome(step, "done", summary))
    return outcomes


def preview_daily_tick(session: Session, clock: Clock, actor: Actor, day: date, *,
                       customer: Customer | None = None) -> TickPreview:
    """What the tick would do for ``day`` (and ``customer``): run in a savepoint that is rolled
    back, with no file written or deleted (``core.dryrun``) and no message sent."""
    last_entry = session.scalar(select(func.max(AuditEntry.id))) or 0
    messages: list[dict] = []
    savepoint = session.begin_nested()
    try:
        with dry_run():
            outcomes = run_daily_tick(session, clock, actor, day, customer=customer,
                                      messages=messages)
        changes = [{"action": e.action, "entity": f"{e.entity_type} {e.entity_id}".strip(),
                    "summary": e.summary}
                   for e in session.scalars(select(AuditEntry).where(
                       AuditEntry.id > last_entry,
                       AuditEntry.action.not_in(("tick.step", "tick.customer_step")))
                       .order_by(AuditEntry.id))]
    finally:
        savepoint.rollback()
    return TickPreview(outcomes, changes, messages)


def deliver_due_messages(session: Session, clock: Clock, actor: Actor) -> dict[str, int]:
    """Hand over what waits in the outboxes and is due; the counts of all of them summed."""
    totals = {"sent": 0, "failed": 0}
    for step in DELIVERY_STEPS:
        counts = _resolve(step)(session, clock, actor, clock.today())
        for outcome in totals:
            totals[outcome] += counts[outcome]
    return totals


def runs_of(session: Session, day: date) -> list[TickRun]:
    return list(session.scalars(select(TickRun).where(TickRun.day == day).order_by(TickRun.id)))
