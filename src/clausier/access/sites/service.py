"""The access-control sites: who may act on them (``authorize``: staff with the ``access``
write right do everything; a site administrator does everything on their site; a delegate only
what their scopes allow, 403 otherwise; another site's objects do not exist for them, 404), their
people (administrator, invited delegates), their settings, and their versions: every change of
what devices hold goes through ``new_version`` (new site version + change log)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clausier.access import push, rules
from clausier.access.models import AccessSite, ConfigChange, Pack, SiteInvitation, SiteMember
from clausier.accounts import facts as account_facts
from clausier.accounts import rules as account_rules
from clausier.accounts import service as accounts
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, Forbidden, InvalidInput, NotAllowed, NotFound
from clausier.core.message import msg
from clausier.core.settings import Settings
from clausier.notifications.outbox import SmtpMailer

SCOPES = ("read_only", "manage_records", "manage_credentials")
# Platform setting (the seed sets no figure): call timeout bounds.
CALL_TIMEOUT_RANGE = (5, 120)


def authorize(session: Session, actor: Actor, site_id: int, need: str) -> AccessSite:
    """The site if ``actor`` may do ``need`` on it; 404 if it is not theirs, 403 if their
    scopes do not allow it."""
    site = session.get(AccessSite, site_id)
    if actor.role in account_rules.STAFF_ROLES:
        if site is None:
            raise NotFound(f"site {site_id} not found", resource="access_site")
        if need != "read" and not account_rules.may_write(actor.role, "access"):
            raise Forbidden(f"role: {actor.role} may not change access-control sites")
        return site
    member = None
    if site is not None and actor.user_id is not None:
        member = session.scalar(select(SiteMember).where(SiteMember.site_id == site_id,
                                                         SiteMember.user_id == actor.user_id))
    if member is None:
        raise NotFound(f"site {site_id} not found", resource="access_site")
    if account_rules.site_member_may(member.role, member.scopes, need):
        return site
    raise Forbidden(f"scope: your delegation on {site.name} does not include {need}")


def get_site(session: Session, actor: Actor, site_id: int) -> AccessSite:
    return authorize(session, actor, site_id, "read")


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


def owned(session: Session, model, object_id: int, site: AccessSite, label: str):
    """The site's row of ``model``; another site's rows do not exist (404)."""
    row = session.get(model, object_id)
    if row is None or row.site_id != site.id:
        raise NotFound(f"{label} {object_id} not found on site {site.id}")
    return row


# The sites a session changed, whose new snapshot is built once it commits (``sync.builds``).
CHANGED_SITES = "access_changed_sites"


def new_version(session: Session, clock: Clock, site: AccessSite,
                changes: list[tuple[str, int, str]]) -> int:
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
    session.info.setdefault(CHANGED_SITES, set()).add(site.id)
    return version


def secret_digest(secret: str) -> str:
    # Long random secrets: a fast hash is enough (nothing to guess from a dictionary).
    return hashlib.sha256(secret.encode()).hexdigest()


def staff_writer(actor: Actor, what: str) -> None:
    """403 unless ``actor`` is operator staff with the ``access`` write right."""
    if actor.role not in account_rules.STAFF_ROLES or not account_rules.may_write(actor.role, "access"):
        raise Forbidden(f"role: only operator staff with the access right {what}")


def check_timeout(seconds: int) -> None:
    low, high = CALL_TIMEOUT_RANGE
    if not low <= seconds <= high:
        raise InvalidInput.on("call_timeout_seconds", f"must be {low}-{high} seconds",
                              code=rules.Refused.site_call_timeout_out_of_range)


def set_call_timeout(session: Session, clock: Clock, actor: Actor, site_id: int, seconds: int) -> AccessSite:
    site = authorize(session, actor, site_id, "admin")
    check_timeout(seconds)
    before = site.call_timeout_seconds
    site.call_timeout_seconds = seconds
    new_version(session, clock, site, [("site", site.id, "upsert")])
    record(session, clock, actor, "access.site.timeout", site, f"{site.name}: {before} → {seconds} s")
    return site


def set_event_retention(session: Session, clock: Clock, actor: Actor, site_id: int,
                        months: int | None) -> AccessSite:
    """The administrator (data controller, CP A art. 3 L266-269) may keep events for a
    different period; None returns to the sheet's default."""
    site = authorize(session, actor, site_id, "admin")
    if months is not None and not 1 <= months <= 120:
        raise InvalidInput.on("months", "must be 1-120",
                              code=rules.Refused.site_event_retention_out_of_range)
    before = site.event_retention_months
    site.event_retention_months = months
    record(session, clock, actor, "access.site.retention", site, f"{site.name}: {before} → {months}")
    return site


# An invitation not accepted within this period must be sent again (platform setting).
INVITATION_LIFETIME = timedelta(days=7)


def invite_delegate(session: Session, clock: Clock, actor: Actor, site_id: int, *, email: str,
                    scopes: list[str]) -> tuple[SiteInvitation, str]:
    """The administrator gives employees or third parties access (CP A art. 3 L260-263) by
    inviting them: nobody is attached to the site until the invitee accepts, and the answer is
    the same whether the e-mail has an account or not. Returns the invitation and its secret,
    for the invitee's mail only (``send_invitation``)."""
    site = authorize(session, actor, site_id, "admin")
    _check_scopes(scopes)
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput.on("email", f"{email!r} is not an e-mail address",
                              code=rules.Refused.site_member_email_malformed)
    secret = secrets.token_urlsafe(32)
    invitation = SiteInvitation(site_id=site.id, email=email, scopes=list(scopes),
                                token_hash=secret_digest(secret), invited_at=clock.now())
    session.add(invitation)
    record(session, clock, actor, "access.delegate.invite", invitation,
           msg("{site}: {email} invited with {scopes}", site=site.name, email=email,
               scopes=", ".join(scopes)))
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
        SiteInvitation.token_hash == secret_digest(secret.strip())))
    if (invitation is None or invitation.accepted_at is not None
            or clock.now() - invitation.invited_at > INVITATION_LIFETIME):
        raise NotFound("secret: unknown, used or expired invitation", resource="invitation")
    site = session.get(AccessSite, invitation.site_id)
    actor = Actor(name=f"invitation:{invitation.email}", role="site_delegate")
    try:
        user = accounts.get_user_by_email(session, invitation.email)
    except NotFound:
        user = accounts.create_user(session, clock, actor, email=invitation.email, name=name,
                                    role="site_delegate", password=password, kind="site",
                                    customer_id=session.get(Pack, site.pack_id).customer_id)
    else:
        if user.kind != "site":
            raise NotAllowed(f"email: the account of {user.email} is not a site-portal account; "
                             f"ask for an invitation to another address",
                             code=rules.Refused.site_member_not_a_portal_account)
        if not accounts.password_matches(user, password):
            raise InvalidInput.on("password", f"not the password of the account of {user.email}",
                                  code=rules.Refused.site_member_wrong_password)
    if session.scalar(select(SiteMember.id).where(SiteMember.site_id == site.id,
                                                  SiteMember.user_id == user.id)):
        raise Conflict(f"email: {user.email} already has access to {site.name}",
                       code=rules.Refused.site_member_already_added)
    member = SiteMember(site_id=site.id, user_id=user.id, role="delegate",
                        scopes=list(invitation.scopes), created_at=clock.now())
    session.add(member)
    invitation.accepted_at = clock.now()
    record(session, clock, actor, "access.delegate.add", member,
           msg("{site}: {email} with {scopes}", site=site.name, email=user.email,
               scopes=", ".join(member.scopes)))
    return member


def _check_scopes(scopes: list[str]) -> None:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidInput.on("scopes", f"choose among {', '.join(SCOPES)}",
                              code=rules.Refused.site_member_scope_unknown)


def set_delegate_scopes(session: Session, clock: Clock, actor: Actor, site_id: int, member_id: int,
                        scopes: list[str]) -> SiteMember:
    site = authorize(session, actor, site_id, "admin")
    member = owned(session, SiteMember, member_id, site, "delegate")
    if member.role != "delegate":
        raise NotAllowed("scopes: the administrator has every right on the site",
                         code=rules.Refused.site_admin_scopes_fixed)
    _check_scopes(scopes)
    before = list(member.scopes)
    member.scopes = list(scopes)
    record(session, clock, actor, "access.delegate.scopes", member, f"{site.name}: {before} → {scopes}",
           {"scopes": [before, scopes]})
    return member


def remove_delegate(session: Session, clock: Clock, actor: Actor, site_id: int, member_id: int) -> None:
    site = authorize(session, actor, site_id, "admin")
    member = owned(session, SiteMember, member_id, site, "delegate")
    if member.role != "delegate":
        raise NotAllowed("delegate: the administrator cannot be removed (the operator's contact)",
                         code=rules.Refused.site_admin_not_removable)
    record(session, clock, actor, "access.delegate.remove", member, msg("{site}: user {id}", site=site.name,
                                                                       id=member.user_id))
    session.delete(member)


def members(session: Session, actor: Actor, site_id: int
            ) -> list[tuple[SiteMember, account_facts.UserIdentity]]:
    """The site's administrator and delegates, each with who they are."""
    site = authorize(session, actor, site_id, "read")
    rows = session.scalars(select(SiteMember).where(SiteMember.site_id == site.id)
                           .order_by(SiteMember.id)).all()
    users = account_facts.user_identities(session, [member.user_id for member in rows])
    return [(member, users[member.user_id]) for member in rows if member.user_id in users]
