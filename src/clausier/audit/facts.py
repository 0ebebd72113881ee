"""What other rooms may read of the audit log: where it ends, and what was recorded after."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clausier.audit.models import AuditEntry


@dataclass(frozen=True)
class EntryFacts:
    id: int
    action: str
    entity_type: str
    entity_id: str
    summary: str


def last_entry_id(session: Session) -> int:
    """The id of the latest entry of the log (0 when it is empty)."""
    return session.scalar(select(func.max(AuditEntry.id))) or 0


def entries_after(session: Session, entry_id: int, *, except_actions: Collection[str] = ()
                  ) -> list[EntryFacts]:
    """The entries recorded after ``entry_id`` (but those of ``except_actions``), in order."""
    query = select(AuditEntry.id, AuditEntry.action, AuditEntry.entity_type,
                   AuditEntry.entity_id, AuditEntry.summary).where(AuditEntry.id > entry_id)
    if except_actions:
        query = query.where(AuditEntry.action.not_in(tuple(except_actions)))
    return [EntryFacts(*row) for row in session.execute(query.order_by(AuditEntry.id))]
