"""People who log in (staff now; customer users and site administrators use the same table)
and the API tokens of integrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clausier.db.base import Base
from clausier.db.types import Instant


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True, info={"personal": "contact"})
    name: Mapped[str] = mapped_column(String(200), info={"personal": "identity"})
    kind: Mapped[str] = mapped_column(String(20), default="staff")      # staff | customer | site
    role: Mapped[str] = mapped_column(String(20))                       # admin | billing | support | sales | ...
    customer_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200), info={"secret": True})
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    created_at: Mapped[datetime] = mapped_column(Instant)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12), index=True)
    token_hash: Mapped[str] = mapped_column(String(200), info={"secret": True})
    created_at: Mapped[datetime] = mapped_column(Instant)
    last_used_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")


class UserSession(Base):
    """A signed-in browser: the cookie carries its key, so that logging out, a new password or
    an administrator ends it on the server, whatever copies of the cookie exist."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"secret": True})
    started_at: Mapped[datetime] = mapped_column(Instant)
    ended_at: Mapped[datetime | None] = mapped_column(Instant, nullable=True)


class LoginThrottle(Base):
    """Failed logins counted per client address, and per account at that address; the next
    attempt waits a delay growing with the count (``accounts.rules.login_delay``)."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("scope", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))         # address | account
    # the address, or "e-mail address" for an account (typed at login, known or not)
    subject: Mapped[str] = mapped_column(String(320), info={"personal": "connection_and_usage"})
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(Instant)
