"""The delivery of the queued e-mails and SMS as the scheduler runs it (named in
``scheduler.service``'s steps): the daily tick, the server's loop, the workers, a dry run."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.core.clock import Clock
from clausier.notifications import outbox


def deliver(session: Session, clock: Clock, actor: Actor, day: date, *,
            customer_id: int | None = None) -> dict[str, int]:
    """The daily tick's delivery of the queued e-mails and SMS."""
    return outbox.deliver(session, clock, actor, customer_id=customer_id)


def send_next(session: Session, clock: Clock, actor: Actor) -> str | None:
    """A worker's sending of the oldest due e-mail or SMS, one message a transaction."""
    return outbox.send_next(session, clock, actor)


def deliveries_due(session: Session, clock: Clock, customer_id: int | None = None) -> list[dict]:
    """What ``deliver`` would send now (``clausier tick --dry-run``)."""
    return [{"channel": m.channel, "kind": m.kind, "customer_id": m.customer_id,
             "recipient": m.recipient, "subject": m.subject}
            for m in outbox.queued_messages(session, clock.now(), customer_id=customer_id)]


