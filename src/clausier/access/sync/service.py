"""What devices hold and how they get it: the site's snapshot and deltas (encoded once per
version and cached), the platform's decision on the same copy, and a device's poll (its state,
its snapshot, delta and acknowledgement, its last-seen stamp)."""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Text, bindparam, select, type_coerce, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from clausier.access import rules
from clausier.access.models import (AccessPoint, AccessRight, AccessSite, ConfigChange, Credential,
                                    Device, Pack, SyncFailure, TimeProfile, UserRecord)
from clausier.access.devices.service import KNOWN_TOKENS, KnownDevice
from clausier.access.packs.service import call_destinations, sync_refusal, sync_refusal_of
from clausier.access.sites.service import authorize, pack_of, secret_digest
from clausier.audit.service import Actor
from clausier.contracts import facts as contract_facts
from clausier.core.bulk import gc_paused
from clausier.core.calendar import BusinessCalendar, OpeningHours
from clausier.core.clock import Clock
from clausier.core.dryrun import files_untouched
from clausier.core.errors import Unauthenticated
from clausier.core.settings import Settings

# Platform setting (the seed sets no figure): last-seen write resolution.
LAST_SEEN_RESOLUTION_SECONDS = 60


_HOLIDAY_CALENDAR = BusinessCalendar(OpeningHours.heures_ouvrees())


SnapshotKey = tuple[int, str, int, int]      # site, its salt, version, year


class SnapshotCache:
    """Encoded snapshots by (site, version, year): a version never changes once written, so
    its bytes are built once. Kept in memory (the latest few) and, given a folder, in files
    there, so that every web worker serves what one of them built."""

    SIZE = 16

    def __init__(self) -> None:
        self._memory: OrderedDict[SnapshotKey, bytes] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _path(folder: Path, key: SnapshotKey) -> Path:
        return folder / f"site-{key[0]}-{key[1]}-v{key[2]}-{key[3]}.json"

    def get(self, key: SnapshotKey, folder: Path | None = None) -> bytes | None:
        with self._lock:
            body = self._memory.get(key)
            if body is not None:
                self._memory.move_to_end(key)
                return body
        if folder is None:
            return None
        try:
            body = self._path(folder, key).read_bytes()
        except FileNotFoundError:
            return None
        self._remember(key, body)
        return body

    def has(self, key: SnapshotKey, folder: Path | None = None) -> bool:
        with self._lock:
            if key in self._memory:
                return True
        return folder is not None and self._path(folder, key).exists()

    def put(self, key: SnapshotKey, body: bytes, folder: Path | None = None) -> None:
        if files_untouched():        # a dry run's version is rolled back: neither kept nor written
            return
        self._remember(key, body)
        if folder is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        path = self._path(folder, key)
        if (self.stored_version(folder, key) or 0) > key[2]:
            return      # built from a site read before a later change: the newer file stays
        # Written aside then renamed: a worker reading it sees the whole file or none.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".snapshot-", delete=False) as tmp:
            tmp.write(body)
        os.replace(tmp.name, path)
        for old in folder.glob(f"site-{key[0]}-*.json"):
            if old != path:
                old.unlink(missing_ok=True)

    @staticmethod
    def stored_version(folder: Path, key: SnapshotKey) -> int | None:
        """The newest version of the key's site (salt and year) whose file ``folder`` holds."""
        versions = [int(found.group(1)) for old in folder.glob(f"site-{key[0]}-*.json")
                    if (found := _STORED.fullmatch(old.name.removeprefix(
                        f"site-{key[0]}-{key[1]}-"))) and int(found.group(2)) == key[3]]
        return max(versions, default=None)

    @staticmethod
    @contextmanager
    def building(folder: Path, site_id: int) -> Iterator[None]:
        """One builder at a time for a site in ``folder``, whichever process or thread (the web
        worker that made the change, ``clausier serve``'s builder, a device's poll that found
        no file): an advisory lock on a file there, let go when its holder ends, even by a
        crash. The folder is where the built versions are kept, so the lock is taken where the
        question "is this version built?" is answered."""
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f".site-{site_id}.lock", "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _remember(self, key: SnapshotKey, body: bytes) -> None:
        with self._lock:
            self._memory[key] = body
            while len(self._memory) > self.SIZE:
                self._memory.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()


SNAPSHOTS = SnapshotCache()
_STORED = re.compile(r"v(\d+)-(\d+)\.json")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _holidays(day: date) -> list[str]:
    """French public holidays of this year and the next: enough for a device offline for months."""
    first = date(day.year, 1, 1)
    days = (first + timedelta(days=i) for i in range((date(day.year + 2, 1, 1) - first).days))
    return [d.isoformat() for d in days if _HOLIDAY_CALENDAR.is_holiday(d)]


def _json_list(value: str | list | None) -> list:
    # SQLite gives the JSON text; psycopg has already decoded it.
    if isinstance(value, list):
        return value
    return [] if value in (None, "[]") else _decoded_list(value)


@lru_cache(maxsize=4096)
def _decoded_list(text: str) -> list:
    """Group lists repeat across thousands of records: decoded once each (the lists are only
    encoded again, never changed)."""
    return json.loads(text)


def _rows(session: Session, entity: str, site_id: int, ids: set[int] | None = None) -> list[dict]:
    """Objects as devices hold them, read with plain selects (no ORM objects: 30 000 rows)."""
    if entity == "records":
        # JSON lists read as text: most are empty, and decoding 30 000 of them dominates.
        query = select(UserRecord.id, UserRecord.display_name, UserRecord.phone_code, UserRecord.main_number,
                       type_coerce(UserRecord.secondary_numbers, Text), type_coerce(UserRecord.app_users, Text),
                       type_coerce(UserRecord.groups, Text), UserRecord.valid_from, UserRecord.valid_until,
                       UserRecord.suspended)
        model = UserRecord

        def shape(r):
            return {"id": r[0], "display_name": r[1], "phone_code": r[2], "main_number": r[3],
                    "secondary_numbers": _json_list(r[4]), "app_users": _json_list(r[5]),
                    "groups": _json_list(r[6]), "valid_from": _iso(r[7]), "valid_until": _iso(r[8]),
                    "suspended": bool(r[9])}
    elif entity == "credentials":
        query = select(Credential.id, Credential.record_id, Credential.kind, Credential.key,
                       Credential.access_point_id)
        model = Credential

        def shape(r):
            return {"id": r[0], "record_id": r[1], "kind": r[2], "key": r[3], "access_point_id": r[4]}
    elif entity == "access_points":
        query, model = select(AccessPoint.id, AccessPoint.name, AccessPoint.kind), AccessPoint

        def shape(r):
            return {"id": r[0], "name": r[1], "kind": r[2]}
    elif entity == "rights":
        query = select(AccessRight.id, AccessRight.record_id, AccessRight.group,
                       AccessRight.access_point_id, AccessRight.profile_id)
        model = AccessRight

        def shape(r):
            return {"id": r[0], "record_id": r[1], "group": r[2], "access_point_id": r[3], "profile_id": r[4]}
    elif entity == "profiles":
        profiles_ = session.scalars(select(TimeProfile).where(TimeProfile.site_id == site_id,
                                                              *([TimeProfile.id.in_(ids)] if ids is not None else []))
                                    .order_by(TimeProfile.id)).all()
        return [{"id": p.id, "name": p.name, "valid_from": _iso(p.valid_from), "valid_until": _iso(p.valid_until),
                 "segments": [[s.day, s.start_minute, s.end_minute] for s in p.segments]} for p in profiles_]
    else:
        raise ValueError(entity)
    query = query.where(model.site_id == site_id).order_by(model.id)
    if ids is None:
        return [shape(r) for r in session.execute(query)]
    found: list[dict] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):   # bounded IN lists
        found += [shape(r) for r in session.execute(query.where(model.id.in_(ordered[start:start + 500])))]
    return found


def _site_block(session: Session, site: AccessSite, pack: Pack, version: int) -> dict:
    destinations, _ = call_destinations(session, site)
    return {"id": site.id, "name": site.name, "version": version, "variant": pack.variant,
            "country": site.country, "call_timeout_seconds": site.call_timeout_seconds,
            "service_until": _iso(pack.service_end), "call_destinations": sorted(destinations)}


def snapshot_key(site_id: int, salt: str, version: int, day: date) -> SnapshotKey:
    return (site_id, salt, version, day.year)     # the holidays sent are those of the year and the next


def snapshot_etag(key: SnapshotKey) -> str:
    return f'"{key[0]}-{key[1]}-v{key[2]}-{key[3]}"'


def snapshot_bytes(session: Session, site: AccessSite, day: date, folder: Path | None = None) -> bytes:
    """The whole configuration at the site's current version, encoded once and cached per
    version (``folder``: also kept there for the other processes)."""
    return _snapshot(session, site, day, folder)[0]


def _snapshot(session: Session, site: AccessSite, day: date,
              folder: Path | None) -> tuple[bytes, bool]:
    """The site's snapshot and whether this call encoded it. With a folder, a version is
    encoded by one builder: the others wait for it (``SnapshotCache.building``), then read what
    it kept."""
    version = site.config_version
    key = snapshot_key(site.id, site.snapshot_salt, version, day)
    cached = SNAPSHOTS.get(key, folder)
    if cached is not None:
        return cached, False
    if folder is None:
        body = _encoded_snapshot(session, site, version, day)
        SNAPSHOTS.put(key, body)
        return body, True
    with SNAPSHOTS.building(folder, site.id):
        cached = SNAPSHOTS.get(key, folder)         # built while this one waited
        if cached is not None:
            return cached, False
        body = _encoded_snapshot(session, site, version, day)
        SNAPSHOTS.put(key, body, folder)
    return body, True


def snapshot_folder(settings: Settings) -> Path:
    """Where the encoded snapshots are kept for every process of this installation."""
    return settings.data_dir / "access" / "snapshots"


def prebuild_snapshots(session: Session, day: date, folder: Path) -> int:
    """Encode the current version of every site whose snapshot is not yet in ``folder``: run
    when a configuration changes (``clausier serve`` checks every few seconds), so that a
    device's first fetch of a version is a file read, not a build. The number this call built
    (a version another builder is encoding is waited for, not encoded again)."""
    built = 0
    for site_id, salt, version in session.execute(
            select(AccessSite.id, AccessSite.snapshot_salt, AccessSite.config_version)):
        if _wanted(snapshot_key(site_id, salt, version, day), folder):
            built += _snapshot(session, session.get(AccessSite, site_id), day, folder)[1]
    return built


def prebuild_snapshot(session: Session, site_id: int, day: date, folder: Path) -> bool:
    """Encode the site's current version into ``folder`` unless it is there already (its
    configuration has just changed: ``sync.builds``). Whether this call built it."""
    site = session.get(AccessSite, site_id)
    if site is None or not _wanted(snapshot_key(site.id, site.snapshot_salt, site.config_version,
                                                 day), folder):
        return False
    return _snapshot(session, site, day, folder)[1]


def _wanted(key: SnapshotKey, folder: Path) -> bool:
    """Whether a builder should encode this version: it is not kept yet, nor a later one (the
    site was read before another change, which its own build covers)."""
    return not SNAPSHOTS.has(key, folder) and (SNAPSHOTS.stored_version(folder, key) or 0) <= key[2]


@gc_paused
def _encoded_snapshot(session: Session, site: AccessSite, version: int, day: date) -> bytes:
    pack = session.get(Pack, site.pack_id)
    data = {"site": _site_block(session, site, pack, version), "holidays": _holidays(day),
            **{entity: _rows(session, entity, site.id) for entity in rules.ENTITIES}}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def snapshot(session: Session, site: AccessSite, day: date) -> dict:
    return json.loads(snapshot_bytes(session, site, day))


def delta(session: Session, site: AccessSite, since: int, day: date) -> dict:
    """What changed after version ``since``: objects to (re)write and ids to delete. A device
    ahead of the platform (restored database) is told to take a snapshot."""
    version = site.config_version
    if since > version or since < 0:
        return {"snapshot_required": True, "from": since, "to": version}
    changes = session.execute(select(ConfigChange.version, ConfigChange.entity, ConfigChange.entity_id,
                                     ConfigChange.op)
                              .where(ConfigChange.site_id == site.id, ConfigChange.version > since)).all()
    upserts, deletes = rules.collapse_changes(tuple(c) for c in changes)
    result: dict = {"from": since, "to": version, "upserts": {}, "deletes": {}}
    if "site" in upserts:
        result["site"] = _site_block(session, site, session.get(Pack, site.pack_id), version)
        result["holidays"] = _holidays(day)
    for entity in rules.ENTITIES:
        if entity in upserts:
            result["upserts"][entity] = _rows(session, entity, site.id, upserts[entity])
        if entity in deletes:
            result["deletes"][entity] = sorted(deletes[entity])
    return result


def site_config(session: Session, site: AccessSite, day: date) -> rules.SiteConfig:
    return rules.SiteConfig.from_snapshot(snapshot(session, site, day))


def decide(session: Session, actor: Actor, site_id: int, presented: rules.Presented) -> rules.Decision:
    """The platform's decision, by the same function the devices run on their copy."""
    site = authorize(session, actor, site_id, "read")
    config = site_config(session, site, presented.at.date())
    refusal = sync_refusal_of(session, pack_of(session, site), presented.at.date())
    config.services_suspended = refusal is not None and refusal[0] == rules.SUSPENDED
    return rules.decide(config, presented)


@dataclass(frozen=True)
class PollState:
    """What a device's poll needs to know, read in two queries (the second, the pack's
    subscription status, from the contracts room): who it is, its site's version, and why the
    site is no longer synchronised (None: it is)."""

    device_id: int
    site_id: int
    snapshot_salt: str
    last_seen_at: datetime | None
    site_version: int
    refusal: tuple[str, str] | None
    version_applied: int = 0
    known: KnownDevice | None = field(default=None, compare=False, repr=False)

    @property
    def version_etag(self) -> str:
        """Names the site's version (the delta of a device that holds it is empty)."""
        return f'"{self.site_id}-{self.snapshot_salt}-v{self.site_version}"'


def _site_columns():
    return (AccessSite.config_version, AccessSite.snapshot_salt, Pack.service_start,
            Pack.service_end, Pack.subscription_id,
            contract_facts.subscription_status_column(Pack.subscription_id))


# Built once: each statement is compiled once and reused from SQLAlchemy's cache. A poll runs
# one of them: the device is known (``KNOWN_TOKENS``) → its site's state by primary key; else
# the device by its token's digest (unique index), with its site's state.
_SITE_STATE_QUERY = (select(*_site_columns()).join(Pack, Pack.id == AccessSite.pack_id)
                     .where(AccessSite.id == bindparam("site_id")))
_POLL_QUERY = (select(Device.id, Device.site_id, Device.last_seen_at, Device.version_applied,
                      *_site_columns())
               .join(AccessSite, AccessSite.id == Device.site_id)
               .join(Pack, Pack.id == AccessSite.pack_id)
               .where(Device.token_hash == bindparam("digest"), Device.active.is_(True)))


def poll_state(connection: Connection | Session, token: str, day: date) -> PollState:
    """The device of ``token`` and its site's state in one query. The device is found by its
    token's sha256 digest (tokens are long random secrets: no slow password hash per poll),
    held by this process for ``KnownTokens.SECONDS`` (a rotated token works on another worker
    for at most that long), else read by the digest's unique index. The site's version and
    refusal are read every time: a change or a suspension is seen by the next poll."""
    digest = secret_digest(token)
    known = KNOWN_TOKENS.get(digest)
    site = None
    if known is not None:
        site = connection.execute(_SITE_STATE_QUERY, {"site_id": known.site_id}).first()
    elif (row := connection.execute(_POLL_QUERY, {"digest": digest}).first()) is not None:
        known = KnownDevice(row[0], row[1], row[2], row[3])
        KNOWN_TOKENS.put(digest, known)
        site = row[4:]
    if site is None:
        raise Unauthenticated("authorization: unknown or rotated device token")
    version, salt, service_start, service_end, subscription_id, status = site
    refusal = sync_refusal(connection, subscription_id, status, service_start, service_end, day)
    return PollState(known.device_id, known.site_id, salt, known.last_seen_at, version, refusal,
                     known.version_applied, known)


def mark_seen(state: PollState, now: datetime) -> None:
    """This process has noted the device's contact (its next polls need not note it again)."""
    if state.known is not None:
        state.known.last_seen_at = now


@dataclass(frozen=True)
class SyncAnswer:
    """A device's answer: ``payload`` (or the pre-encoded ``body`` of a snapshot) when
    synchronised, else the refusal, which ``note_contact`` records."""

    operation: str
    payload: dict | None = None
    body: bytes | None = None
    refused: str | None = None
    message: str = ""
    etag: str | None = None          # names the version answered (If-None-Match → 304)


def seen_is_stale(last_seen_at: datetime | None, now: datetime) -> bool:
    """Last-seen is written at most once a minute (devices poll often; reads stay reads)."""
    return last_seen_at is None or (now - last_seen_at).total_seconds() >= LAST_SEEN_RESOLUTION_SECONDS


def note_contact(session: Session, clock: Clock, device_id: int, answer: SyncAnswer | None) -> None:
    """Record that the device was seen, and a refused sync (shown on the portal, never dropped)."""
    device = session.get(Device, device_id)
    now = clock.now()
    if seen_is_stale(device.last_seen_at, now):
        device.last_seen_at = now
    if answer is not None and answer.refused:
        session.add(SyncFailure(site_id=device.site_id, device_id=device.id, at=now,
                                operation=answer.operation, reason=answer.refused, detail=answer.message))


def note_seen(session: Session, seen: dict[int, datetime]) -> None:
    """Last-seen stamps of several polling devices in one write."""
    if seen:
        session.execute(update(Device), [{"id": device_id, "last_seen_at": at} for device_id, at in seen.items()])


class SeenBuffer:
    """Last-seen stamps gathered by one process and written together every ``FLUSH_SECONDS``
    (by the given clock; the first one at once): a poll stays a read, and a thousand devices
    coming back online cost one write, not a thousand. Bookkeeping only: a process that stops
    loses at most the stamps of the last seconds."""

    FLUSH_SECONDS = 5

    def __init__(self) -> None:
        self._pending: dict[int, datetime] = {}
        self._flushed_at: datetime | None = None
        self._lock = threading.Lock()

    def add(self, device_id: int, now: datetime) -> dict[int, datetime]:
        """The stamps to write now (empty: not yet)."""
        with self._lock:
            self._pending[device_id] = now
            if self._flushed_at is not None and (now - self._flushed_at).total_seconds() < self.FLUSH_SECONDS:
                return {}
            due, self._pending, self._flushed_at = self._pending, {}, now
            return due


def device_snapshot(session: Session, clock: Clock, state: PollState, folder: Path | None = None
                    ) -> SyncAnswer:
    """The whole configuration for a device (``poll_state`` first: a refused site gets its
    refusal); read only, the caller records the contact. The version ``poll_state`` read is
    served from the cache (memory, else the shared folder) without reading the site again."""
    if state.refusal:
        return SyncAnswer("snapshot", refused=state.refusal[0], message=state.refusal[1])
    day = clock.today()
    key = snapshot_key(state.site_id, state.snapshot_salt, state.site_version, day)
    body = SNAPSHOTS.get(key, folder)
    if body is None:
        site = session.get(AccessSite, state.site_id)
        body = snapshot_bytes(session, site, day, folder)
        key = snapshot_key(site.id, site.snapshot_salt, site.config_version, day)
    return SyncAnswer("snapshot", body=body, etag=snapshot_etag(key))


def device_snapshot_etag(state: PollState, day: date) -> str:
    """The ETag of the snapshot a device of ``state`` would get (If-None-Match: 304 unread)."""
    return snapshot_etag(snapshot_key(state.site_id, state.snapshot_salt, state.site_version, day))


DELTAS = SnapshotCache()      # encoded deltas by (site, salt, from, to, year): a thousand devices, one build


def device_delta(session: Session | None, clock: Clock, state: PollState, since: int) -> SyncAnswer:
    """What changed since the version the device holds; read only, the caller records the
    contact. An up-to-date device costs nothing more than ``poll_state`` (no session needed),
    and the devices of a site that all move from one version to the next share one encoding."""
    if state.refusal:
        return SyncAnswer("delta", refused=state.refusal[0], message=state.refusal[1])
    if since == state.site_version:
        return SyncAnswer("delta", payload={"from": since, "to": since, "upserts": {}, "deletes": {}},
                          etag=state.version_etag)
    day = clock.today()
    key = (state.site_id, state.snapshot_salt, since, state.site_version, day.year)
    body = DELTAS.get(key)
    if body is None:
        site = session.get(AccessSite, state.site_id)
        payload = delta(session, site, since, day)
        if payload.get("snapshot_required"):
            return SyncAnswer("delta", payload=payload)
        key = (state.site_id, state.snapshot_salt, since, payload["to"], day.year)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        DELTAS.put(key, body)
    return SyncAnswer("delta", body=body, etag=f'"{state.site_id}-{state.snapshot_salt}-v{key[3]}"')


def device_ack(session: Session, clock: Clock, state: PollState, version: int) -> SyncAnswer:
    """The device says which version it applied (the portal shows what is still pending): one
    UPDATE, which also stamps last-seen."""
    if not 0 <= version <= state.site_version:
        return SyncAnswer("ack", refused="unknown_version",
                          message=f"version {version} does not exist (the site is at {state.site_version})")
    now = clock.now()
    if version > state.version_applied:
        if state.known is not None:
            state.known.version_applied, state.known.last_seen_at = version, now
        session.execute(update(Device).where(Device.id == state.device_id, Device.version_applied < version)
                        .values(version_applied=version, version_applied_at=now, last_seen_at=now)
                        .execution_options(synchronize_session=False))
    return SyncAnswer("ack", payload={"version_applied": max(version, state.version_applied),
                                      "site_version": state.site_version})
