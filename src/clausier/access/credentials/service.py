"""Credentials of a site's user records: badges, remotes and keypad codes, recognised in
any notation they are typed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.access import rules
from clausier.access.models import AccessPoint, AccessSite, Credential, UserRecord
from clausier.access.sites.service import authorize, new_version, owned
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotFound, Problem, RuleRefusal
from clausier.core.message import msg


@dataclass
class CredentialInput:
    kind: str                          # badge | remote | keypad
    format: str = "raw"                # wiegand26 | wiegand34 | raw (badge, remote)
    value: str | None = None           # hex frame (raw) or the keypad code
    facility: int | None = None
    card: int | None = None
    bits: int | None = None
    access_point_id: int | None = None  # keypad


def _new_credential(site: AccessSite, record_id: int, data: CredentialInput, points: set[int],
                    now: datetime) -> Credential:
    """The canonical row for what was typed (not yet checked against the site's others)."""
    if data.kind not in rules.CREDENTIAL_KINDS:
        raise InvalidInput.on("kind", f"{data.kind!r} is not one of {', '.join(rules.CREDENTIAL_KINDS)}",
                              code=rules.Refused.credential_kind_unknown)
    try:
        if data.kind == "keypad":
            if data.access_point_id is None:
                raise InvalidInput.on("access_point_id", "a keypad code belongs to an access point",
                                      code=rules.Refused.credential_keypad_without_access_point)
            if data.access_point_id not in points:
                raise NotFound(f"access point {data.access_point_id} not found on site {site.id}",
                               resource="access_point")
            code = rules.check_keypad_code(data.value or "")
            raw, bits, fmt = code, 0, "keypad"
            key = rules.credential_key("keypad", code=code, access_point_id=data.access_point_id)
        else:
            badge = rules.normalise_badge(data.format, value=data.value, facility=data.facility,
                                          card=data.card, bits=data.bits)
            raw, bits, fmt = badge.hex, badge.bits, data.format
            key = rules.credential_key(data.kind, badge=badge)
    except RuleRefusal as exc:
        raise exc.as_invalid_input() from None
    return Credential(site_id=site.id, record_id=record_id, kind=data.kind, format=fmt, raw=raw, bits=bits,
                      access_point_id=data.access_point_id if data.kind == "keypad" else None,
                      key=key, created_at=now)


def _point_ids(session: Session, site: AccessSite) -> set[int]:
    return set(session.scalars(select(AccessPoint.id).where(AccessPoint.site_id == site.id)))


def _already_registered(session: Session, row: Credential, holder: Credential) -> Conflict:
    if row.kind == "keypad":
        return Conflict("code: already used on this access point")
    name = session.get(UserRecord, holder.record_id).name
    return Conflict(f"credential: this {row.kind} is already registered to {name} "
                    f"({' = '.join(display_forms(holder).values())})")


def add_credential(session: Session, clock: Clock, actor: Actor, site_id: int, record_id: int,
                   data: CredentialInput) -> Credential:
    """A badge, remote or keypad code for a record; the same badge typed in another notation
    is recognised as the one already registered."""
    site = authorize(session, actor, site_id, "manage_credentials")
    owner = owned(session, UserRecord, record_id, site, "record")
    row = _new_credential(site, owner.id, data, _point_ids(session, site), clock.now())
    existing = session.scalar(select(Credential).where(Credential.site_id == site.id, Credential.key == row.key))
    if existing is not None:
        raise _already_registered(session, row, existing)
    session.add(row)
    session.flush()
    new_version(session, clock, site, [("credentials", row.id, "upsert")])
    record(session, clock, actor, "access.credential.add", row,
           msg("{site}: {kind} for {owner}" if data.kind == "keypad" else "{site}: {kind} for {owner} {key}",
               site=site.name, kind=data.kind, owner=owner.name, key=row.key))
    return row


def import_credentials(session: Session, clock: Clock, actor: Actor, site_id: int,
                       rows: list[tuple[int, CredentialInput]]) -> list[Credential]:
    """Many (record id, credential) at once (migration from another system), all or nothing,
    as one new site version; a duplicate, in the file or on the site, names its line."""
    site = authorize(session, actor, site_id, "manage_credentials")
    records = set(session.scalars(select(UserRecord.id).where(UserRecord.site_id == site.id)))
    points, now = _point_ids(session, site), clock.now()
    known = dict(session.execute(select(Credential.key, Credential.id).where(Credential.site_id == site.id)).all())
    created: list[Credential] = []
    seen: dict[str, int] = {}
    for line, (record_id, data) in enumerate(rows, start=1):
        try:
            if record_id not in records:
                raise NotFound(f"record {record_id} not found on site {site.id}",
                               resource="user_record")
            row = _new_credential(site, record_id, data, points, now)
            if row.key in known:
                raise _already_registered(session, row, session.get(Credential, known[row.key]))
            if row.key in seen:
                raise Conflict(f"credential: the same {row.kind} as line {seen[row.key]}",
                               code=rules.Refused.credential_twice_in_import)
        except (InvalidInput, NotFound, Conflict) as exc:
            raise type(exc)(f"line {line}: {exc.message}",
                            problems=[Problem(p.field, p.reason, line) for p in exc.problems],
                            code=exc.code, clause=exc.clause) from None
        seen[row.key] = line
        created.append(row)
    session.add_all(created)
    session.flush()
    new_version(session, clock, site, [("credentials", c.id, "upsert") for c in created])
    record(session, clock, actor, "access.credential.import", site, msg("{site}: {n} credentials", site=site.name,
                                                                                  n=len(created)))
    return created


def display_forms(credential: Credential) -> dict[str, str]:
    if credential.kind == "keypad":
        return {"code": "•" * len(credential.raw)}
    return rules.Badge(int(credential.raw, 16), credential.bits).displays()


def remove_credential(session: Session, clock: Clock, actor: Actor, site_id: int, credential_id: int) -> None:
    site = authorize(session, actor, site_id, "manage_credentials")
    row = owned(session, Credential, credential_id, site, "credential")
    record(session, clock, actor, "access.credential.remove", row, f"{site.name}: {row.kind} {row.id}")
    session.delete(row)
    new_version(session, clock, site, [("credentials", row.id, "delete")])


def credentials_of(session: Session, actor: Actor, site_id: int, record_id: int) -> list[Credential]:
    site = authorize(session, actor, site_id, "read")
    owned(session, UserRecord, record_id, site, "record")
    return list(session.scalars(select(Credential).where(Credential.record_id == record_id)
                                .order_by(Credential.id)))




def presented_credential(kind: str, *, fmt: str = "raw", value: str | None = None,
                         facility: int | None = None, card: int | None = None, bits: int | None = None,
                         access_point_id: int) -> str:
    """The key a reader produces for what is presented (used by the decision preview and the
    simulated device)."""
    try:
        if kind == "keypad":
            return rules.credential_key("keypad",
                                        code=(value or "").strip(), access_point_id=access_point_id)
        return rules.credential_key(kind, badge=rules.normalise_badge(fmt, value=value, facility=facility,
                                                                       card=card, bits=bits))
    except RuleRefusal as exc:
        raise exc.as_invalid_input() from None
