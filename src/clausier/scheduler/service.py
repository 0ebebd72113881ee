"""The daily tick: every room's daily work (renewals, notices, dunning, retention…) in one run.

Each room declares its steps in its manifest (``tick_steps``), run in the order of
``clausier.rooms``; a step is called as ``function(session, clock, actor, day)`` and returns a
short summary (or None); a step that can act for one customer only (``clausier tick --customer``)
takes a keyword ``customer_id``. A step that has run for a day is recorded in ``TickRun`` under
its name (``"module:function"``) and never runs again for that day, so running the tick twice for
one date changes nothing the second time.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit import facts as audit_facts
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.dryrun import dry_run
from clausier.core.message import Message, message_fields, msg
from clausier.core.room import Outbox, step_name
from clausier.core.settings import Settings
from clausier.db.session import lock_for_writing
from clausier.rooms import ROOMS
from clausier.scheduler.models import TickRun
from clausier.scheduler.rules import StepStatus

log = logging.getLogger(__name__)


class OneCustomer(Protocol):
    """The customer a tick is limited to (a ``customers`` row: the audit trail names it)."""

    id: int
    ref: str


def tick_steps() -> list[Callable[..., str | None]]:
    """Every room's daily steps, in the order they run (data flows one way: contracts before
    billing…)."""
    return [step for room in ROOMS for step in room.tick_steps()]


def outboxes() -> list[Outbox]:
    """What the rooms send to customers: sent again and again through the day by the server
    (``ticker.DeliveryLoop``) and by the workers (``workers.tasks.deliver_notices``), not only by
    the daily tick, whose steps include each outbox's ``deliver``."""
    return [outbox for room in ROOMS for outbox in room.outboxes()]


@dataclass(frozen=True)
class StepOutcome:
    step: str
    status: StepStatus
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


def _takes_customer(function: Callable) -> bool:
    return "customer_id" in inspect.signature(function).parameters


def _left_to_the_workers(session: Session, clock: Clock, actor: Actor, day: date, **scope) -> str:
    """With a broker the workers send the outboxes (``workers.tasks.deliver_notices``, which
    ``clausier scheduler`` sends them every minute): the tick leaves its messages to them."""
    return msg("left to the workers")


def _summary(result: object) -> str:
    """A step's summary: its message as it returned it (read in the reader's language), else
    its text (a step that returns counts)."""
    if isinstance(result, Message):
        return result
    return str(result or "")


def run_daily_tick(session: Session, clock: Clock, actor: Actor, day: date, *,
                   customer: OneCustomer | None = None, messages: list[dict] | None = None
                   ) -> list[StepOutcome]:
    """Run the steps not yet run for ``day``. Each step runs in its own savepoint: a failing
    step is rolled back, reported and retried by the next run, without stopping the others.

    For one ``customer``, the steps that can be limited to a customer run (again, if the day's
    run has done them: they are idempotent) and leave the day's run to do for everyone; the
    others are skipped. With ``messages`` (a dry run), the senders do not send: what they would
    send is appended to that list."""
    lock_for_writing(session, "daily-tick")      # two servers must not run one day twice
    done = set() if customer else set(session.scalars(select(TickRun.step).where(TickRun.day == day)))
    previews = {outbox.deliver: outbox.preview for outbox in outboxes()}
    outcomes = []
    for function in tick_steps():
        step = step_name(function)
        if step in done:
            outcomes.append(StepOutcome(step, StepStatus.ALREADY_DONE))
            continue
        if customer is not None and not _takes_customer(function):
            outcomes.append(StepOutcome(step, StepStatus.SKIPPED,
                                        msg("runs for every customer at once only")))
            continue
        scope = {"customer_id": customer.id} if customer is not None else {}
        if messages is not None and function in previews:
            due = previews[function](session, clock, **scope)
            messages.extend(due)
            outcomes.append(StepOutcome(step, StepStatus.SKIPPED,
                                        msg("dry run: {n} message(s) not sent", n=len(due))))
            continue
        if function in previews and Settings.from_env().broker_url:
            function = _left_to_the_workers
        try:
            with session.begin_nested():
                summary = _summary(function(session, clock, actor, day, **scope))
                if customer is None:
                    run = TickRun(day=day, step=step, ran_at=clock.now(), actor=actor.name,
                                  summary=summary, **message_fields("summary", summary))
                    session.add(run)
                    record(session, clock, actor, "tick.step", run,
                           msg("{day} {step}: {summary}", day=day.isoformat(), step=step,
                               summary=summary))
                else:
                    record(session, clock, actor, "tick.customer_step", customer,
                           msg("{day} {step} for {ref}: {summary}", day=day.isoformat(), step=step,
                               ref=customer.ref, summary=summary))
        except Exception as exc:   # one room's failure must not stop the others' daily work
            log.exception("daily tick %s: step %s failed", day, step)
            outcomes.append(StepOutcome(step, StepStatus.FAILED, f"{type(exc).__name__}: {exc}"))
            continue
        outcomes.append(StepOutcome(step, StepStatus.DONE, summary))
    return outcomes


def preview_daily_tick(session: Session, clock: Clock, actor: Actor, day: date, *,
                       customer: OneCustomer | None = None) -> TickPreview:
    """What the tick would do for ``day`` (and ``customer``): run in a savepoint that is rolled
    back, with no file written or deleted (``core.dryrun``) and no message sent."""
    last_entry = audit_facts.last_entry_id(session)
    messages: list[dict] = []
    savepoint = session.begin_nested()
    try:
        with dry_run():
            outcomes = run_daily_tick(session, clock, actor, day, customer=customer,
                                      messages=messages)
        changes = [{"action": e.action, "entity": f"{e.entity_type} {e.entity_id}".strip(),
                    "summary": e.summary}
                   for e in audit_facts.entries_after(
                       session, last_entry, except_actions=("tick.step", "tick.customer_step"))]
    finally:
        savepoint.rollback()
    return TickPreview(outcomes, changes, messages)


def deliver_due_messages(session: Session, clock: Clock, actor: Actor) -> dict[str, int]:
    """Hand over what waits in the outboxes and is due; the counts of all of them summed."""
    totals = {"sent": 0, "failed": 0}
    for outbox in outboxes():
        counts = outbox.deliver(session, clock, actor, clock.today())
        for outcome in totals:
            totals[outcome] += counts[outcome]
    return totals


def runs_of(session: Session, day: date) -> list[TickRun]:
    return list(session.scalars(select(TickRun).where(TickRun.day == day).order_by(TickRun.id)))
