"""Use cases of the access-control platform: packs, sites and their people, user records,
credentials, time slots, rights, devices and their sync, events, the daily tick.

Every use case checks who acts (``_authorize``): staff with the ``access`` write right do
everything; a site administrator does everything on their site; a delegate only what their
scopes allow (403 otherwise); another site's objects do not exist for them (404).
Every change of what devices hold goes through ``_changed`` (new site version + change log).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Text, bindparam, delete, func, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from clausier.access import push, rules
from clausier.access.models import (AccessPoint, AccessRight, AccessSite, ConfigChange, Credential,
                                    Device, DeviceEvent, Pack, PackExtension, SiteMember,
                                    SiteInvitation, SiteNotice, SyncFailure, TimeProfile,
                                    TimeSegment, UserRecord)
from clausier.accounts import rules as account_rules
from clausier.accounts import service as accounts
from clausier.accounts.models import User
from clausier.audit.service import Actor, record
from clausier.billing.ledger.charges import add_charge
from clausier.catalog.models import Offer
from clausier.contracts import rules as contract_rules
from clausier.contracts import service as contracts
from clausier.contracts.models import Subscription, SubscriptionEvent
from clausier.core.bulk import gc_paused
from clausier.core.calendar import BusinessCalendar, OpeningHours
from clausier.core.clock import PARIS, Clock, SystemClock
from clausier.core.dryrun import files_untouched
from clausier.core.errors import (Conflict, Forbidden, InvalidInput, NotAllowed, NotFound, Problem,
                                  Unauthenticated)
from clausier.core.explain import Explained, Line
from clausier.core.money import money
from clausier.core.settings import Settings
from clausier.customers.models import Customer, Site
from clausier.equipment import rules as equipment_rules
from clausier.equipment import service as equipment
from clausier.payments import outbox
from clausier.payments.outbox import SmtpMailer
from clausier.terms import service as terms_service
from clausier.terms.schema import Pack as PackTerms
from clausier.terms.schema import Sourced, Terms

# Which sheet family is which pack variant of the seed (A: L1-306, B: L307-540).
VARIANTS = {"intercom_pack": "A", "access_pack": "B"}
SCOPES = ("read_only", "manage_records", "manage_credentials")
NEEDS = ("read", "manage_records", "manage_credentials", "admin")
DEVICE_KINDS = ("controller", "panel", "hf_receiver", "keypad", "badge_reader")
# Platform settings (the seed sets no figure): call timeout bounds, last-seen write resolution.
CALL_TIMEOUT_RANGE = (5, 120)
LAST_SEEN_RESOLUTION_SECONDS = 60


def _fail(exc: rules.RuleError, cls=InvalidInput):
    reason = exc.reason + (f" ({exc.clause})" if exc.clause else "")
    return cls(f"{exc.field}: {reason}", problems=[Problem(exc.field, reason)])


# --------------------------------------------------------------------------- authorisation

def _authorize(session: Session, actor: Actor, site_id: int, need: str) -> AccessSite:
    """The site if ``actor`` may do ``need`` on it; 404 if it is not theirs, 403 if their
    scopes do not allow it."""
    site = session.get(AccessSite, site_id)
    if actor.role in account_rules.STAFF_ROLES:
        if site is None:
            raise NotFound(f"site {site_id} not found")
        if need != "read" and not account_rules.may_write(actor.role, "access"):
            raise Forbidden(f"role: {actor.role} may not change access-control sites")
        return site
    member = None
    if site is not None and actor.user_id is not None:
        member = session.scalar(select(SiteMember).where(SiteMember.site_id == site_id,
                                                         SiteMember.user_id == actor.user_id))
    if member is None:
        raise NotFound(f"site {site_id} not found")
    if account_rules.site_member_may(member.role, member.scopes, need):
        return site
    raise Forbidden(f"scope: your delegation on {site.name} does not include {need}")


def get_site(session: Session, actor: Actor, site_id: int) -> AccessSite:
    return _authorize(session, actor, site_id, "read")


def pack_of(session: Session, site: AccessSite) -> Pack:
    return session.get(Pack, site.pack_id)


def sites_of(session: Session, actor: Actor) -> list[AccessSite]:
    if actor.role in account_rules.STAFF_ROLES:
        return list(session.scalars(select(AccessSite).order_by(AccessSite.name)))
    return list(session.scalars(select(AccessSite).join(SiteMember, SiteMember.site_id == AccessSite.id)
                                .where(SiteMember.user_id == actor.user_id).order_by(AccessSite.name)))


def membership(session: Session, actor: Actor, site_id: int) -> SiteMember | None:
    return session.scalar(select(SiteMember).where(SiteMember.site_id == site_id,
                                                   SiteMember.user_id == actor.user_id))


def _owned(session: Session, model, object_id: int, site: AccessSite, label: str):
    row = session.get(model, object_id)
    if row is None or row.site_id != site.id:
        raise NotFound(f"{label} {object_id} not found on site {site.id}")
    return row


# --------------------------------------------------------------------------- versions

def _changed(session: Session, clock: Clock, site: AccessSite, changes: list[tuple[str, int, str]]) -> int:
    """One new site version holding ``changes`` (entity, id, upsert|delete); devices learn of
    it by polling, or at once by MQTT once the transaction commits."""
    session.flush()
    version = session.execute(update(AccessSite).where(AccessSite.id == site.id)
                              .values(config_version=AccessSite.config_version + 1)
                              .returning(AccessSite.config_version)
                              .execution_options(synchronize_session=False)).scalar_one()
    session.expire(site, ["config_version"])
    now = clock.now()
    session.add_all([ConfigChange(site_id=site.id, version=version, entity=entity, entity_id=entity_id,
                                  op=op, at=now) for entity, entity_id, op in changes])
    push.queue_version(session, site.id, version)
    return version


# --------------------------------------------------------------------------- packs

def _pack_terms(session: Session, pack: Pack) -> tuple[PackTerms, Terms]:
    subscription = contracts.get_subscription(session, pack.subscription_id)
    terms = contracts.terms_of(session, subscription)
    if terms.pack is None:
        raise NotAllowed(f"sheet {subscription.sheet_id}: family {subscription.family} has no pack terms")
    return terms.pack, terms


def _digest(secret: str) -> str:
    # Long random secrets: a fast hash is enough (nothing to guess from a dictionary).
    return hashlib.sha256(secret.encode()).hexdigest()


def _records_on_order(session: Session, subscription) -> int:
    total = 0
    for item in subscription.items:
        offer = session.get(Offer, item.offer_id)
        total += int((offer.attributes or {}).get("user_records", 0)) * item.quantity
    return total


def open_pack(session: Session, clock: Clock, actor: Actor, subscription_ref: str | int, *,
              site_name: str | None = None, kind: str = "company", call_timeout_seconds: int = 20,
              records: int | None = None) -> tuple[Pack, AccessSite, str]:
    """Set up the platform for a sold pack: refused for a customer category or a site country
    the sheet does not allow. Returns the activation code for the administrator (shown once)."""
    _staff_writer(actor, "open packs")
    subscription = contracts.get_subscription(session, subscription_ref)
    if subscription.family not in VARIANTS:
        raise InvalidInput.on("subscription", f"{subscription.ref} is a {subscription.family}, "
                                              f"not a pack ({', '.join(VARIANTS)})")
    if session.scalar(select(Pack).where(Pack.subscription_id == subscription.id)):
        raise Conflict(f"subscription: {subscription.ref} already has its pack")
    terms = contracts.terms_of(session, subscription).pack
    customer = session.get(Customer, subscription.customer_id)
    customer_site = session.get(Site, subscription.site_id)
    refusals = rules.pack_refusals(
        customer.category, customer.country, customer_site.country,
        (terms.allowed_customer_categories.clause, tuple(terms.allowed_customer_categories.value))
        if terms and terms.allowed_customer_categories else None,
        (terms.same_country_only.clause, terms.same_country_only.value)
        if terms and terms.same_country_only else None)
    if refusals:
        raise NotAllowed("pack: " + "; ".join(f"{r.reason} ({r.clause})" for r in refusals),
                         problems=[Problem(r.field, f"{r.reason} ({r.clause})") for r in refusals])
    cap = records if records is not None else _records_on_order(session, subscription)
    if cap < 1:
        raise InvalidInput.on("records", "the order does not say how many user records the pack serves")
    _check_timeout(call_timeout_seconds)
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    pack = Pack(subscription_id=subscription.id, customer_id=customer.id,
                variant=VARIANTS[subscription.family], records_ordered=cap,
                activation_code_hash=_digest(code), created_at=clock.now())
    session.add(pack)
    session.flush()
    site = AccessSite(pack_id=pack.id, customer_site_id=customer_site.id,
                      name=site_name or customer_site.name, kind=kind, country=customer_site.country,
                      call_timeout_seconds=call_timeout_seconds, created_at=clock.now())
    session.add(site)
    _refresh_period(session, pack)
    record(session, clock, actor, "access.pack.open", pack,
           f"pack {pack.variant} for {subscription.ref}: {cap} user records, site {site.name}")
    return pack, site, code


def _check_timeout(seconds: int) -> None:
    low, high = CALL_TIMEOUT_RANGE
    if not low <= seconds <= high:
        raise InvalidInput.on("call_timeout_seconds", f"must be {low}-{high} seconds")


def _refresh_period(session: Session, pack: Pack) -> bool:
    """Service start/end per the contract rules (CP A art. 2 L224-227: 120 months from the
    activation, or at the latest 12 months after shipment). True if they changed."""
    subscription = contracts.get_subscription(session, pack.subscription_id)
    facts = contracts.facts_of(session, subscription)
    terms = contracts.terms_of(session, subscription)
    start = contract_rules.commitment_start(facts, terms)
    end = contract_rules.commitment_end(facts, terms)
    if (start, end) == (pack.service_start, pack.service_end):
        return False
    pack.service_start, pack.service_end = start, end
    return True


def activate_pack(session: Session, clock: Clock, actor: Actor, *, code: str, email: str, name: str,
                  password: str, on: date | None = None) -> AccessSite:
    """The administrator activates the pack on the platform with the code received and chooses
    their own credentials (CP A art. 3 L251-253); the service period starts (art. 2)."""
    pack = session.scalar(select(Pack).where(Pack.activation_code_hash == _digest(code.strip().upper())))
    if pack is None:
        raise NotFound("code: unknown activation code")
    site = session.scalar(select(AccessSite).where(AccessSite.pack_id == pack.id))
    day = on or clock.today()
    user = accounts.create_user(session, clock, actor, email=email, name=name, role="site_admin",
                                password=password, kind="site", customer_id=pack.customer_id)
    session.add(SiteMember(site_id=site.id, user_id=user.id, role="admin", scopes=list(SCOPES),
                           created_at=clock.now()))
    subscription = contracts.get_subscription(session, pack.subscription_id)
    if subscription.status == "ordered":
        contracts.activate(session, clock, actor, subscription.id, day)
    pack.activation_code_hash = None
    pack.activated_on = day
    _refresh_period(session, pack)
    _changed(session, clock, site, [("site", site.id, "upsert")])
    record(session, clock, actor, "access.pack.activate", pack,
           f"{site.name} activated on {day.isoformat()} by {user.email}; service "
           f"{pack.service_start} → {pack.service_end}")
    return site


def record_cap(pack: Pack) -> int:
    return pack.records_ordered + sum(e.records for e in pack.extensions)


def extension_offers(session: Session, pack: Pack) -> list[Offer]:
    """The catalogue's record extensions for the pack's family (price from the catalogue:
    reading ROZ-EXTRA-RECORD-PRICE)."""
    subscription = contracts.get_subscription(session, pack.subscription_id)
    offers = session.scalars(select(Offer).where(Offer.operator_id == subscription.operator_id,
                                                 Offer.family == subscription.family,
                                                 Offer.active.is_(True))).all()
    return [o for o in offers if o.kind != "pack" and (o.attributes or {}).get("user_records")]


def buy_extension(session: Session, clock: Clock, actor: Actor, site_id: int, offer_code: str,
                  quantity: int = 1) -> PackExtension:
    """Add user records to the pack's cap; the price goes on the next invoice."""
    site = _authorize(session, actor, site_id, "admin")
    pack = session.get(Pack, site.pack_id)
    terms, _ = _pack_terms(session, pack)
    if terms.extra_records_purchasable is not None and not terms.extra_records_purchasable.value:
        raise NotAllowed(f"extension: the terms sell no extra records ({terms.extra_records_purchasable.clause})")
    if quantity < 1:
        raise InvalidInput.on("quantity", "must be at least 1")
    offer = next((o for o in extension_offers(session, pack) if o.code == offer_code), None)
    if offer is None:
        raise InvalidInput.on("offer_code", f"{offer_code!r} is not a record extension of this pack")
    per_unit = int(offer.attributes["user_records"])
    clause = terms.extra_records_purchasable.clause if terms.extra_records_purchasable else ""
    explained = Explained((Line(label=f"{offer.name} — {site.name}",
                                amount=money(offer.one_off_price * quantity),
                                formula=f"{quantity} × {offer.one_off_price} €", clause=clause),))
    subscription = contracts.get_subscription(session, pack.subscription_id)
    day = clock.today()
    extension = PackExtension(pack_id=pack.id, offer_code=offer.code, quantity=quantity,
                              records=per_unit * quantity, bought_on=day, actor=actor.name,
                              created_at=clock.now())
    session.add(extension)
    session.flush()
    charge = add_charge(session, clock, actor, customer_id=pack.customer_id,
                        subscription_id=subscription.id, source="access_extension",
                        source_key=f"{pack.id}:{extension.id}",
                        label=f"{offer.name} × {quantity} — {subscription.ref}", explained=explained,
                        price_basis=offer.price_basis, incurred_on=day, vat_rate=offer.vat_rate)
    extension.charge_id = charge.id
    session.refresh(pack, ["extensions"])
    record(session, clock, actor, "access.pack.extend", pack,
           f"{site.name}: +{extension.records} user records ({explained.total} €), cap {record_cap(pack)}")
    return extension


@dataclass(frozen=True)
class SiteStatus:
    state: rules.ServiceState
    why: str                   # empty when changes are synchronised
    clause: str
    records: int
    cap: int
    notices: list[SiteNotice]
    sim_return: list[dict] = field(default_factory=list)    # the SIM items to return, once flagged


def site_status(session: Session, site: AccessSite, day: date) -> SiteStatus:
    pack = session.get(Pack, site.pack_id)
    terms, _ = _pack_terms(session, pack)
    state = rules.service_state(pack.service_start, pack.service_end, day)
    clause = terms.service_months.clause if terms.service_months else ""
    why = _sync_refusal(session, pack, day)
    count = session.scalar(select(func.count()).select_from(UserRecord)
                           .where(UserRecord.site_id == site.id)) or 0
    notices = list(session.scalars(select(SiteNotice).where(SiteNotice.site_id == site.id)
                                   .order_by(SiteNotice.on.desc())))
    sims = [{"serial": i.serial, "state": i.state, "return_to": i.return_to, "due_on": i.return_due_on,
             "returned_on": i.returned_on, "clause": (i.return_terms or {}).get("clause", "")}
            for i in sim_items(session, pack) if i.return_to == "manufacturer"]
    return SiteStatus(state, why[1] if why else "", clause, count, record_cap(pack), notices, sims)


def _sync_refusal(session: Session, pack: Pack, day: date) -> tuple[str, str] | None:
    """(reason code, message) when the platform no longer synchronises this site."""
    subscription = contracts.get_subscription(session, pack.subscription_id)
    return sync_refusal(session, subscription.id, subscription.status, pack.service_start, pack.service_end, day)


def sync_refusal(session: Session | Connection, subscription_id: int, status: str, service_start: date | None,
                 service_end: date | None, day: date) -> tuple[str, str] | None:
    """(reason code, message) when the platform no longer synchronises a site: its service
    period has ended, or its pack is suspended (with the reason given by the operator), each
    with the sheet's clause. Reads nothing unless the site is refused (devices poll often)."""
    state = rules.service_state(service_start, service_end, day)
    suspended = status == "suspended"
    if state.state != "ended" and not suspended:
        return None
    service_months, suspension = _refusal_terms(session, subscription_id)
    reason = suspension_reason(session, subscription_id) if suspended and state.state != "ended" else ""
    return rules.sync_refusal(state, suspended, service_months, suspension, reason)


def _refusal_terms(session: Session | Connection, subscription_id: int) -> tuple[Sourced | None, Sourced | None]:
    """The sheet's months of service and its suspension clause, for a pack's subscription. A
    family's own usage flags replace the sheet's general ones: the clause may be in either."""
    if not isinstance(session, Session):        # a device's poll reads on a plain connection
        with Session(bind=session) as orm:
            return _refusal_terms(orm, subscription_id)
    subscription = session.get(Subscription, subscription_id)
    sheet = terms_service.get_sheet(session, subscription.sheet_id, subscription.sheet_version)
    terms = sheet.terms_for(subscription.family)
    flags = {**(sheet.general.usage.flags if sheet.general.usage else {}),
             **(terms.usage.flags if terms.usage else {})}
    return terms.pack.service_months if terms.pack else None, flags.get("suspension_on_breach")


def suspension_reason(session: Session | Connection, subscription_id: int) -> str:
    """The reason of the subscription's latest suspension (recorded on its timeline)."""
    details = session.execute(select(SubscriptionEvent.details).where(
        SubscriptionEvent.subscription_id == subscription_id, SubscriptionEvent.kind == "suspend")
        .order_by(SubscriptionEvent.at.desc(), SubscriptionEvent.id.desc()).limit(1)).scalar()
    if isinstance(details, str):     # a plain connection on SQLite gives the JSON text
        details = json.loads(details)
    return (details or {}).get("reason", "")


def list_packs(session: Session) -> list[tuple[Pack, AccessSite]]:
    return list(session.execute(select(Pack, AccessSite).join(AccessSite, AccessSite.pack_id == Pack.id)
                                .order_by(Pack.service_end.is_(None), Pack.service_end, Pack.id)))


def get_pack(session: Session, pack_id: int) -> tuple[Pack, AccessSite]:
    pack = session.get(Pack, pack_id)
    if pack is None:
        raise NotFound(f"pack {pack_id} not found")
    return pack, session.scalar(select(AccessSite).where(AccessSite.pack_id == pack.id))


def new_activation_code(session: Session, clock: Clock, actor: Actor, pack_id: int) -> str:
    """A fresh code for an administrator who lost theirs (the previous one stops working)."""
    _staff_writer(actor, "issue activation codes")
    pack = session.get(Pack, pack_id)
    if pack is None:
        raise NotFound(f"pack {pack_id} not found")
    if pack.activated_on is not None:
        raise Conflict(f"pack: already activated on {pack.activated_on.isoformat()}")
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    pack.activation_code_hash = _digest(code)
    record(session, clock, actor, "access.pack.code", pack, "new activation code issued")
    return code


def _staff_writer(actor: Actor, what: str) -> None:
    if actor.role not in account_rules.STAFF_ROLES or not account_rules.may_write(actor.role, "access"):
        raise Forbidden(f"role: only operator staff with the access right {what}")


def suspend_pack(session: Session, clock: Clock, actor: Actor, pack_id: int, reason: str) -> Pack:
    """The operator suspends the pack's associated services for a breach of the conditions of
    installation, use or resale (CP A art. 3 L279-285): its devices are no longer synchronised
    and refuse the app's door opening with the reason ``suspended``; the portal says why."""
    _staff_writer(actor, "suspend packs")
    pack, site = get_pack(session, pack_id)
    reason = reason.strip()
    if not reason:
        raise InvalidInput.on("reason", "say why the services are suspended (shown to the administrator)")
    contracts.change_status(session, clock, actor, pack.subscription_id, "suspend", clock.today(), reason)
    record(session, clock, actor, "access.pack.suspend", pack, f"{site.name}: services suspended — {reason}",
           {"reason": reason})
    return pack


def resume_pack(session: Session, clock: Clock, actor: Actor, pack_id: int, reason: str = "") -> Pack:
    """The services resume: devices synchronise again at their next poll."""
    _staff_writer(actor, "resume packs")
    pack, site = get_pack(session, pack_id)
    contracts.change_status(session, clock, actor, pack.subscription_id, "resume", clock.today(), reason.strip())
    record(session, clock, actor, "access.pack.resume", pack,
           f"{site.name}: services resumed{' — ' + reason.strip() if reason.strip() else ''}",
           {"reason": reason.strip()} if reason.strip() else None)
    return pack


def pack_status(session: Session, pack: Pack) -> str:
    """The pack's subscription status (active, suspended…)."""
    return contracts.get_subscription(session, pack.subscription_id).status


# --------------------------------------------------------------------------- people

# An invitation not accepted within this period must be sent again (platform setting).
INVITATION_LIFETIME = timedelta(days=7)


def invite_delegate(session: Session, clock: Clock, actor: Actor, site_id: int, *, email: str,
                    scopes: list[str]) -> tuple[SiteInvitation, str]:
    """The administrator gives employees or third parties access (CP A art. 3 L260-263) by
    inviting them: nobody is attached to the site until the invitee accepts, and the answer is
    the same whether the e-mail has an account or not. Returns the invitation and its secret,
    for the invitee's mail only (``send_invitation``)."""
    site = _authorize(session, actor, site_id, "admin")
    _check_scopes(scopes)
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput.on("email", f"{email!r} is not an e-mail address")
    secret = secrets.token_urlsafe(32)
    invitation = SiteInvitation(site_id=site.id, email=email, scopes=list(scopes),
                                token_hash=_digest(secret), invited_at=clock.now())
    session.add(invitation)
    record(session, clock, actor, "access.delegate.invite", invitation,
           f"{site.name}: {email} invited with {', '.join(scopes)}")
    return invitation, secret


def send_invitation(site_name: str, email: str, secret: str) -> None:
    """Mail the invitation's secret to the invitee (called once the invitation is committed)."""
    SmtpMailer.from_settings(Settings.from_env()).send(
        email, f"Invitation: access-control site {site_name}",
        f"You are invited to help manage the access-control site {site_name}.\n"
        f"To accept, send your name and a password (10 characters or more; the password of "
        f"your account if this address already has one) with this code to "
        f"POST /api/v1/access/invitations/accept:\n\n{secret}\n\n"
        f"The code expires after {INVITATION_LIFETIME.days} days.")


def accept_invitation(session: Session, clock: Clock, *, secret: str, name: str,
                      password: str) -> SiteMember:
    """The invitee accepts: a new site account is opened for an address without one; an
    existing site account joins once its own password is given (its consent). Only the
    holder of the secret, the invitee, reads these answers."""
    invitation = session.scalar(select(SiteInvitation).where(
        SiteInvitation.token_hash == _digest(secret.strip())))
    if (invitation is None or invitation.accepted_at is not None
            or clock.now() - invitation.invited_at > INVITATION_LIFETIME):
        raise NotFound("secret: unknown, used or expired invitation")
    site = session.get(AccessSite, invitation.site_id)
    actor = Actor(name=f"invitation:{invitation.email}", role="site_delegate")
    user = session.scalar(select(User).where(User.email == invitation.email))
    if user is None:
        user = accounts.create_user(session, clock, actor, email=invitation.email, name=name,
                                    role="site_delegate", password=password, kind="site",
                                    customer_id=session.get(Pack, site.pack_id).customer_id)
    elif user.kind != "site":
        raise NotAllowed(f"email: the account of {user.email} is not a site-portal account; "
                         f"ask for an invitation to another address")
    elif not accounts.password_matches(user, password):
        raise InvalidInput.on("password", f"not the password of the account of {user.email}")
    if session.scalar(select(SiteMember.id).where(SiteMember.site_id == site.id,
                                                  SiteMember.user_id == user.id)):
        raise Conflict(f"email: {user.email} already has access to {site.name}")
    member = SiteMember(site_id=site.id, user_id=user.id, role="delegate",
                        scopes=list(invitation.scopes), created_at=clock.now())
    session.add(member)
    invitation.accepted_at = clock.now()
    record(session, clock, actor, "access.delegate.add", member,
           f"{site.name}: {user.email} with {', '.join(member.scopes)}")
    return member


def _check_scopes(scopes: list[str]) -> None:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidInput.on("scopes", f"choose among {', '.join(SCOPES)}")


def set_delegate_scopes(session: Session, clock: Clock, actor: Actor, site_id: int, member_id: int,
                        scopes: list[str]) -> SiteMember:
    site = _authorize(session, actor, site_id, "admin")
    member = _owned(session, SiteMember, member_id, site, "delegate")
    if member.role != "delegate":
        raise NotAllowed("scopes: the administrator has every right on the site")
    _check_scopes(scopes)
    before = list(member.scopes)
    member.scopes = list(scopes)
    record(session, clock, actor, "access.delegate.scopes", member, f"{site.name}: {before} → {scopes}",
           {"scopes": [before, scopes]})
    return member


def remove_delegate(session: Session, clock: Clock, actor: Actor, site_id: int, member_id: int) -> None:
    site = _authorize(session, actor, site_id, "admin")
    member = _owned(session, SiteMember, member_id, site, "delegate")
    if member.role != "delegate":
        raise NotAllowed("delegate: the administrator cannot be removed (the operator's contact)")
    record(session, clock, actor, "access.delegate.remove", member, f"{site.name}: user {member.user_id}")
    session.delete(member)


def members(session: Session, actor: Actor, site_id: int) -> list[tuple[SiteMember, User]]:
    site = _authorize(session, actor, site_id, "read")
    return list(session.execute(select(SiteMember, User).join(User, User.id == SiteMember.user_id)
                                .where(SiteMember.site_id == site.id).order_by(SiteMember.id)))


# --------------------------------------------------------------------------- records

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


def _destinations(session: Session, site: AccessSite) -> tuple[frozenset[str], str]:
    terms, _ = _pack_terms(session, session.get(Pack, site.pack_id))
    sheet = terms.allowed_call_countries
    return (rules.call_destinations(site.country, sheet.value if sheet else ()),
            sheet.clause if sheet else "")


def _clean_record(session: Session, site: AccessSite, data: RecordInput, record_id: int | None) -> dict:
    name = data.name.strip()
    if not name:
        raise InvalidInput.on("name", "required")
    display = (data.display_name or name).strip()[:60]
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        raise InvalidInput.on("valid_until", "is before valid_from")
    numbers = [n for n in [data.main_number, *data.secondary_numbers] if n and n.strip()]
    main, secondaries = None, []
    if numbers or data.app_users or data.phone_code:
        destinations, clause = _destinations(session, site)
        try:
            accepted = [rules.accept_phone(n, site.country, destinations, clause) for n in numbers]
        except rules.RuleError as exc:
            raise _fail(exc) from None
        if not destinations and (data.app_users or data.phone_code):
            raise InvalidInput.on("app_users" if data.app_users else "phone_code",
                                  f"this pack has no intercom call service ({clause})")
        if len(set(accepted)) != len(accepted):
            raise InvalidInput.on("secondary_numbers", "a number appears twice")
        if data.main_number and data.main_number.strip():
            main, secondaries = accepted[0], accepted[1:]
        elif accepted:
            raise InvalidInput.on("main_number", "required before secondary numbers (CP A art. 1 L67-77)")
    phone_code = (data.phone_code or "").strip() or None
    if phone_code is not None:
        if not phone_code.isdigit() or not 1 <= len(phone_code) <= 6:
            raise InvalidInput.on("phone_code", "1 to 6 digits")
        taken = session.scalar(select(UserRecord.id).where(UserRecord.site_id == site.id,
                                                           UserRecord.phone_code == phone_code,
                                                           UserRecord.id != (record_id or 0)))
        if taken:
            raise Conflict(f"phone_code: {phone_code} already calls record {taken}")
    return dict(name=name, display_name=display, phone_code=phone_code, main_number=main,
                secondary_numbers=secondaries, app_users=[u.strip() for u in data.app_users if u.strip()],
                groups=sorted({g.strip() for g in data.groups if g.strip()}),
                valid_from=data.valid_from, valid_until=data.valid_until, suspended=data.suspended)


def create_record(session: Session, clock: Clock, actor: Actor, site_id: int, data: RecordInput) -> UserRecord:
    """A new user record (*fiche*), refused beyond the pack's cap with the extensions on offer
    (CP A art. 3 L244-249)."""
    site = _authorize(session, actor, site_id, "manage_records")
    pack = session.get(Pack, site.pack_id)
    count = session.scalar(select(func.count()).select_from(UserRecord)
                           .where(UserRecord.site_id == site.id)) or 0
    terms, all_terms = _pack_terms(session, pack)
    clause = terms.extra_records_purchasable.clause if terms.extra_records_purchasable else ""
    quota = all_terms.usage.flags.get("access_refused_beyond_record_quota") if all_terms.usage else None
    refusal = rules.record_quota_refusal(count, record_cap(pack), quota.clause if quota else "")
    if refusal is not None:
        offers = "; ".join(f"{o.code}: +{o.attributes['user_records']} records for "
                           f"{o.one_off_price} € {o.price_basis}" for o in extension_offers(session, pack))
        raise NotAllowed(f"records: {refusal.reason} ({refusal.clause}; {clause})"
                         f"{' — ' + offers if offers else ''}",
                         problems=[Problem("records", refusal.reason)])
    now = clock.now()
    row = UserRecord(site_id=site.id, created_at=now, updated_at=now,
                     **_clean_record(session, site, data, None))
    session.add(row)
    session.flush()
    _changed(session, clock, site, [("records", row.id, "upsert")])
    record(session, clock, actor, "access.record.create", row, f"{site.name}: {row.name}")
    return row


def update_record(session: Session, clock: Clock, actor: Actor, site_id: int, record_id: int,
                  data: RecordInput) -> UserRecord:
    site = _authorize(session, actor, site_id, "manage_records")
    row = _owned(session, UserRecord, record_id, site, "record")
    values = _clean_record(session, site, data, row.id)
    before = {k: getattr(row, k) for k in values}
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = clock.now()
    _changed(session, clock, site, [("records", row.id, "upsert")])
    record(session, clock, actor, "access.record.update", row, f"{site.name}: {row.name}",
           {k: [before[k], v] for k, v in values.items() if before[k] != v})
    return row


def delete_record(session: Session, clock: Clock, actor: Actor, site_id: int, record_id: int) -> None:
    """The record goes with its credentials and rights (devices forget them at the next sync)."""
    site = _authorize(session, actor, site_id, "manage_records")
    row = _owned(session, UserRecord, record_id, site, "record")
    credentials = session.scalars(select(Credential.id).where(Credential.record_id == row.id)).all()
    rights = session.scalars(select(AccessRight.id).where(AccessRight.record_id == row.id)).all()
    session.execute(delete(Credential).where(Credential.record_id == row.id))
    session.execute(delete(AccessRight).where(AccessRight.record_id == row.id))
    record(session, clock, actor, "access.record.delete", row, f"{site.name}: {row.name}")
    session.delete(row)
    _changed(session, clock, site, [("records", row.id, "delete")]
             + [("credentials", i, "delete") for i in credentials]
             + [("rights", i, "delete") for i in rights])


def import_records(session: Session, clock: Clock, actor: Actor, site_id: int,
                   rows: list[RecordInput]) -> list[UserRecord]:
    """Many records at once (CSV import), all or nothing, as one new site version."""
    site = _authorize(session, actor, site_id, "manage_records")
    pack = session.get(Pack, site.pack_id)
    count = session.scalar(select(func.count()).select_from(UserRecord)
                           .where(UserRecord.site_id == site.id)) or 0
    if count + len(rows) > record_cap(pack):
        raise NotAllowed(f"records: {count} + {len(rows)} exceed the pack's {record_cap(pack)} user "
                         "records; buy an extension first (CP A art. 3 L244-249)")
    now = clock.now()
    created = []
    for index, data in enumerate(rows):
        try:
            values = _clean_record(session, site, data, None)
        except InvalidInput as exc:
            raise InvalidInput(f"line {index + 1}: {exc.message}",
                               problems=[Problem(p.field, p.reason, index + 1) for p in exc.problems]) from None
        created.append(UserRecord(site_id=site.id, created_at=now, updated_at=now, **values))
    session.add_all(created)
    session.flush()
    _changed(session, clock, site, [("records", r.id, "upsert") for r in created])
    record(session, clock, actor, "access.record.import", site, f"{site.name}: {len(created)} records")
    return created


def list_records(session: Session, actor: Actor, site_id: int, search: str = "",
                 limit: int = 500, offset: int = 0) -> list[UserRecord]:
    site = _authorize(session, actor, site_id, "read")
    query = select(UserRecord).where(UserRecord.site_id == site.id).order_by(UserRecord.name, UserRecord.id)
    if search:
        query = query.where(UserRecord.name.ilike(f"%{search}%"))
    return list(session.scalars(query.limit(limit).offset(offset)))


def get_record(session: Session, actor: Actor, site_id: int, record_id: int) -> UserRecord:
    return _owned(session, UserRecord, record_id, _authorize(session, actor, site_id, "read"), "record")


# --------------------------------------------------------------------------- credentials

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
        raise InvalidInput.on("kind", f"{data.kind!r} is not one of {', '.join(rules.CREDENTIAL_KINDS)}")
    try:
        if data.kind == "keypad":
            if data.access_point_id is None:
                raise InvalidInput.on("access_point_id", "a keypad code belongs to an access point")
            if data.access_point_id not in points:
                raise NotFound(f"access point {data.access_point_id} not found on site {site.id}")
            code = rules.check_keypad_code(data.value or "")
            raw, bits, fmt = code, 0, "keypad"
            key = rules.credential_key("keypad", code=code, access_point_id=data.access_point_id)
        else:
            badge = rules.normalise_badge(data.format, value=data.value, facility=data.facility,
                                          card=data.card, bits=data.bits)
            raw, bits, fmt = badge.hex, badge.bits, data.format
            key = rules.credential_key(data.kind, badge=badge)
    except rules.RuleError as exc:
        raise _fail(exc) from None
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
    site = _authorize(session, actor, site_id, "manage_credentials")
    owner = _owned(session, UserRecord, record_id, site, "record")
    row = _new_credential(site, owner.id, data, _point_ids(session, site), clock.now())
    existing = session.scalar(select(Credential).where(Credential.site_id == site.id, Credential.key == row.key))
    if existing is not None:
        raise _already_registered(session, row, existing)
    session.add(row)
    session.flush()
    _changed(session, clock, site, [("credentials", row.id, "upsert")])
    record(session, clock, actor, "access.credential.add", row,
           f"{site.name}: {data.kind} for {owner.name}" + ("" if data.kind == "keypad" else f" {row.key}"))
    return row


def import_credentials(session: Session, clock: Clock, actor: Actor, site_id: int,
                       rows: list[tuple[int, CredentialInput]]) -> list[Credential]:
    """Many (record id, credential) at once (migration from another system), all or nothing,
    as one new site version; a duplicate, in the file or on the site, names its line."""
    site = _authorize(session, actor, site_id, "manage_credentials")
    records = set(session.scalars(select(UserRecord.id).where(UserRecord.site_id == site.id)))
    points, now = _point_ids(session, site), clock.now()
    known = dict(session.execute(select(Credential.key, Credential.id).where(Credential.site_id == site.id)).all())
    created: list[Credential] = []
    seen: dict[str, int] = {}
    for line, (record_id, data) in enumerate(rows, start=1):
        try:
            if record_id not in records:
                raise NotFound(f"record {record_id} not found on site {site.id}")
            row = _new_credential(site, record_id, data, points, now)
            if row.key in known:
                raise _already_registered(session, row, session.get(Credential, known[row.key]))
            if row.key in seen:
                raise Conflict(f"credential: the same {row.kind} as line {seen[row.key]}")
        except (InvalidInput, NotFound, Conflict) as exc:
            raise type(exc)(f"line {line}: {exc.message}",
                            problems=[Problem(p.field, p.reason, line) for p in exc.problems]) from None
        seen[row.key] = line
        created.append(row)
    session.add_all(created)
    session.flush()
    _changed(session, clock, site, [("credentials", c.id, "upsert") for c in created])
    record(session, clock, actor, "access.credential.import", site, f"{site.name}: {len(created)} credentials")
    return created


def display_forms(credential: Credential) -> dict[str, str]:
    if credential.kind == "keypad":
        return {"code": "•" * len(credential.raw)}
    return rules.Badge(int(credential.raw, 16), credential.bits).displays()


def remove_credential(session: Session, clock: Clock, actor: Actor, site_id: int, credential_id: int) -> None:
    site = _authorize(session, actor, site_id, "manage_credentials")
    row = _owned(session, Credential, credential_id, site, "credential")
    record(session, clock, actor, "access.credential.remove", row, f"{site.name}: {row.kind} {row.id}")
    session.delete(row)
    _changed(session, clock, site, [("credentials", row.id, "delete")])


def credentials_of(session: Session, actor: Actor, site_id: int, record_id: int) -> list[Credential]:
    site = _authorize(session, actor, site_id, "read")
    _owned(session, UserRecord, record_id, site, "record")
    return list(session.scalars(select(Credential).where(Credential.record_id == record_id)
                                .order_by(Credential.id)))


# --------------------------------------------------------------------------- access points, time slots, rights

def add_access_point(session: Session, clock: Clock, actor: Actor, site_id: int, name: str,
                     kind: str = "door") -> AccessPoint:
    site = _authorize(session, actor, site_id, "admin")
    if not name.strip():
        raise InvalidInput.on("name", "required")
    row = AccessPoint(site_id=site.id, name=name.strip(), kind=kind)
    session.add(row)
    session.flush()
    _changed(session, clock, site, [("access_points", row.id, "upsert")])
    record(session, clock, actor, "access.point.add", row, f"{site.name}: {row.name}")
    return row


def access_points(session: Session, actor: Actor, site_id: int) -> list[AccessPoint]:
    site = _authorize(session, actor, site_id, "read")
    return list(session.scalars(select(AccessPoint).where(AccessPoint.site_id == site.id).order_by(AccessPoint.id)))


def save_profile(session: Session, clock: Clock, actor: Actor, site_id: int, *, name: str,
                 segments: list[str], valid_from: date | None = None, valid_until: date | None = None,
                 profile_id: int | None = None) -> TimeProfile:
    """Create or replace a weekly time-slot profile from rows such as ``"mon 08:00-12:00"``
    and ``"holiday 10:00-12:00"`` (public holidays: the French calendar)."""
    site = _authorize(session, actor, site_id, "manage_records")
    try:
        parsed = rules.check_segments(rules.parse_segment(text, f"segments.{i}")
                                      for i, text in enumerate(segments) if text.strip())
    except rules.RuleError as exc:
        raise _fail(exc) from None
    if valid_from and valid_until and valid_until < valid_from:
        raise InvalidInput.on("valid_until", "is before valid_from")
    if profile_id is None:
        profile = TimeProfile(site_id=site.id, name=name.strip() or "profile")
        session.add(profile)
    else:
        profile = _owned(session, TimeProfile, profile_id, site, "time profile")
        profile.name = name.strip() or profile.name
        profile.segments.clear()
    profile.valid_from, profile.valid_until = valid_from, valid_until
    profile.segments.extend(TimeSegment(day=s.day, start_minute=s.start, end_minute=s.end) for s in parsed)
    session.flush()
    _changed(session, clock, site, [("profiles", profile.id, "upsert")])
    record(session, clock, actor, "access.profile.save", profile,
           f"{site.name}: {profile.name}: {', '.join(s.as_text() for s in parsed)}")
    return profile


def profiles(session: Session, actor: Actor, site_id: int) -> list[TimeProfile]:
    site = _authorize(session, actor, site_id, "read")
    return list(session.scalars(select(TimeProfile).where(TimeProfile.site_id == site.id).order_by(TimeProfile.id)))


def profile_rows(profile: TimeProfile) -> list[str]:
    return [rules.Segment(s.day, s.start_minute, s.end_minute).as_text() for s in profile.segments]


def grant_right(session: Session, clock: Clock, actor: Actor, site_id: int, *, access_point_id: int,
                profile_id: int, record_id: int | None = None, group: str | None = None) -> AccessRight:
    site = _authorize(session, actor, site_id, "manage_records")
    if (record_id is None) == (not group):
        raise InvalidInput.on("record_id", "give either a record or a group")
    if record_id is not None:
        _owned(session, UserRecord, record_id, site, "record")
    _owned(session, AccessPoint, access_point_id, site, "access point")
    _owned(session, TimeProfile, profile_id, site, "time profile")
    row = AccessRight(site_id=site.id, record_id=record_id, group=group.strip() if group else None,
                      access_point_id=access_point_id, profile_id=profile_id)
    session.add(row)
    session.flush()
    _changed(session, clock, site, [("rights", row.id, "upsert")])
    record(session, clock, actor, "access.right.grant", row,
           f"{site.name}: {'record ' + str(record_id) if record_id else 'group ' + row.group} → "
           f"point {access_point_id} with profile {profile_id}")
    return row


def revoke_right(session: Session, clock: Clock, actor: Actor, site_id: int, right_id: int) -> None:
    site = _authorize(session, actor, site_id, "manage_records")
    row = _owned(session, AccessRight, right_id, site, "right")
    record(session, clock, actor, "access.right.revoke", row, f"{site.name}: right {row.id}")
    session.delete(row)
    _changed(session, clock, site, [("rights", row.id, "delete")])


def rights(session: Session, actor: Actor, site_id: int) -> list[AccessRight]:
    site = _authorize(session, actor, site_id, "read")
    return list(session.scalars(select(AccessRight).where(AccessRight.site_id == site.id).order_by(AccessRight.id)))


# --------------------------------------------------------------------------- snapshot and deltas

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
        # Written aside then renamed: a worker reading it sees the whole file or none.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".snapshot-", delete=False) as tmp:
            tmp.write(body)
        os.replace(tmp.name, path)
        for old in folder.glob(f"site-{key[0]}-*.json"):
            if old != path:
                old.unlink(missing_ok=True)

    def _remember(self, key: SnapshotKey, body: bytes) -> None:
        with self._lock:
            self._memory[key] = body
            while len(self._memory) > self.SIZE:
                self._memory.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()


SNAPSHOTS = SnapshotCache()


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
    destinations, _ = _destinations(session, site)
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
    version = site.config_version
    key = snapshot_key(site.id, site.snapshot_salt, version, day)
    cached = SNAPSHOTS.get(key, folder)
    if cached is not None:
        return cached
    body = _encoded_snapshot(session, site, version, day)
    SNAPSHOTS.put(key, body, folder)
    return body


def snapshot_folder(settings: Settings) -> Path:
    """Where the encoded snapshots are kept for every process of this installation."""
    return settings.data_dir / "access" / "snapshots"


def prebuild_snapshots(session: Session, day: date, folder: Path) -> int:
    """Encode the current version of every site whose snapshot is not yet in ``folder``: run
    when a configuration changes (``clausier serve`` checks every few seconds), so that a
    device's first fetch of a version is a file read, not a build. The number built."""
    built = 0
    for site_id, salt, version in session.execute(
            select(AccessSite.id, AccessSite.snapshot_salt, AccessSite.config_version)):
        if not SNAPSHOTS.has(snapshot_key(site_id, salt, version, day), folder):
            snapshot_bytes(session, session.get(AccessSite, site_id), day, folder)
            built += 1
    return built


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
    site = _authorize(session, actor, site_id, "read")
    config = site_config(session, site, presented.at.date())
    refusal = _sync_refusal(session, pack_of(session, site), presented.at.date())
    config.services_suspended = refusal is not None and refusal[0] == rules.SUSPENDED
    return rules.decide(config, presented)


def presented_credential(kind: str, *, fmt: str = "raw", value: str | None = None,
                         facility: int | None = None, card: int | None = None, bits: int | None = None,
                         access_point_id: int) -> str:
    """The key a reader produces for what is presented (used by the decision preview and the
    simulated device)."""
    try:
        if kind == "keypad":
            return rules.credential_key("keypad", code=(value or "").strip(), access_point_id=access_point_id)
        return rules.credential_key(kind, badge=rules.normalise_badge(fmt, value=value, facility=facility,
                                                                       card=card, bits=bits))
    except rules.RuleError as exc:
        raise _fail(exc) from None


# --------------------------------------------------------------------------- call routing

def call_plan(session: Session, actor: Actor, site_id: int, record_id: int) -> rules.CallPlan:
    site = _authorize(session, actor, site_id, "read")
    row = _owned(session, UserRecord, record_id, site, "record")
    destinations, clause = _destinations(session, site)
    if not destinations:
        raise NotAllowed(f"calls: this pack has no intercom call service ({clause})")
    _, terms = _pack_terms(session, pack_of(session, site))
    triggers = terms.usage.lists.get("secondary_number_triggers") if terms.usage else None
    return rules.call_plan(row.id, row.display_name, row.main_number, row.secondary_numbers,
                           row.app_users, site.call_timeout_seconds,
                           tuple(triggers.value) if triggers else ("busy", "no_answer"))


def set_call_timeout(session: Session, clock: Clock, actor: Actor, site_id: int, seconds: int) -> AccessSite:
    site = _authorize(session, actor, site_id, "admin")
    _check_timeout(seconds)
    before = site.call_timeout_seconds
    site.call_timeout_seconds = seconds
    _changed(session, clock, site, [("site", site.id, "upsert")])
    record(session, clock, actor, "access.site.timeout", site, f"{site.name}: {before} → {seconds} s")
    return site


def set_event_retention(session: Session, clock: Clock, actor: Actor, site_id: int,
                        months: int | None) -> AccessSite:
    """The administrator (data controller, CP A art. 3 L266-269) may keep events for a
    different period; None returns to the sheet's default."""
    site = _authorize(session, actor, site_id, "admin")
    if months is not None and not 1 <= months <= 120:
        raise InvalidInput.on("months", "must be 1-120")
    before = site.event_retention_months
    site.event_retention_months = months
    record(session, clock, actor, "access.site.retention", site, f"{site.name}: {before} → {months}")
    return site


# --------------------------------------------------------------------------- devices

def register_device(session: Session, clock: Clock, actor: Actor, site_id: int, name: str,
                    kind: str = "controller") -> tuple[Device, str]:
    """A device of the site with its own token (shown once; stored hashed)."""
    site = _authorize(session, actor, site_id, "admin")
    if kind not in DEVICE_KINDS:
        raise InvalidInput.on("kind", f"{kind!r} is not one of {', '.join(DEVICE_KINDS)}")
    token = _new_device_token()
    device = Device(site_id=site.id, name=name.strip() or kind, kind=kind, token_prefix=token[:16],
                    token_hash=_digest(token), token_rotated_at=clock.now(), created_at=clock.now())
    session.add(device)
    session.flush()
    record(session, clock, actor, "access.device.register", device, f"{site.name}: {device.name} ({kind})")
    return device, token


def _new_device_token() -> str:
    return f"clzd_{secrets.token_urlsafe(32)}"


def rotate_device_token(session: Session, clock: Clock, actor: Actor, device: Device) -> str:
    """A new token; the old one stops working at once."""
    token = _new_device_token()
    device.token_prefix, device.token_hash, device.token_rotated_at = token[:16], _digest(token), clock.now()
    record(session, clock, actor, "access.device.rotate", device, f"device {device.id} token rotated")
    return token


def rotate_site_device_token(session: Session, clock: Clock, actor: Actor, site_id: int, device_id: int) -> str:
    site = _authorize(session, actor, site_id, "admin")
    return rotate_device_token(session, clock, actor, _owned(session, Device, device_id, site, "device"))


def device_for_token(session: Session, token: str) -> Device:
    candidates = session.scalars(select(Device).where(Device.token_prefix == token[:16],
                                                      Device.active.is_(True))).all()
    digest = _digest(token)
    for device in candidates:
        if secrets.compare_digest(device.token_hash, digest):
            return device
    raise Unauthenticated("authorization: unknown or rotated device token")


@dataclass(frozen=True)
class PollState:
    """What a device's poll needs to know, read in one query: who it is, its site's version,
    and why the site is no longer synchronised (None: it is)."""

    device_id: int
    site_id: int
    snapshot_salt: str
    last_seen_at: datetime | None
    site_version: int
    refusal: tuple[str, str] | None
    version_applied: int = 0

    @property
    def version_etag(self) -> str:
        """Names the site's version (the delta of a device that holds it is empty)."""
        return f'"{self.site_id}-{self.snapshot_salt}-v{self.site_version}"'


# Built once: the statement is compiled once and reused from SQLAlchemy's cache.
_POLL_QUERY = (select(Device.id, Device.site_id, Device.token_hash, Device.last_seen_at, AccessSite.config_version,
                      Pack.service_start, Pack.service_end, Subscription.id, Subscription.status,
                      AccessSite.snapshot_salt, Device.version_applied)
               .join(AccessSite, AccessSite.id == Device.site_id)
               .join(Pack, Pack.id == AccessSite.pack_id)
               .join(Subscription, Subscription.id == Pack.subscription_id)
               .where(Device.token_prefix == bindparam("prefix"), Device.active.is_(True)))


def poll_state(connection: Connection | Session, token: str, day: date) -> PollState:
    """The device of ``token`` and its site's state, by the token's indexed prefix and its
    sha256 digest (tokens are long random secrets: no slow password hash per poll)."""
    digest = _digest(token)
    for row in connection.execute(_POLL_QUERY, {"prefix": token[:16]}):
        if secrets.compare_digest(row[2], digest):
            return PollState(row[0], row[1], row[9], row[3], row[4],
                             sync_refusal(connection, row[7], row[8], row[5], row[6], day), row[10])
    raise Unauthenticated("authorization: unknown or rotated device token")


def device_actor(device: Device) -> Actor:
    return Actor(name=f"device:{device.id}", role="device")


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
    refusal); read only, the caller records the contact."""
    if state.refusal:
        return SyncAnswer("snapshot", refused=state.refusal[0], message=state.refusal[1])
    site = session.get(AccessSite, state.site_id)
    day = clock.today()
    body = snapshot_bytes(session, site, day, folder)
    return SyncAnswer("snapshot", body=body,
                      etag=snapshot_etag(snapshot_key(site.id, site.snapshot_salt, site.config_version, day)))


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
        session.execute(update(Device).where(Device.id == state.device_id, Device.version_applied < version)
                        .values(version_applied=version, version_applied_at=now, last_seen_at=now)
                        .execution_options(synchronize_session=False))
    return SyncAnswer("ack", payload={"version_applied": max(version, state.version_applied),
                                      "site_version": state.site_version})


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


@dataclass(frozen=True)
class DeviceState:
    device: Device
    pending_changes: int
    failures: list[SyncFailure]


def devices(session: Session, actor: Actor, site_id: int) -> list[DeviceState]:
    """Per device: last seen, version applied, changes still pending, failed syncs."""
    site = _authorize(session, actor, site_id, "read")
    rows = session.scalars(select(Device).where(Device.site_id == site.id).order_by(Device.id)).all()
    states = []
    for device in rows:
        pending = session.scalar(select(func.count()).select_from(ConfigChange).where(
            ConfigChange.site_id == site.id, ConfigChange.version > device.version_applied)) or 0
        failures = list(session.scalars(select(SyncFailure).where(SyncFailure.device_id == device.id)
                                        .order_by(SyncFailure.id.desc()).limit(20)))
        states.append(DeviceState(device, pending, failures))
    return states


# --------------------------------------------------------------------------- events

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
    site = _authorize(session, actor, site_id, "read")
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


# --------------------------------------------------------------------------- daily tick

def daily_tick(session: Session, clock: Clock, actor: Actor, day: date, *,
               customer_id: int | None = None) -> str:
    """Service periods, end-of-service warnings (6 and 1 months before, reading
    ROZ-END-WARNINGS), end of sync, the SIM's return to the manufacturer at the end of service.
    Idempotent for a date; one customer's packs only with ``customer_id``. Events past their
    site's retention are purged by the privacy room's daily purge
    (``privacy.purgers.purge_access_events``)."""
    counts = {"periods": 0, "warnings": 0, "ended": 0, "sim_returns": 0}
    for pack, site in list_packs(session):
        if customer_id is not None and pack.customer_id != customer_id:
            continue
        if _refresh_period(session, pack):
            _changed(session, clock, site, [("site", site.id, "upsert")])
            counts["periods"] += 1
        terms, _ = _pack_terms(session, pack)
        if pack.service_end is not None:
            counts["warnings"] += _warn(session, clock, actor, site, pack, terms, day)
            if day > pack.service_end and _notice(session, clock, actor, site, pack, "service_ended", day,
                                                  _sync_refusal(session, pack, day)[1],
                                                  terms.service_months.clause if terms.service_months else ""):
                counts["ended"] += 1
            counts["sim_returns"] += _flag_sim_return(session, clock, actor, site, pack, day)
    return ", ".join(f"{k}={v}" for k, v in counts.items())


def sim_items(session: Session, pack: Pack) -> list:
    """The pack's transmission module and SIM card in the equipment inventory."""
    return [item for kind in equipment_rules.LENT_WITH_THE_SIM
            for item in equipment.list_items(session, customer_id=pack.customer_id, kind=kind, limit=10_000)
            if item.subscription_id == pack.subscription_id]


def _flag_sim_return(session: Session, clock: Clock, actor: Actor, site: AccessSite, pack: Pack, day: date) -> int:
    """Once the service period is over, the transmission module and its SIM go back to the
    manufacturer, the SIM's owner (CP A art. 1 L34-42, reading the sheet's
    equipment.sim_returns_to_manufacturer): the inventory's SIM items get their return
    obligation (the equipment room's), and the administrator a notice. Once per pack."""
    _, all_terms = _pack_terms(session, pack)
    rule = all_terms.equipment.sim_returns_to_manufacturer if all_terms.equipment else None
    if rule is None or not rule.value or day <= pack.service_end:
        return 0
    flagged = 0
    for item in sim_items(session, pack):
        if item.state in equipment_rules.AT_CUSTOMER and item.return_reason is None:
            equipment.open_return(session, clock, actor, item.serial, "end_of_service",
                                  pack.service_end + timedelta(days=1))
            flagged += 1
    serials = ", ".join(i.serial for i in sim_items(session, pack) if i.return_to == "manufacturer")
    message = (f"The service period of {site.name} ended on {pack.service_end.isoformat()}: the "
               f"transmission module and its SIM card{' (' + serials + ')' if serials else ''}, lent for "
               "the service period, must be returned to the manufacturer, which owns the SIM card.")
    noticed = _notice(session, clock, actor, site, pack, "sim_return", day, message, rule.clause)
    return int(noticed or flagged > 0)


def _warn(session: Session, clock: Clock, actor: Actor, site: AccessSite, pack: Pack,
          terms: PackTerms, day: date) -> int:
    if terms.end_warnings_months_before is None or day > pack.service_end:
        return 0
    due = {m: d for m, d in rules.end_warning_dates(pack.service_end, terms.end_warnings_months_before.value).items()
           if d <= day}
    if not due:
        return 0
    months = min(due)        # a late tick sends the nearest warning only
    message = (f"The service period of {site.name} ends on {pack.service_end.isoformat()} "
               f"({months} month{'s' if months > 1 else ''} notice): after that date changes are no "
               "longer synchronised and the SIM card must be returned.")
    return int(_notice(session, clock, actor, site, pack, f"end_warning_{months}", day, message,
                       terms.end_warnings_months_before.clause))


def _notice(session: Session, clock: Clock, actor: Actor, site: AccessSite, pack: Pack, kind: str,
            day: date, message: str, clause: str) -> bool:
    """Once per site and kind: the notice shown on the site's pages, and the e-mail to the
    customer through the outbox, like every other notice (sent by the sender, retried)."""
    if session.scalar(select(SiteNotice.id).where(SiteNotice.site_id == site.id, SiteNotice.kind == kind)):
        return False
    notice = SiteNotice(site_id=site.id, kind=kind, on=day, message=message, clause=clause)
    session.add(notice)
    record(session, clock, actor, f"access.notice.{kind}", notice, f"{site.name}: {message}")
    subject, body = _notice_email(kind, site, pack, clause)
    outbox.queue(session, clock, actor, session.get(Customer, pack.customer_id), channel="email",
                 kind=f"access_{kind}", key=f"access-notice:{site.id}:{kind}", subject=subject,
                 body=body)
    return True


def _notice_email(kind: str, site: AccessSite, pack: Pack, clause: str) -> tuple[str, str]:
    """The customer's e-mail of an end-of-service notice, in French (Rozoh's customers)."""
    end = f"{pack.service_end:%d/%m/%Y}"
    if kind == "sim_return":
        return (f"Restitution du module de transmission et de sa carte SIM — {site.name}",
                f"La période de service du site {site.name} a pris fin le {end} : le module de "
                "transmission et sa carte SIM, prêtés pour la période de service, doivent être "
                f"restitués au fabricant, propriétaire de la carte SIM ({clause}).")
    if kind == "service_ended":
        return (f"Fin de la période de service — {site.name}",
                f"La période de service du site {site.name} a pris fin le {end} ({clause}) : les "
                "modifications ne sont plus synchronisées avec vos équipements et le module de "
                "transmission, avec sa carte SIM, doit être restitué.")
    months = kind.removeprefix("end_warning_")
    return (f"Votre période de service se termine le {end} — {site.name}",
            f"La période de service du site {site.name} prend fin le {end} (préavis de {months} "
            f"mois, {clause}) : après cette date, les modifications ne seront plus synchronisées "
            "avec vos équipements et le module de transmission, avec sa carte SIM, devra être restitué.")


def packs_ending(session: Session, day: date) -> dict[int, list[tuple[Pack, AccessSite]]]:
    """Packs whose service period ends within each warning horizon of their sheet (6 and 1
    months before the end, reading ROZ-END-WARNINGS), by horizon in months."""
    ending: dict[int, list[tuple[Pack, AccessSite]]] = {}
    for pack, site in list_packs(session):
        terms, _ = _pack_terms(session, pack)
        for months in (terms.end_warnings_months_before.value if terms.end_warnings_months_before else ()):
            ending.setdefault(months, [])
            if rules.ends_within(pack.service_end, day, months):
                ending[months].append((pack, site))
    return dict(sorted(ending.items(), reverse=True))


def dashboard_cards(session: Session, gettext: Callable[[str], str], clock: Clock | None = None):
    """Back-office cards: packs nearing their end, one per warning horizon (``web/dashboard.py``)."""
    from clausier.web.dashboard import Card

    day = (clock or SystemClock()).today()
    return [Card(title=gettext("Packs ending within 1 month") if months == 1 else
                 gettext("Packs ending within %(months)s months") % {"months": months},
                 figure=str(len(rows)), link=f"/access/packs?within_months={months}")
            for months, rows in packs_ending(session, day).items()]


# --------------------------------------------------------------------------- output

def record_to_dict(row: UserRecord) -> dict:
    return {"id": row.id, "site_id": row.site_id, "name": row.name, "display_name": row.display_name,
            "phone_code": row.phone_code, "main_number": row.main_number,
            "secondary_numbers": row.secondary_numbers, "app_users": row.app_users, "groups": row.groups,
            "valid_from": row.valid_from, "valid_until": row.valid_until, "suspended": row.suspended}


def credential_to_dict(row: Credential) -> dict:
    return {"id": row.id, "record_id": row.record_id, "kind": row.kind, "format": row.format,
            "bits": row.bits, "access_point_id": row.access_point_id,
            "raw": row.raw if row.kind != "keypad" else None, "displays": display_forms(row)}


def site_to_dict(session: Session, site: AccessSite, day: date) -> dict:
    status = site_status(session, site, day)
    pack = session.get(Pack, site.pack_id)
    return {"id": site.id, "name": site.name, "kind": site.kind, "country": site.country,
            "variant": pack.variant, "version": site.config_version,
            "call_timeout_seconds": site.call_timeout_seconds,
            "service": {"state": status.state.state, "start": status.state.start, "end": status.state.end,
                        "synchronised": not status.why, "why": status.why, "clause": status.clause},
            "records": status.records, "record_cap": status.cap,
            "notices": [{"kind": n.kind, "on": n.on, "message": n.message, "clause": n.clause}
                        for n in status.notices]}
