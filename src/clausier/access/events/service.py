"""Events the devices send (stored once each, however often a batch is re-sent), and their
listing and CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clausier.access import rules
from clausier.access.models import Device, DeviceEvent
from clausier.access.sites.service import authorize
from clausier.access.sync.service import SyncAnswer
from clausier.audit.service import Actor
from clausier.core.clock import PARIS, Clock


@dataclass(frozen=True)
class EventIn:
    sequence: int
    at: datetime
    kind: str
    reason: str | None = None
    record_id: int | None = None
    access_point_id: int | None = None
    credential: str | None = None
    details: dict = field(default_factory=dict)


def device_events(session: Session, clock: Clock, device: Device, batch_id: str,
                  events: list[EventIn]) -> SyncAnswer:
    """Store a batch of the device's events; events already received (same sequence) are
    ignored, so a batch re-sent after a lost answer is stored once. A bad batch is refused
    whole, with every bad row named, and the refusal is recorded."""
    problems = []
    for index, event in enumerate(events):
        if event.kind not in rules.EVENT_KINDS:
            problems.append(f"events.{index}.kind: {event.kind!r} is not one of {', '.join(rules.EVENT_KINDS)}")
        if event.reason is not None and event.reason not in rules.REASONS:
            problems.append(f"events.{index}.reason: {event.reason!r} is not a reason code")
        if event.sequence < 1:
            problems.append(f"events.{index}.sequence: must be positive")
        if event.at.tzinfo is None:
            problems.append(f"events.{index}.at: needs a timezone")
    if problems:
        return SyncAnswer("events", refused="invalid_batch", message="; ".join(problems))
    sequences = [e.sequence for e in events]
    now = clock.now()
    fresh = {e.sequence: e for e in events}       # a sequence repeated within the batch: once
    rows = [{"site_id": device.site_id, "device_id": device.id, "sequence": e.sequence,
             "batch_id": batch_id[:64], "at": e.at, "kind": e.kind, "reason": e.reason,
             "record_id": e.record_id, "access_point_id": e.access_point_id,
             "credential": e.credential, "details": e.details, "received_at": now}
            for e in fresh.values()]
    # Events stored already (a batch re-sent, maybe by two requests at once) are skipped by the
    # database itself: a check before the insert would let parallel replays collide.
    accepted = 0
    for start in range(0, len(rows), 500):
        statement = _insert_new(session, DeviceEvent).values(rows[start:start + 500])
        accepted += len(session.execute(statement.on_conflict_do_nothing(
            index_elements=["device_id", "sequence"]).returning(DeviceEvent.id)).all())
    if sequences:
        device.last_sequence = max(device.last_sequence, max(sequences))
    return SyncAnswer("events", payload={"batch_id": batch_id, "accepted": accepted,
                                         "duplicates": len(events) - accepted,
                                         "last_sequence": device.last_sequence})


def _insert_new(session: Session, model):
    """An INSERT that can skip rows already there (ON CONFLICT), in the session's dialect."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model))


@dataclass
class EventFilter:
    kind: str | None = None
    reason: str | None = None
    record_id: int | None = None
    access_point_id: int | None = None
    since: date | None = None
    until: date | None = None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=PARIS)


def list_events(session: Session, actor: Actor, site_id: int, filters: EventFilter,
                limit: int = 200, offset: int = 0) -> list[DeviceEvent]:
    site = authorize(session, actor, site_id, "read")
    query = select(DeviceEvent).where(DeviceEvent.site_id == site.id)
    if filters.kind:
        query = query.where(DeviceEvent.kind == filters.kind)
    if filters.reason:
        query = query.where(DeviceEvent.reason == filters.reason)
    if filters.record_id is not None:
        query = query.where(DeviceEvent.record_id == filters.record_id)
    if filters.access_point_id is not None:
        query = query.where(DeviceEvent.access_point_id == filters.access_point_id)
    if filters.since:
        query = query.where(DeviceEvent.at >= _start_of(filters.since))
    if filters.until:
        query = query.where(DeviceEvent.at < _start_of(filters.until + timedelta(days=1)))
    query = query.order_by(DeviceEvent.at.desc(), DeviceEvent.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


EVENT_CSV_COLUMNS = ["at", "device_id", "sequence", "kind", "reason", "record_id", "access_point_id", "credential"]


def events_csv(session: Session, actor: Actor, site_id: int, filters: EventFilter) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EVENT_CSV_COLUMNS)
    offset = 0
    while True:
        page = list_events(session, actor, site_id, filters, limit=5000, offset=offset)
        for e in page:
            writer.writerow([e.at.isoformat(), e.device_id, e.sequence, e.kind, e.reason or "",
                             e.record_id or "", e.access_point_id or "", e.credential or ""])
        if len(page) < 5000:
            return buffer.getvalue()
        offset += 5000
