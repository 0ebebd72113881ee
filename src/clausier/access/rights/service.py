"""Who may pass where, when: a site's access points, its weekly time-slot profiles, and the
rights giving a record or a group an access point within a profile."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.access import rules
from clausier.access.models import AccessPoint, AccessRight, TimeProfile, TimeSegment, UserRecord
from clausier.access.sites.service import authorize, new_version, owned
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.errors import InvalidInput, RuleRefusal
from clausier.core.message import msg


def add_access_point(session: Session, clock: Clock, actor: Actor, site_id: int, name: str,
                     kind: str = "door") -> AccessPoint:
    site = authorize(session, actor, site_id, "admin")
    if not name.strip():
        raise InvalidInput.on("name", "required", code=rules.Refused.access_point_name_missing)
    row = AccessPoint(site_id=site.id, name=name.strip(), kind=kind)
    session.add(row)
    session.flush()
    new_version(session, clock, site, [("access_points", row.id, "upsert")])
    record(session, clock, actor, "access.point.add", row, f"{site.name}: {row.name}")
    return row


def access_points(session: Session, actor: Actor, site_id: int) -> list[AccessPoint]:
    site = authorize(session, actor, site_id, "read")
    return list(session.scalars(select(AccessPoint).where(AccessPoint.site_id == site.id).order_by(AccessPoint.id)))


def save_profile(session: Session, clock: Clock, actor: Actor, site_id: int, *, name: str,
                 segments: list[str], valid_from: date | None = None, valid_until: date | None = None,
                 profile_id: int | None = None) -> TimeProfile:
    """Create or replace a weekly time-slot profile from rows such as ``"mon 08:00-12:00"``
    and ``"holiday 10:00-12:00"`` (public holidays: the French calendar)."""
    site = authorize(session, actor, site_id, "manage_records")
    try:
        parsed = rules.check_segments(rules.parse_segment(text, f"segments.{i}")
                                      for i, text in enumerate(segments) if text.strip())
    except RuleRefusal as exc:
        raise exc.as_invalid_input() from None
    if valid_from and valid_until and valid_until < valid_from:
        raise InvalidInput.on("valid_until", "is before valid_from",
                              code=rules.Refused.right_validity_reversed)
    if profile_id is None:
        profile = TimeProfile(site_id=site.id, name=name.strip() or "profile")
        session.add(profile)
    else:
        profile = owned(session, TimeProfile, profile_id, site, "time profile")
        profile.name = name.strip() or profile.name
        profile.segments.clear()
    profile.valid_from, profile.valid_until = valid_from, valid_until
    profile.segments.extend(TimeSegment(day=s.day, start_minute=s.start, end_minute=s.end) for s in parsed)
    session.flush()
    new_version(session, clock, site, [("profiles", profile.id, "upsert")])
    record(session, clock, actor, "access.profile.save", profile,
           f"{site.name}: {profile.name}: {', '.join(s.as_text() for s in parsed)}")
    return profile


def profiles(session: Session, actor: Actor, site_id: int) -> list[TimeProfile]:
    site = authorize(session, actor, site_id, "read")
    return list(session.scalars(select(TimeProfile).where(TimeProfile.site_id == site.id).order_by(TimeProfile.id)))


def profile_rows(profile: TimeProfile) -> list[str]:
    return [rules.Segment(s.day, s.start_minute, s.end_minute).as_text() for s in profile.segments]


def grant_right(session: Session, clock: Clock, actor: Actor, site_id: int, *, access_point_id: int,
                profile_id: int, record_id: int | None = None, group: str | None = None) -> AccessRight:
    site = authorize(session, actor, site_id, "manage_records")
    if (record_id is None) == (not group):
        raise InvalidInput.on("record_id", "give either a record or a group",
                              code=rules.Refused.right_holder_missing)
    if record_id is not None:
        owned(session, UserRecord, record_id, site, "record")
    owned(session, AccessPoint, access_point_id, site, "access point")
    owned(session, TimeProfile, profile_id, site, "time profile")
    row = AccessRight(site_id=site.id, record_id=record_id, group=group.strip() if group else None,
                      access_point_id=access_point_id, profile_id=profile_id)
    session.add(row)
    session.flush()
    new_version(session, clock, site, [("rights", row.id, "upsert")])
    record(session, clock, actor, "access.right.grant", row,
           msg("{site}: record {who} → point {point} with profile {profile}" if record_id
               else "{site}: group {who} → point {point} with profile {profile}", site=site.name,
               who=record_id or row.group, point=access_point_id, profile=profile_id))
    return row


def revoke_right(session: Session, clock: Clock, actor: Actor, site_id: int, right_id: int) -> None:
    site = authorize(session, actor, site_id, "manage_records")
    row = owned(session, AccessRight, right_id, site, "right")
    record(session, clock, actor, "access.right.revoke", row, msg("{site}: right {id}", site=site.name, id=row.id))
    session.delete(row)
    new_version(session, clock, site, [("rights", row.id, "delete")])


def rights(session: Session, actor: Actor, site_id: int) -> list[AccessRight]:
    site = authorize(session, actor, site_id, "read")
    return list(session.scalars(select(AccessRight).where(AccessRight.site_id == site.id).order_by(AccessRight.id)))
