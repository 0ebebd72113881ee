"""Tables of the access-control platform: packs, sites, their people and devices.

A pack (*pack prépayé*) is a subscription of family intercom_pack (variant A) or access_pack
(variant B); it equips one access site. Every change of what devices hold bumps the site's
``config_version`` and writes a ``ConfigChange``, from which devices get their deltas.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clausier.db.base import Base
from clausier.db.types import Instant


class Pack(Base):
    __tablename__ = "access_packs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    variant: Mapped[str] = mapped_column(String(1))                    # A intercom | B access only
    records_ordered: Mapped[int] = mapped_column(Integer)              # *fiches* on the order
    # The service period as computed by the contract rules (kept here for device polls).
    service_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    service_end: Mapped[date | None] = mapped_column(Date, nullable=True)   # last day
    activation_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    activated_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(Instant)

    extensions: Mapped[list[PackExtension]] = relationship(order_by="PackExtension.id")


class PackExtension(Base):
    """Extra user records bought (*ajout de fiche, moyennant un coût supplémentaire*)."""

    __tablename__ = "access_pack_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("access_packs.id"), index=True)
    offer_code: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer)
    bought_on: Mapped[date] = mapped_column(Date)
    charge_id: Mapped[int | None] = mapped_column(ForeignKey("charges.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(Instant)


class AccessSite(Base):
    __tablename__ = "access_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("access_packs.id"), unique=True)
    customer_site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="company")   # school, gym, town_hall…
    country: Mapped[str] = mapped_column(String(2))
    call_timeout_seconds: Mapped[int] = mapped_column(Integer, default=20)
    event_retention_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    config_version: Mapped[int] = mapped_column(Integer, default=0)
    # Names the site's cached snapshots: a site rebuilt with the same id and version (a
    # database restored or recreated) never meets the cache of the former one.
    snapshot_salt: Mapped[str] = mapped_column(String(16), default=lambda: secrets.token_hex(8),
                                               server_default="")
    created_at: Mapped[datetime] = mapped_column(Instant)


class SiteMember(Base):
    """The site administrator (the operator's only contact) or a delegate with scopes."""

    __tablename__ = "access_site_members"
    __table_args__ = (UniqueConstraint("site_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))          # admin | delegate
    scopes: Mapped[list] = mapped_column(JSON, default=list)   # read_only | manage_records | manage_credentials
    created_at: Mapped[datetime] = mapped_column(Instant)


class SiteInvitation(Base):
    """An administrator's invitation to a person, by e-mail, to become a delegate of the site:
    nobody joins a site without accepting it (CP A art. 3 L260-263)."""

    __tablename__ = "access_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"), index=True)
    email: Mapped[str] = mapped_column(String(200), info={"personal": "contact"})
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"secret": True})
    invited_at: Mapped[datetime] = mapped_column(Instant)
    accepted_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)


class UserRecord(Base):
    """A user record (*fiche usager*)."""

    __tablename__ = "access_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), info={"personal": "identity"})
    display_name: Mapped[str] = mapped_column(String(60), info={"personal": "identity"})  # panel directory
    phone_code: Mapped[str | None] = mapped_column(String(10), nullable=True)   # dialled on the panel
    main_number: Mapped[str | None] = mapped_column(String(20), nullable=True,  # E.164
                                                    info={"personal": "contact"})
    secondary_numbers: Mapped[list] = mapped_column(JSON, default=list,         # ordered, E.164
                                                    info={"personal": "contact"})
    app_users: Mapped[list] = mapped_column(JSON, default=list,                 # video-call accounts
                                            info={"personal": "identification"})
    groups: Mapped[list] = mapped_column(JSON, default=list)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Instant)
    updated_at: Mapped[datetime] = mapped_column(Instant)


class Credential(Base):
    """A badge or remote stored as its raw frame + bit length (``format`` is how it was typed),
    or a keypad code valid on one access point. ``key`` makes it unique within the site."""

    __tablename__ = "access_credentials"
    __table_args__ = (UniqueConstraint("site_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("access_records.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))          # badge | remote | keypad
    format: Mapped[str] = mapped_column(String(12))        # wiegand26 | wiegand34 | raw | keypad
    raw: Mapped[str] = mapped_column(String(40), info={"personal": "identification"})  # hex frame, or the keypad digits
    bits: Mapped[int] = mapped_column(Integer, default=0)
    access_point_id: Mapped[int | None] = mapped_column(ForeignKey("access_points.id"), nullable=True)
    key: Mapped[str] = mapped_column(String(80), info={"personal": "identification"})
    created_at: Mapped[datetime] = mapped_column(Instant)


class AccessPoint(Base):
    __tablename__ = "access_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="door")     # door | gate | barrier


class TimeProfile(Base):
    """A weekly time-slot profile (*plage horaire*)."""

    __tablename__ = "access_time_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)

    segments: Mapped[list[TimeSegment]] = relationship(
        order_by="(TimeSegment.day, TimeSegment.start_minute)", cascade="all, delete-orphan")


class TimeSegment(Base):
    """One opening of a day row; day 0 = Monday … 6 = Sunday, 7 = public holidays."""

    __tablename__ = "access_time_segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("access_time_profiles.id"), index=True)
    day: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class AccessRight(Base):
    """A record, or every record of a group, may pass an access point within a profile."""

    __tablename__ = "access_rights"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("access_records.id"), nullable=True,
                                                  index=True)
    group: Mapped[str | None] = mapped_column(String(60), nullable=True)
    access_point_id: Mapped[int] = mapped_column(ForeignKey("access_points.id"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("access_time_profiles.id"), index=True)


class ConfigChange(Base):
    """The change log devices sync from: one row per object changed, at a site version."""

    __tablename__ = "access_config_changes"
    __table_args__ = (Index("ix_access_config_changes_site_version", "site_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"))
    version: Mapped[int] = mapped_column(Integer)
    entity: Mapped[str] = mapped_column(String(20))        # records | credentials | access_points | profiles | rights | site
    entity_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(10))            # upsert | delete
    at: Mapped[datetime] = mapped_column(Instant)


class Device(Base):
    """A site device behind the transmission module; authenticates with its own token."""

    __tablename__ = "access_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))          # panel | hf_receiver | keypad | badge_reader | controller
    # A poll finds its device by the digest of its token (unique: tokens are long random secrets).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True, info={"secret": True})
    token_rotated_at: Mapped[datetime] = mapped_column(Instant)
    last_seen_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    version_applied: Mapped[int] = mapped_column(Integer, default=0)
    version_applied_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(Instant)


class DeviceEvent(Base):
    """What a device saw, with its own sequence number (a re-sent event is stored once)."""

    __tablename__ = "access_events"
    __table_args__ = (UniqueConstraint("device_id", "sequence"),
                      Index("ix_access_events_site_at", "site_id", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("access_devices.id"), index=True)
    sequence: Mapped[int] = mapped_column(BigInteger)
    batch_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(Instant)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    record_id: Mapped[int | None] = mapped_column(Integer, nullable=True)   # no FK: records may go
    access_point_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    credential: Mapped[str | None] = mapped_column(String(80), nullable=True, info={"personal": "identification"})
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(Instant)


class SyncFailure(Base):
    """A sync the platform refused or could not complete: shown on the portal, never dropped."""

    __tablename__ = "access_sync_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("access_devices.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(Instant)
    operation: Mapped[str] = mapped_column(String(20))     # snapshot | delta | ack | events
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


class SiteNotice(Base):
    """Messages to the site administrator (end-of-service warnings, end of sync)."""

    __tablename__ = "access_site_notices"
    __table_args__ = (UniqueConstraint("site_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("access_sites.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))          # end_warning_6 | end_warning_1 | service_ended
    on: Mapped[date] = mapped_column(Date)
    message: Mapped[str] = mapped_column(Text)
    # The message (``Message.as_dict``) the text was written from: the site's pages read it in
    # their reader's language; a notice written before messages were kept reads as stored.
    message_message: Mapped[dict | None] = mapped_column(JSON, nullable=True, default=None)
    clause: Mapped[str] = mapped_column(String(120), default="")
