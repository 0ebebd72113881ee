"""FastAPI dependencies shared by every room: the unit of work, the clock, the user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from clausier.accounts import rules as account_rules
from clausier.accounts import service as accounts
from clausier.accounts.models import User
from clausier.audit.service import Actor
from clausier.core.clock import Clock
from clausier.core.errors import Forbidden, NotFound
from clausier.db.session import transaction


def get_session(request: Request) -> Iterator[Session]:
    with transaction(request.app.state.engine) as session:
        yield session


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


def _user_from_request(request: Request, session: Session, clock: Clock) -> User | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return accounts.user_for_token(session, clock, header[7:].strip())
    user_id = request.session.get("user_id") if "session" in request.scope else None
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def optional_user(request: Request, session: Session = Depends(get_session),
                  clock: Clock = Depends(get_clock)) -> User | None:
    return _user_from_request(request, session, clock)


def current_user(request: Request, session: Session = Depends(get_session),
                 clock: Clock = Depends(get_clock)) -> User:
    user = _user_from_request(request, session, clock)
    if user is None:
        raise Forbidden("authorization: log in or send 'Authorization: Bearer <API token>'")
    return user


def staff_user(user: User = Depends(current_user)) -> User:
    if user.kind != "staff":
        # Portal users must not even learn that staff routes exist for some objects.
        raise NotFound("not found")
    return user


@dataclass
class Ctx:
    """What a use case needs from a request: session, clock and the acting user."""

    session: Session
    clock: Clock
    user: User

    @property
    def actor(self) -> Actor:
        return Actor(name=self.user.email, role=self.user.role, user_id=self.user.id,
                     customer_id=self.user.customer_id)

    def require_write(self, area: str) -> None:
        if not account_rules.may_write(self.user.role, area):
            raise Forbidden(f"role: {self.user.role} may not change {area}")


def staff_ctx(session: Session = Depends(get_session), clock: Clock = Depends(get_clock),
              user: User = Depends(staff_user)) -> Ctx:
    return Ctx(session=session, clock=clock, user=user)


def user_ctx(session: Session = Depends(get_session), clock: Clock = Depends(get_clock),
             user: User = Depends(current_user)) -> Ctx:
    return Ctx(session=session, clock=clock, user=user)
