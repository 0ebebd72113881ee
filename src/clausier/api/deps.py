"""FastAPI dependencies shared by every room: the unit of work, the clock, the user."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from fastapi import BackgroundTasks, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from clausier.accounts import rules as account_rules
from clausier.accounts import service as accounts
from clausier.accounts.models import User
from clausier.audit.service import Actor
from clausier.core.clock import Clock
from clausier.core.errors import Forbidden, NotFound, Unauthenticated
from clausier.db.session import (
    WriterBusy,
    immediate_transaction,
    request_transaction,
    request_writes,
    writer_turn,
)
from clausier.web.templating import SignedIn, verify_csrf

logger = logging.getLogger(__name__)

async def request_write_turn(request: Request) -> AsyncIterator[None]:
    """A request that may write waits for its turn among the writers of this process on the
    event loop (holding no thread of the pool), and gives it back from the event loop, after
    its transaction ended (SQLite)."""
    engine = request.app.state.engine
    if not request_writes(engine, request.method):
        yield
        return
    async with writer_turn(engine):
        yield


def get_session(request: Request,
                _turn: None = Depends(request_write_turn, scope="function")) -> Iterator[Session]:
    """One transaction per request, committed *before* the answer is sent: every
    ``Depends(get_session, scope="function")`` (the default scope would commit after the answer,
    so that a client following a redirect could miss the write, or be told of a write that then
    fails). Requests that may write start as writers, in their turn (``request_write_turn``)."""
    with request_transaction(request.app.state.engine, request.method) as session:
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


# A signed-in browser session lasts this long from the login, however active it is.
SESSION_LIFETIME_SECONDS = 8 * 3600


def start_session(request: Request, clock: Clock, user: User) -> None:
    """A fresh session on login (no fixation), stamped with its start for the expiry."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["lang"] = user.language
    request.session["since"] = clock.now().timestamp()


def _session_user(request: Request, session: Session, clock: Clock) -> User | None:
    user_id = request.session.get("user_id")
    if user_id is None:
        return None
    since = request.session.get("since")
    if not isinstance(since, (int, float)) or clock.now().timestamp() - since > SESSION_LIFETIME_SECONDS:
        request.session.clear()      # expired: the next page asks for the password again
        return None
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


async def _record_token_use(engine: Engine, clock: Clock, token_id: int) -> None:
    """After the answer, in a transaction of its own (the request stayed a read), in its turn
    like a request: waiting in a thread, fifty stamps at once held every thread of the pool
    while the writer they waited for needed one."""
    try:
        async with writer_turn(engine):
            await run_in_threadpool(_stamp_token_use, engine, clock, token_id)
    except (SQLAlchemyError, WriterBusy):
        logger.warning("token %s: last use not recorded", token_id, exc_info=True)


def _stamp_token_use(engine: Engine, clock: Clock, token_id: int) -> None:
    with immediate_transaction(engine) as session:
        accounts.record_token_use(session, clock, token_id)


def _user_from_request(request: Request, session: Session, clock: Clock,
                       background: BackgroundTasks) -> User | None:
    token = _bearer(request)
    if token is not None:
        bearer = accounts.user_for_token(session, clock, token)
        user = bearer.user
        if bearer.token_id is not None:
            background.add_task(_record_token_use, request.app.state.engine, clock, bearer.token_id)
    else:
        user = _session_user(request, session, clock)
    # For the page header: a copy, readable even on an error page after the rollback.
    request.state.signed_in = SignedIn.of(user) if user is not None else None
    return user


def optional_user(request: Request, background: BackgroundTasks,
                  session: Session = Depends(get_session, scope="function"),
                  clock: Clock = Depends(get_clock)) -> User | None:
    return _user_from_request(request, session, clock, background)


def current_user(request: Request, background: BackgroundTasks,
                 session: Session = Depends(get_session, scope="function"),
                 clock: Clock = Depends(get_clock),
                 _csrf: None = Depends(csrf_for_cookie_sessions)) -> User:
    user = _user_from_request(request, session, clock, background)
    if user is None:
        raise Unauthenticated("authorization: log in or send 'Authorization: Bearer <API token>'")
    return user


def staff_user(user: User = Depends(current_user)) -> User:
    if user.kind != "staff":
        # Portal users must not even learn that staff routes exist for some objects.
        raise NotFound("not found")
    return user


def customer_user(user: User = Depends(current_user)) -> User:
    """A user of the customer portal, bound to one customer; anyone else is told "not found"."""
    if user.kind != "customer" or user.customer_id is None:
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

    @property
    def customer_id(self) -> int | None:
        """The customer a portal user is bound to (None for staff)."""
        return self.user.customer_id

    def require_write(self, area: str) -> None:
        if not account_rules.may_write(self.user.role, area):
            raise Forbidden(f"role: {self.user.role} may not change {area}")


def staff_ctx(session: Session = Depends(get_session, scope="function"), clock: Clock = Depends(get_clock),
              user: User = Depends(staff_user)) -> Ctx:
    return Ctx(session=session, clock=clock, user=user)


def user_ctx(session: Session = Depends(get_session, scope="function"), clock: Clock = Depends(get_clock),
             user: User = Depends(current_user)) -> Ctx:
    return Ctx(session=session, clock=clock, user=user)


def customer_ctx(session: Session = Depends(get_session, scope="function"), clock: Clock = Depends(get_clock),
                 user: User = Depends(customer_user)) -> Ctx:
    """The customer portal: ``ctx.customer_id`` is the only customer the request may see."""
    return Ctx(session=session, clock=clock, user=user)
