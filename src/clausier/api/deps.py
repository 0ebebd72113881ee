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
from clausier.core.errors import Forbidden, NotFound, Unauthenticated
from clausier.db.session import transaction
from clausier.web.templating import SignedIn, verify_csrf


def get_session(request: Request) -> Iterator[Session]:
    with transaction(request.app.state.engine) as session:
        yield session


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def csrf_for_cookie_sessions(request: Request) -> None:
    """A write authenticated by the session cookie (a browser) must carry the CSRF token, whether
    it is a form or an API call; bearer tokens are never sent by a browser on its own."""
    if _bearer(request) is None and request.session.get("user_id") is not None:
        await verify_csrf(request)


def _user_from_request(request: Request, session: Session, clock: Clock) -> User | None:
    token = _bearer(request)
    if token is not None:
        user = accounts.user_for_token(session, clock, token)
    else:
        user_id = request.session.get("user_id")
        user = session.get(User, user_id) if user_id is not None else None
        if user is not None and not user.active:
            user = None
    request.state.user = SignedIn.of(user) if user is not None else None   # for the page header
    return user


def optional_user(request: Request, session: Session = Depends(get_session),
                  clock: Clock = Depends(get_clock)) -> User | None:
    return _user_from_request(request, session, clock)


def current_user(request: Request, session: Session = Depends(get_session),
                 clock: Clock = Depends(get_clock),
                 _csrf: None = Depends(csrf_for_cookie_sessions)) -> User:
    user = _user_from_request(request, session, clock)
    if user is None:
        raise Unauthenticated("authorization: log in or send 'Authorization: Bearer <API token>'")
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
        return accounts.actor_for(self.user)

    def require_write(self, area: str) -> None:
        if not account_rules.may_write(self.user.role, area):
            raise Forbidden(f"role: {self.user.role} may not change {area}")


def staff_ctx(session: Session = Depends(get_session), clock: Clock = Depends(get_clock),
              user: User = Depends(staff_user)) -> Ctx:
    return Ctx(session=session, clock=clock, user=user)


def user_ctx(session: Session = Depends(get_session), clock: Clock = Depends(get_clock),
             user: User = Depends(current_user)) -> Ctx:
    return Ctx(session=session, clock=clock, user=user)
