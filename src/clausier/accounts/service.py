"""Use cases of accounts: create users, authenticate, issue and check API tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, delete, event, inspect, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached

from clausier.accounts import rules
from clausier.accounts.models import ApiToken, LoginThrottle, User, UserSession
from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from clausier.db.lookup import get_or_not_found
from clausier.core.message import msg

_hasher = PasswordHasher()


def create_user(session: Session, clock: Clock, actor: Actor, *, email: str, name: str,
                role: str, password: str, kind: str = "staff",
                customer_id: int | None = None) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput.on("email", f"{email!r} is not an e-mail address",
                              code="user_email_malformed")
    allowed = rules.STAFF_ROLES if kind == "staff" else rules.PORTAL_ROLES
    if role not in allowed:
        raise InvalidInput.on("role", f"{role!r} is not one of {', '.join(allowed)}",
                              code="user_role_unknown")
    _check_password(password)
    if session.scalar(select(User).where(User.email == email)):
        raise Conflict(f"email: a user {email} already exists", code="user_already_exists")
    user = User(email=email, name=name, role=role, kind=kind, customer_id=customer_id,
                password_hash=_hasher.hash(password), created_at=clock.now())
    session.add(user)
    record(session, clock, actor, "user.create", user, f"{email} ({role})")
    return user


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise InvalidInput.on("password", "must have at least 10 characters",
                              code="user_password_too_short")


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
        raise NotFound(f"email: no user {email}", resource="user")
    return user


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of a login: the user, or a refusal; ``retry_after`` is set when earlier
    failures make the attempt wait (it was not checked). A refusal is a result, not an
    exception, so that the failure count it wrote is committed."""

    user: User | None
    retry_after: timedelta | None = None


@functools.cache
def _unknown_hash() -> str:
    """What an unknown e-mail's password is checked against, so that it costs what a real
    account's check costs (the answer's time tells nothing either)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(session: Session, clock: Clock, email: str, password: str,
                 address: str) -> LoginAttempt:
    """Check a password from the client at ``address``. Failures are counted per address and
    per e-mail at that address, and make the next attempt wait longer each time
    (``rules.login_delay``); an e-mail with no account is counted and answered the same."""
    email, now = email.strip().lower()[:254], clock.now()
    subjects = {"address": address, "account": f"{email} {address}"}
    throttles = {t.scope: t for t in session.scalars(select(LoginThrottle).where(or_(*(
        and_(LoginThrottle.scope == scope, LoginThrottle.subject == subject)
        for scope, subject in subjects.items()))))}
    wait = max((rules.retry_after(t.scope, t.failures, t.last_failed_at, now)
                for t in throttles.values()), default=timedelta(0))
    if wait:
        return LoginAttempt(None, retry_after=wait)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and not user.active:
        user = None
    try:
        _hasher.verify(user.password_hash if user else _unknown_hash(), password)
    except (VerificationError, InvalidHashError):
        for scope, subject in subjects.items():
            known = throttles.get(scope)
            failures = rules.failures_after(known.failures if known else 0,
                                            known.last_failed_at if known else None, now)
            _count_failure(session, scope, subject, failures, now)
        if user is not None:
            record(session, clock, actor_for(user), "user.login_failed", user,
                   msg("{email}: wrong password", email=user.email))
        return LoginAttempt(None)
    if "account" in throttles:
        session.delete(throttles["account"])
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    record(session, clock, actor_for(user), "user.login", user, user.email)
    return LoginAttempt(user)


def _count_failure(session: Session, scope: str, subject: str, failures: int,
                   now: datetime) -> None:
    """Insert or update the throttle in one statement: two failures at once never collide on
    the unique key (SQLite and PostgreSQL share the ``ON CONFLICT`` syntax)."""
    insert = (postgresql_insert if session.get_bind().dialect.name == "postgresql"
              else sqlite_insert)(LoginThrottle)
    session.execute(insert.values(scope=scope, subject=subject, failures=failures,
                                  last_failed_at=now)
                    .on_conflict_do_update(index_elements=["scope", "subject"],
                                           set_={"failures": failures, "last_failed_at": now}))


def forget_stale_logins(session: Session, clock: Clock, actor: Actor, day) -> str:
    """Daily step: failures past ``FAILURE_MEMORY`` no longer count and sessions past their
    lifetime no longer serve; both are deleted rather than kept (addresses and e-mails)."""
    now = clock.now()
    throttles = session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failed_at < now - rules.FAILURE_MEMORY)).rowcount
    sessions = session.execute(delete(UserSession).where(
        UserSession.started_at < now - rules.SESSION_LIFETIME)).rowcount
    return msg("{throttles} login throttle(s) and {sessions} browser session(s) forgotten",
               throttles=throttles, sessions=sessions)


# --------------------------------------------------------------------------- browser sessions


def open_session(session: Session, clock: Clock, user: User) -> str:
    """A new signed-in browser for ``user``; the key returned goes in its cookie only."""
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, key_hash=_digest(key), started_at=clock.now()))
    return key


def user_for_session(session: Session, clock: Clock, key: str) -> User | None:
    """The user of a browser session still open and within its lifetime, else None."""
    row = session.scalar(select(UserSession).where(UserSession.key_hash == _digest(key)))
    if row is None or row.ended_at is not None or rules.session_expired(row.started_at,
                                                                        clock.now()):
        return None
    user = session.get(User, row.user_id)
    return user if user.active else None


def end_session(session: Session, clock: Clock, key: str) -> None:
    """Logging out: the session ends on the server, so a copy of the cookie is worth nothing."""
    session.execute(update(UserSession).where(UserSession.key_hash == _digest(key),
                                              UserSession.ended_at.is_(None))
                    .values(ended_at=clock.now()))


def end_sessions(session: Session, clock: Clock, actor: Actor, user_id: int) -> int:
    """End every open browser session of a user (its own request or an administrator's);
    returns how many were open."""
    user = session.get(User, user_id)
    if user is None or (user.id != actor.user_id and actor.role != "admin"):
        raise NotFound(f"user {user_id} not found", resource="user")
    ended = session.execute(update(UserSession).where(UserSession.user_id == user.id,
                                                      UserSession.ended_at.is_(None))
                            .values(ended_at=clock.now())).rowcount
    record(session, clock, actor, "user.sessions_end", user, msg("{email}: {n} ended", email=user.email, n=ended))
    return ended


def set_password(session: Session, clock: Clock, actor: Actor, user_id: int,
                 password: str) -> User:
    """A new password (its own user or an administrator): every browser signed in with the
    old one is signed out."""
    _check_password(password)
    user = session.get(User, user_id)
    if user is None or (user.id != actor.user_id and actor.role != "admin"):
        raise NotFound(f"user {user_id} not found", resource="user")
    user.password_hash = _hasher.hash(password)
    record(session, clock, actor, "user.password", user, user.email)
    end_sessions(session, clock, actor, user.id)
    return user


def password_matches(user: User, password: str) -> bool:
    """Whether ``password`` is the user's (an account's consent, e.g. to join a site)."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(secret: str) -> str:
    # Tokens are long random secrets, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, clock: Clock, actor: Actor, user_id: int,
                name: str) -> tuple[ApiToken, str]:
    """Create an API token; the clear value is returned once and never stored."""
    user = get_or_not_found(session, User, user_id, resource="user")
    name = name.strip()
    if not name:
        raise InvalidInput.on("name", "give the token a label", code="api_token_name_missing")
    secret = f"clz_{secrets.token_urlsafe(32)}"
    token = ApiToken(user_id=user.id, name=name, prefix=secret[:12], token_hash=_digest(secret),
                     created_at=clock.now())
    session.add(token)
    record(session, clock, actor, "token.issue", token, msg("token {name} for {email}", name=name,
                                                                     email=user.email))
    return token, secret


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.id)))


def revoke_token(session: Session, clock: Clock, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token: its own user or an admin may do it; revoking twice changes nothing."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and actor.role != "admin"):
        raise NotFound(f"token {token_id} not found", resource="api_token")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        record(session, clock, actor, "token.revoke", token,
               msg("token {name} of {email}", name=token.name, email=token.user.email))
    # Refused at once in this process: forgotten now, and again once the revocation is committed
    # (a request of another thread may have read the token before).
    _checked_tokens.forget(token.id)
    event.listen(session, "after_commit", lambda _s: _checked_tokens.forget(token.id), once=True)
    return token


@dataclass(frozen=True)
class TokenBearer:
    """The user of a valid API token; ``token_id`` when the token's last use is to be recorded
    (``record_token_use``, in a transaction of its own), else None."""

    user: User
    token_id: int | None


# A token checked in the database is trusted by the process that checked it for this long
# (bearer reads need no query for it): revoking it is refused at once in the process that revoked
# it, and within this time in the other processes (``clausier serve`` workers).
TOKEN_CHECK_TTL = timedelta(seconds=30)
TOKEN_CHECK_ENTRIES = 4096


@dataclass
class _CheckedToken:
    token_id: int
    user: User                          # detached, column values only: merged into each session
    checked_at: datetime
    last_used_at: datetime | None       # as recorded, or as asked to be recorded


class _CheckedTokens:
    """The tokens this process checked lately, by digest (never the token itself), oldest first;
    shared by the threads of the process."""

    def __init__(self, ttl: timedelta, entries: int) -> None:
        self._ttl, self._entries = ttl, entries
        self._by_digest: OrderedDict[str, _CheckedToken] = OrderedDict()
        self._lock = threading.Lock()
        self._forgotten = 0          # a check read before a revocation is not kept after it

    def generation(self) -> int:
        return self._forgotten

    def get(self, digest: str, now: datetime) -> tuple[User, int | None] | None:
        """The cached user and the token's id if its last use is to be recorded now."""
        with self._lock:
            entry = self._by_digest.get(digest)
            if entry is None:
                return None
            if not timedelta(0) <= now - entry.checked_at < self._ttl:
                del self._by_digest[digest]
                return None
            stale = rules.token_use_is_stale(entry.last_used_at, now)
            if stale:
                entry.last_used_at = now
            return entry.user, entry.token_id if stale else None

    def keep(self, digest: str, entry: _CheckedToken, generation: int) -> None:
        with self._lock:
            if generation != self._forgotten:
                return
            self._by_digest[digest] = entry
            self._by_digest.move_to_end(digest)
            while len(self._by_digest) > self._entries:
                self._by_digest.popitem(last=False)

    def forget(self, token_id: int) -> None:
        with self._lock:
            self._forgotten += 1
            for digest in [d for d, e in self._by_digest.items() if e.token_id == token_id]:
                del self._by_digest[digest]

    def clear(self) -> None:
        with self._lock:
            self._forgotten += 1
            self._by_digest.clear()


_checked_tokens = _CheckedTokens(TOKEN_CHECK_TTL, TOKEN_CHECK_ENTRIES)


def _detached_copy(user: User) -> User:
    """The user's columns in an instance of no session, as if loaded: ``Session.merge(...,
    load=False)`` then places a copy in a request's session without a query."""
    copy = User(**{column.key: getattr(user, column.key)
                   for column in inspect(User).column_attrs})
    make_transient_to_detached(copy)
    return copy


def checked_token_bearer(session: Session, clock: Clock, token: str) -> TokenBearer | None:
    """The bearer of a token this process checked within ``TOKEN_CHECK_TTL``, placed in the
    session without a query (no I/O: callable from the event loop); None when the token is to
    be read (``user_for_token``)."""
    cached = _checked_tokens.get(_digest(token), clock.now())
    if cached is None:
        return None
    user, token_id = cached
    return TokenBearer(session.merge(user, load=False), token_id)


def user_for_token(session: Session, clock: Clock, token: str) -> TokenBearer:
    """Check an API token (reads only); a token checked within ``TOKEN_CHECK_TTL`` by this
    process is not read again."""
    bearer = checked_token_bearer(session, clock, token)
    if bearer is not None:
        return bearer
    digest, now = _digest(token), clock.now()
    generation = _checked_tokens.generation()
    candidates = session.scalars(select(ApiToken).where(ApiToken.prefix == token[:12],
                                                        ApiToken.revoked_at.is_(None))).all()
    for candidate in candidates:
        if secrets.compare_digest(candidate.token_hash, digest) and candidate.user.active:
            stale = rules.token_use_is_stale(candidate.last_used_at, now)
            _checked_tokens.keep(digest, _CheckedToken(
                candidate.id, _detached_copy(candidate.user), now,
                now if stale else candidate.last_used_at), generation)
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
