"""What other rooms may read of notifications: the messages sent to customers (when, whether a
registered letter was received, its file), for many messages in one query."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.notifications.models import OutboxMessage


@dataclass(frozen=True)
class MessageFacts:
    id: int
    customer_id: int
    channel: str                 # registered_letter | email | sms
    kind: str
    subject: str
    status: str
    created_on: date
    received_on: date | None     # a registered letter's acknowledgement of receipt
    file_path: str | None        # a registered letter's PDF


def message_facts(session: Session, message_ids: Collection[int]) -> dict[int, MessageFacts]:
    """The messages of these ids, by id (an unknown id is left out)."""
    ids = sorted({i for i in message_ids if i is not None})
    if not ids:
        return {}
    return {m.id: _facts(m)
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}


def letters_awaiting_receipt(session: Session, created_by: date) -> list[MessageFacts]:
    """The registered letters created on or before ``created_by`` whose acknowledgement of
    receipt has not come back, oldest first."""
    return [_facts(m) for m in session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == "registered_letter", OutboxMessage.received_on.is_(None),
        OutboxMessage.created_on <= created_by).order_by(OutboxMessage.id))]


def _facts(m: OutboxMessage) -> MessageFacts:
    return MessageFacts(m.id, m.customer_id, m.channel, m.kind, m.subject, m.status,
                        m.created_on, m.received_on, m.file_path)
