"""The daily tick: every room's daily work (renewals, notices, dunning, retention…) in one run.

Each room appends its step to ``TICK_STEPS`` as ``"module:function"``; a step is called as
``function(session, clock, actor, day)`` and returns a short summary (or None). A step that has
run for a day is recorded in ``TickRun`` and never runs again for that day, so running the tick
twice for one date changes nothing the second time.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.db.session import lock_for_writing
from clausier.scheduler.models import TickRun

log = logging.getLogger(__name__)

# "module:function", in the order they run (data flows one way: contracts before billing…).
TICK_STEPS: list[str] = [
    "clausier.contracts.service:tick",
    "clausier.equipment.service:tick",      # after contracts: returns open once the line has ended
    "clausier.numbers.service:tick",
    "clausier.billing.service:tick",
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


@dataclass(frozen=True)
class StepOutcome:
    step: str
    status: Literal["done", "already_done", "failed"]
    summary: str = ""


def _resolve(step: str) -> Callable[..., str | None]:
    module_name, _, function = step.partition(":")
    return getattr(importlib.import_module(module_name), function)


def run_daily_tick(session: Session, clock: Clock, actor: Actor, day: date) -> list[StepOutcome]:
    """Run the steps not yet run for ``day``. Each step runs in its own savepoint: a failing
    step is rolled back, reported and retried by the next run, without stopping the others."""
    lock_for_writing(session, "daily-tick")      # two servers must not run one day twice
    done = set(session.scalars(select(TickRun.step).where(TickRun.day == day)))
    outcomes = []
    for step in TICK_STEPS:
        if step in done:
            outcomes.append(StepOutcome(step, "already_done"))
            continue
        try:
            with session.begin_nested():
                summary = str(_resolve(step)(session, clock, actor, day) or "")
                run = TickRun(day=day, step=step, ran_at=clock.now(), actor=actor.name,
                              summary=summary)
                session.add(run)
                record(session, clock, actor, "tick.step", run,
                       f"{day.isoformat()} {step}: {summary}")
        except Exception as exc:   # one room's failure must not stop the others' daily work
            log.exception("daily tick %s: step %s failed", day, step)
            outcomes.append(StepOutcome(step, "failed", f"{type(exc).__name__}: {exc}"))
            continue
        outcomes.append(StepOutcome(step, "done", summary))
    return outcomes


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
