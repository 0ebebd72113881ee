"""Use cases of accounts: create users, authenticate, issue and check API tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.accounts import rules
from clausier.accounts.models import ApiToken, User
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, Forbidden, InvalidInput, NotFound

_hasher = PasswordHasher()


def create_user(session: Session, clock: Clock, actor: Actor, *, email: str, name: str,
                role: str, password: str, kind: str = "staff",
                customer_id: int | None = None) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput.on("email", f"{email!r} is not an e-mail address")
    allowed = rules.STAFF_ROLES if kind == "staff" else rules.PORTAL_ROLES
    if role not in allowed:
        raise InvalidInput.on("role", f"{role!r} is not one of {', '.join(allowed)}")
    if len(password) < 10:
        raise InvalidInput.on("password", "must have at least 10 characters")
    if session.scalar(select(User).where(User.email == email)):
        raise Conflict(f"email: a user {email} already exists")
    user = User(email=email, name=name, role=role, kind=kind, customer_id=customer_id,
                password_hash=_hasher.hash(password), created_at=clock.now())
    session.add(user)
    record(session, clock, actor, "user.create", user, f"{email} ({role})")
    return user


def ensure_user(session: Session, clock: Clock, actor: Actor, **fields) -> User:
    """Idempotent: the demo loader calls it on every ``make run``."""
    existing = session.scalar(select(User).where(User.email == fields["email"].lower()))
    return existing or create_user(session, clock, actor, **fields)


def authenticate(session: Session, clock: Clock, email: str, password: str) -> User:
    """The user if the password matches; a refusal that does not say which part was wrong."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    refused = Forbidden("login: unknown e-mail or wrong password")
    if user is None or not user.active:
        _hasher.hash(password)   # same time whether or not the user exists
        raise refused
    now = clock.now()
    if rules.locked(user.locked_until, now):
        raise Forbidden("login: too many failed attempts; try again in a few minutes")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins, user.locked_until = rules.after_failed_login(user.failed_logins, now)
        raise refused from None
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _digest(secret: str) -> str:
    # Tokens are long random secrets, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, clock: Clock, actor: Actor, user_id: int, name: str) -> str:
    """Create an API token; the clear value is returned once and never stored."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    secret = secrets.token_urlsafe(32)
    token = f"clz_{secret}"
    session.add(ApiToken(user_id=user.id, name=name, prefix=token[:12],
                         token_hash=_digest(token), created_at=clock.now()))
    record(session, clock, actor, "token.issue", user, f"token {name} for {user.email}")
    return token


def user_for_token(session: Session, clock: Clock, token: str) -> User:
    candidates = session.scalars(select(ApiToken).where(ApiToken.prefix == token[:12],
                                                        ApiToken.revoked_at.is_(None))).all()
    digest = _digest(token)
    for candidate in candidates:
        if secrets.compare_digest(candidate.token_hash, digest) and candidate.user.active:
            candidate.last_used_at = clock.now()
            return candidate.user
    raise Forbidden("authorization: invalid or revoked API token")


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))
