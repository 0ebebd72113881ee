"""User records (*fiches*) of a site: their numbers and app users, and how a call to one is
routed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clausier.access import rules
from clausier.access.models import AccessRight, AccessSite, Credential, Pack, UserRecord
from clausier.access.packs.service import (call_destinations, extension_offers, pack_terms,
                                           record_cap)
from clausier.access.sites.service import authorize, new_version, owned, pack_of
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, Problem, RuleRefusal
from clausier.core.message import msg


@dataclass
class RecordInput:
    name: str
    display_name: str | None = None
    phone_code: str | None = None
    main_number: str | None = None
    secondary_numbers: list[str] = field(default_factory=list)
    app_users: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    valid_from: date | None = None
    valid_until: date | None = None
    suspended: bool = False


def _clean_record(session: Session, site: AccessSite, data: RecordInput, record_id: int | None) -> dict:
    name = data.name.strip()
    if not name:
        raise InvalidInput.on("name", "required", code=rules.Refused.record_name_missing)
    display = (data.display_name or name).strip()[:60]
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        raise InvalidInput.on("valid_until", "is before valid_from",
                              code=rules.Refused.record_validity_reversed)
    numbers = [n for n in [data.main_number, *data.secondary_numbers] if n and n.strip()]
    main, secondaries = None, []
    if numbers or data.app_users or data.phone_code:
        destinations, clause = call_destinations(session, site)
        try:
            accepted = [rules.accept_phone(n, site.country, destinations, clause) for n in numbers]
        except RuleRefusal as exc:
            raise exc.as_invalid_input() from None
        if not destinations and (data.app_users or data.phone_code):
            raise InvalidInput.on("app_users" if data.app_users else "phone_code",
                                  f"this pack has no intercom call service ({clause})",
                                  code=rules.Refused.no_call_service)
        if len(set(accepted)) != len(accepted):
            raise InvalidInput.on("secondary_numbers", "a number appears twice",
                                  code=rules.Refused.record_secondary_number_twice)
        if data.main_number and data.main_number.strip():
            main, secondaries = accepted[0], accepted[1:]
        elif accepted:
            raise InvalidInput.on("main_number", "required before secondary numbers (CP A art. 1 L67-77)",
                                  code=rules.Refused.record_main_number_missing)
    phone_code = (data.phone_code or "").strip() or None
    if phone_code is not None:
        if not phone_code.isdigit() or not 1 <= len(phone_code) <= 6:
            raise InvalidInput.on("phone_code", "1 to 6 digits",
                                  code=rules.Refused.record_phone_code_malformed)
        taken = session.scalar(select(UserRecord.id).where(UserRecord.site_id == site.id,
                                                           UserRecord.phone_code == phone_code,
                                                           UserRecord.id != (record_id or 0)))
        if taken:
            raise Conflict(f"phone_code: {phone_code} already calls record {taken}",
                           code=rules.Refused.record_phone_code_taken)
    return dict(name=name, display_name=display, phone_code=phone_code, main_number=main,
                secondary_numbers=secondaries, app_users=[u.strip() for u in data.app_users if u.strip()],
                groups=sorted({g.strip() for g in data.groups if g.strip()}),
                valid_from=data.valid_from, valid_until=data.valid_until, suspended=data.suspended)


def create_record(session: Session, clock: Clock, actor: Actor, site_id: int, data: RecordInput) -> UserRecord:
    """A new user record (*fiche*), refused beyond the pack's cap with the extensions on offer
    (CP A art. 3 L244-249)."""
    site = authorize(session, actor, site_id, "manage_records")
    pack = session.get(Pack, site.pack_id)
    count = session.scalar(select(func.count()).select_from(UserRecord)
                           .where(UserRecord.site_id == site.id)) or 0
    terms, all_terms = pack_terms(session, pack)
    clause = terms.extra_records_purchasable.clause if terms.extra_records_purchasable else ""
    quota = all_terms.usage.flags.access_refused_beyond_record_quota if all_terms.usage else None
    refusal = rules.record_quota_refusal(count, record_cap(pack), quota.clause if quota else "")
    if refusal is not None:
        offers = "; ".join(f"{o.code}: +{o.attributes['user_records']} records for "
                           f"{o.one_off_price} € {o.price_basis}" for o in extension_offers(session, pack))
        raise NotAllowed(f"records: {refusal.reason} ({refusal.clause}; {clause})"
                         f"{' — ' + offers if offers else ''}",
                         problems=[Problem("records", refusal.reason)],
                         code=rules.Refused.record_quota_reached)
    now = clock.now()
    row = UserRecord(site_id=site.id, created_at=now, updated_at=now,
                     **_clean_record(session, site, data, None))
    session.add(row)
    session.flush()
    new_version(session, clock, site, [("records", row.id, "upsert")])
    record(session, clock, actor, "access.record.create", row, f"{site.name}: {row.name}")
    return row


def update_record(session: Session, clock: Clock, actor: Actor, site_id: int, record_id: int,
                  data: RecordInput) -> UserRecord:
    site = authorize(session, actor, site_id, "manage_records")
    row = owned(session, UserRecord, record_id, site, "record")
    values = _clean_record(session, site, data, row.id)
    before = {k: getattr(row, k) for k in values}
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = clock.now()
    new_version(session, clock, site, [("records", row.id, "upsert")])
    record(session, clock, actor, "access.record.update", row, f"{site.name}: {row.name}",
           {k: [before[k], v] for k, v in values.items() if before[k] != v})
    return row


def delete_record(session: Session, clock: Clock, actor: Actor, site_id: int, record_id: int) -> None:
    """The record goes with its credentials and rights (devices forget them at the next sync)."""
    site = authorize(session, actor, site_id, "manage_records")
    row = owned(session, UserRecord, record_id, site, "record")
    credentials = session.scalars(select(Credential.id).where(Credential.record_id == row.id)).all()
    rights = session.scalars(select(AccessRight.id).where(AccessRight.record_id == row.id)).all()
    session.execute(delete(Credential).where(Credential.record_id == row.id))
    session.execute(delete(AccessRight).where(AccessRight.record_id == row.id))
    record(session, clock, actor, "access.record.delete", row, f"{site.name}: {row.name}")
    session.delete(row)
    new_version(session, clock, site, [("records", row.id, "delete")]
             + [("credentials", i, "delete") for i in credentials]
             + [("rights", i, "delete") for i in rights])


def import_records(session: Session, clock: Clock, actor: Actor, site_id: int,
                   rows: list[RecordInput]) -> list[UserRecord]:
    """Many records at once (CSV import), all or nothing, as one new site version."""
    site = authorize(session, actor, site_id, "manage_records")
    pack = session.get(Pack, site.pack_id)
    count = session.scalar(select(func.count()).select_from(UserRecord)
                           .where(UserRecord.site_id == site.id)) or 0
    if count + len(rows) > record_cap(pack):
        raise NotAllowed(f"records: {count} + {len(rows)} exceed the pack's {record_cap(pack)} user "
                         "records; buy an extension first (CP A art. 3 L244-249)",
                         code=rules.Refused.record_import_over_cap)
    now = clock.now()
    created = []
    for index, data in enumerate(rows):
        try:
            values = _clean_record(session, site, data, None)
        except InvalidInput as exc:
            raise InvalidInput(f"line {index + 1}: {exc.message}",
                               problems=[Problem(p.field, p.reason, index + 1)
                                         for p in exc.problems],
                               code=exc.code, clause=exc.clause) from None
        created.append(UserRecord(site_id=site.id, created_at=now, updated_at=now, **values))
    session.add_all(created)
    session.flush()
    new_version(session, clock, site, [("records", r.id, "upsert") for r in created])
    record(session, clock, actor, "access.record.import", site, msg("{site}: {n} records", site=site.name,
                                                                          n=len(created)))
    return created


def list_records(session: Session, actor: Actor, site_id: int, search: str = "",
                 limit: int = 500, offset: int = 0) -> list[UserRecord]:
    site = authorize(session, actor, site_id, "read")
    query = select(UserRecord).where(UserRecord.site_id == site.id).order_by(UserRecord.name, UserRecord.id)
    if search:
        query = query.where(UserRecord.name.ilike(f"%{search}%"))
    return list(session.scalars(query.limit(limit).offset(offset)))


def get_record(session: Session, actor: Actor, site_id: int, record_id: int) -> UserRecord:
    site = authorize(session, actor, site_id, "read")
    return owned(session, UserRecord, record_id, site, "record")




def call_plan(session: Session, actor: Actor, site_id: int, record_id: int) -> rules.CallPlan:
    site = authorize(session, actor, site_id, "read")
    row = owned(session, UserRecord, record_id, site, "record")
    destinations, clause = call_destinations(session, site)
    if not destinations:
        raise NotAllowed(f"calls: this pack has no intercom call service ({clause})",
                         code=rules.Refused.no_call_service)
    _, terms = pack_terms(session, pack_of(session, site))
    triggers = terms.usage.lists.secondary_number_triggers if terms.usage else None
    return rules.call_plan(row.id, row.display_name, row.main_number, row.secondary_numbers,
                           row.app_users, site.call_timeout_seconds,
                           tuple(triggers.value) if triggers else ("busy", "no_answer"))
