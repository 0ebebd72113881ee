"""Recording and reading the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.models import AuditEntry
from clausier.core.clock import Clock
from clausier.core.message import message_of
from clausier.db.bulk import bulk_insert


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff e-mail, ``cli:<user>``, ``tick``, ``api-token:<name>``…"""

    name: str
    role: str = "admin"
    user_id: int | None = None
    customer_id: int | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(name=name, role="admin")


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def record(session: Session, clock: Clock, actor: Actor, action: str, entity: object,
           summary: str = "", changes: dict | None = None) -> None:
    """Add one audit entry in the caller's transaction (it commits or rolls back with the change).
    A ``summary`` that is a sentence is a message (``msg(...)``), kept beside its English text so
    the pages show it in the reader's language; an identifier (a code, a reference) is a plain
    text."""
    session.flush()
    session.add(AuditEntry(
        at=clock.now(), actor=actor.name, action=action,
        entity_type=getattr(entity, "__tablename__", type(entity).__name__),
        entity_id=str(getattr(entity, "id", "") or ""),
        summary=summary, summary_message=message_of(summary), changes=_plain(changes or {}),
    ))


def record_many(session: Session, clock: Clock, actor: Actor, action: str,
                entries: Iterable[tuple[str, object, str]]) -> None:
    """One audit entry per written object, (entity type, entity id, summary) each, inserted in
    bulk in the caller's transaction (the bill run writes thousands); a summary may be a message,
    as in ``record``."""
    now = clock.now()
    rows = [{"at": now, "actor": actor.name, "action": action, "entity_type": entity_type,
             "entity_id": str(entity_id), "summary": str(summary),
             "summary_message": message_of(summary), "changes": {}}
            for entity_type, entity_id, summary in entries]
    bulk_insert(session.connection(), AuditEntry.__table__, rows)


def changes_between(before: dict, after: dict) -> dict:
    return {key: [before.get(key), value] for key, value in after.items()
            if before.get(key) != value}


def trail(session: Session, entity_type: str | None = None, entity_id: str | None = None,
          actor: str | None = None, before_id: int | None = None,
          limit: int = 200) -> Sequence[AuditEntry]:
    """The newest entries first; ``before_id`` pages back (entries older than that id)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return session.scalars(query).all()


def filter_choices(session: Session) -> tuple[list[str], list[str]]:
    """The entity types and the actors that appear in the trail (for the filters of the page)."""
    types = session.scalars(select(AuditEntry.entity_type).distinct().order_by(
        AuditEntry.entity_type)).all()
    actors = session.scalars(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)).all()
    return list(types), list(actors)
