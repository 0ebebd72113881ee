"""Use cases of accounts: create users, authenticate, issue and check API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from clausier.accounts import rules
from clausier.accounts.models import ApiToken, User
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated

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


def actor_for(user: User) -> Actor:
    """The audit actor of a logged-in user."""
    return Actor(name=user.email, role=user.role, user_id=user.id, customer_id=user.customer_id)


def get_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"email: no user {email}")
    return user


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of a login: the user, or a refusal (``locked`` says whether it is a lockout).

    A refusal is a result, not an exception, so that the failure count it wrote is committed."""

    user: User | None
    locked: bool = False


def authenticate(session: Session, clock: Clock, email: str, password: str) -> LoginAttempt:
    """Check a password; count failures and lock the account after ``MAX_FAILED_LOGINS``.
    A refusal does not say whether the e-mail or the password was wrong."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        _hasher.hash(password)   # same time whether or not the user exists
        return LoginAttempt(None)
    now = clock.now()
    if rules.locked(user.locked_until, now):
        return LoginAttempt(None, locked=True)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins, user.locked_until = rules.after_failed_login(user.failed_logins, now)
        locked = user.locked_until is not None
        record(session, clock, actor_for(user), "user.lock" if locked else "user.login_failed",
               user, f"{user.email}: wrong password" + (", account locked" if locked else ""))
        return LoginAttempt(None, locked=locked)
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    record(session, clock, actor_for(user), "user.login", user, user.email)
    return LoginAttempt(user)


def _digest(secret: str) -> str:
    # Tokens are long random secrets, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, clock: Clock, actor: Actor, user_id: int,
                name: str) -> tuple[ApiToken, str]:
    """Create an API token; the clear value is returned once and never stored."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    name = name.strip()
    if not name:
        raise InvalidInput.on("name", "give the token a label")
    secret = f"clz_{secrets.token_urlsafe(32)}"
    token = ApiToken(user_id=user.id, name=name, prefix=secret[:12], token_hash=_digest(secret),
                     created_at=clock.now())
    session.add(token)
    record(session, clock, actor, "token.issue", token, f"token {name} for {user.email}")
    return token, secret


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.id)))


def revoke_token(session: Session, clock: Clock, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token: its own user or an admin may do it; revoking twice changes nothing."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and actor.role != "admin"):
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        record(session, clock, actor, "token.revoke", token,
               f"token {token.name} of {token.user.email}")
    return token


@dataclass(frozen=True)
class TokenBearer:
    """The user of a valid API token; ``token_id`` when the token's last use is to be recorded
    (``record_token_use``, in a transaction of its own), else None."""

    user: User
    token_id: int | None


def user_for_token(session: Session, clock: Clock, token: str) -> TokenBearer:
    """Check an API token (reads only)."""
    candidates = session.scalars(select(ApiToken).where(ApiToken.prefix == token[:12],
                                                        ApiToken.revoked_at.is_(None))).all()
    digest = _digest(token)
    for candidate in candidates:
        if secrets.compare_digest(candidate.token_hash, digest) and candidate.user.active:
            stale = rules.token_use_is_stale(candidate.last_used_at, clock.now())
            return TokenBearer(candidate.user, candidate.id if stale else None)
    raise Unauthenticated("authorization: invalid or revoked API token")


def record_token_use(session: Session, clock: Clock, token_id: int) -> None:
    """Stamp a token's last use, unless another call stamped it within the minute. Not audited:
    bookkeeping."""
    now = clock.now()
    session.execute(update(ApiToken).where(
        ApiToken.id == token_id,
        or_(ApiToken.last_used_at.is_(None),
            ApiToken.last_used_at <= now - rules.TOKEN_USE_RESOLUTION))
        .values(last_used_at=now))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))
