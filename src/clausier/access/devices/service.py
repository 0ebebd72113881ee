"""A site's devices: their registration, their tokens, their state as the portal shows it."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clausier.access import rules
from clausier.access.models import ConfigChange, Device, SyncFailure
from clausier.access.sites.service import authorize, owned, secret_digest
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.errors import InvalidInput, Unauthenticated
from clausier.core.message import msg

DEVICE_KINDS = ("controller", "panel", "hf_receiver", "keypad", "badge_reader")


def register_device(session: Session, clock: Clock, actor: Actor, site_id: int, name: str,
                    kind: str = "controller") -> tuple[Device, str]:
    """A device of the site with its own token (shown once; stored hashed)."""
    site = authorize(session, actor, site_id, "admin")
    if kind not in DEVICE_KINDS:
        raise InvalidInput.on("kind", f"{kind!r} is not one of {', '.join(DEVICE_KINDS)}",
                              code=rules.Refused.device_kind_unknown)
    token = _new_device_token()
    device = Device(site_id=site.id, name=name.strip() or kind, kind=kind,
                    token_hash=secret_digest(token), token_rotated_at=clock.now(),
                    created_at=clock.now())
    session.add(device)
    session.flush()
    record(session, clock, actor, "access.device.register", device, f"{site.name}: {device.name} ({kind})")
    return device, token


@dataclass
class KnownDevice:
    """Who a token names, as a poll last read it (``last_seen_at`` and ``version_applied``
    follow what this process wrote)."""

    device_id: int
    site_id: int
    last_seen_at: datetime | None
    version_applied: int
    until: float = 0.0             # time.monotonic() after which it is read again


class KnownTokens:
    """Device tokens this process authenticated, by their sha256 digest, for ``SECONDS``: a
    device polls every few seconds and its identity seldom changes. A rotated token is
    forgotten at once by the process that rotated it; another web worker accepts it for at most
    ``SECONDS`` more (the documented revocation delay). The site's version and whether it is
    still synchronised are read on every poll, never from here."""

    SECONDS = 30.0
    SIZE = 100_000

    def __init__(self) -> None:
        self._known: dict[str, KnownDevice] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> KnownDevice | None:
        known = self._known.get(digest)
        if known is None or known.until < time.monotonic():
            return None
        return known

    def put(self, digest: str, known: KnownDevice) -> None:
        known.until = time.monotonic() + self.SECONDS
        with self._lock:
            if len(self._known) >= self.SIZE:
                self._known.clear()         # bounded; the next polls read their device again
            self._known[digest] = known

    def forget_device(self, device_id: int) -> None:
        with self._lock:
            self._known = {d: k for d, k in self._known.items() if k.device_id != device_id}

    def clear(self) -> None:
        with self._lock:
            self._known.clear()


KNOWN_TOKENS = KnownTokens()


def _new_device_token() -> str:
    return f"clzd_{secrets.token_urlsafe(32)}"


def rotate_device_token(session: Session, clock: Clock, actor: Actor, device: Device) -> str:
    """A new token; the old one stops working at once."""
    token = _new_device_token()
    device.token_hash = secret_digest(token)
    device.token_rotated_at = clock.now()
    KNOWN_TOKENS.forget_device(device.id)
    record(session, clock, actor, "access.device.rotate", device, msg("device {id} token rotated", id=device.id))
    return token


def rotate_site_device_token(session: Session, clock: Clock, actor: Actor, site_id: int, device_id: int) -> str:
    site = authorize(session, actor, site_id, "admin")
    device = owned(session, Device, device_id, site, "device")
    return rotate_device_token(session, clock, actor, device)


def device_for_token(session: Session, token: str) -> Device:
    """The active device of ``token``, found by its digest's unique index."""
    device = session.scalar(select(Device).where(Device.token_hash == secret_digest(token),
                                                 Device.active.is_(True)))
    if device is None:
        raise Unauthenticated("authorization: unknown or rotated device token")
    return device


def device_actor(device: Device) -> Actor:
    return Actor(name=f"device:{device.id}", role="device")


@dataclass(frozen=True)
class DeviceState:
    device: Device
    pending_changes: int
    failures: list[SyncFailure]


def devices(session: Session, actor: Actor, site_id: int) -> list[DeviceState]:
    """Per device: last seen, version applied, changes still pending, failed syncs."""
    site = authorize(session, actor, site_id, "read")
    rows = session.scalars(select(Device).where(Device.site_id == site.id).order_by(Device.id)).all()
    states = []
    for device in rows:
        pending = session.scalar(select(func.count()).select_from(ConfigChange).where(
            ConfigChange.site_id == site.id, ConfigChange.version > device.version_applied)) or 0
        failures = list(session.scalars(select(SyncFailure).where(SyncFailure.device_id == device.id)
                                        .order_by(SyncFailure.id.desc()).limit(20)))
        states.append(DeviceState(device, pending, failures))
    return states
