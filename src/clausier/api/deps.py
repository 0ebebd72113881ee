"""FastAPI dependencies shared by every room: the unit of work, the clock, the user."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass

from anyio import CancelScope, CapacityLimiter, to_thread
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
    ends_without_io,
    immediate_transaction,
    request_transaction,
    request_writes,
    writer_turn,
)
from clausier.web.templating import SignedIn, verify_csrf

logger = logging.getLogger(__name__)

async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, committed *before* the answer is sent: every
    ``Depends(get_session, scope="function")`` (the default scope would commit after the answer,
    so that a client following a redirect could miss the write, or be told of a write that then
    fails). A request that may write starts as a writer, in its turn: it waits for it among the
    writers of this process on the event loop (holding no thread of the pool), and gives it back
    from the event loop after its transaction ended (SQLite)."""
    engine = request.app.state.engine
    turn = writer_turn(engine) if request_writes(engine, request.method) else nullcontext()
    async with turn, _unit_of_work(engine, request.method) as session:
        yield session


@asynccontextmanager
async def _unit_of_work(engine: Engine, method: str) -> AsyncIterator[Session]:
    """A request's unit of work. A reader's starts on the event loop (no I/O: its connection is
    taken by its first statement, in the thread that runs it), a thread hop fewer per read; a
    writer's in a thread (SQLite: ``BEGIN IMMEDIATE`` may wait). It ends in a thread (COMMIT),
    shielded from cancellation and outside the pool's limit, as FastAPI's
    ``contextmanager_in_threadpool`` does; on the event loop when it sends nothing to the
    database (``ends_without_io``: most reads on PostgreSQL)."""
    unit = request_transaction(engine, method)
    session = (await run_in_threadpool(unit.__enter__) if request_writes(engine, method)
               else unit.__enter__())
    try:
        yield session
    except BaseException as error:
        with CancelScope(shield=True):
            suppressed = await to_thread.run_sync(unit.__exit__, type(error), error,
                                                  error.__traceback__, limiter=CapacityLimiter(1))
        if not suppressed:
            raise
    else:
        if ends_without_io(session):
            unit.__exit__(None, None, None)
            return
        with CancelScope(shield=True):
            await to_thread.run_sync(unit.__exit__, None, None, None, limiter=CapacityLimiter(1))


# Dependencies that neither read nor wait are ``async def``: FastAPI runs a plain ``def`` one in
# a thread of the pool, a hop that costs more than the work (a request has five or six).
async def get_clock(request: Request) -> Clock:
    return request.app.state.clock


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def csrf_for_cookie_sessions(request: Request) -> None:
    """A write authenticated by the session cookie (a browser) must carry the CSRF token, whether
    it is a form or an API call; bearer tokens are never sent by a browser on its own."""
    if _bearer(request) is None and request.session.get("user_id") is not None:
        await verify_csrf(request)


def start_session(request: Request, session: Session, clock: Clock, user: User) -> None:
    """A fresh session on login (no fixation), kept on the server (``accounts.UserSession``):
    the cookie carries its key, which logging out or a new password ends."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["lang"] = user.language
    request.session["key"] = accounts.open_session(session, clock, user)


def end_session(request: Request, session: Session, clock: Clock) -> None:
    key = request.session.get("key")
    if isinstance(key, str):
        accounts.end_session(session, clock, key)
    request.session.clear()


def _session_user(request: Request, session: Session, clock: Clock) -> User | None:
    if request.session.get("user_id") is None:
        return None
    key = request.session.get("key")
    user = accounts.user_for_session(session, clock, key) if isinstance(key, str) else None
    if user is None:
        request.session.clear()      # ended or expired: the next page asks for the password
    return user


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


def user_from_request(request: Request, session: Session, clock: Clock,
                      background: BackgroundTasks) -> User | None:
    token = _bearer(request)
    if token is not None:
        return _bearer_user(request, clock, background,
                            accounts.user_for_token(session, clock, token))
    user = _session_user(request, session, clock)
    # For the page header: a copy, readable even on an error page after the rollback.
    request.state.signed_in = SignedIn.of(user) if user is not None else None
    return user


def _bearer_user(request: Request, clock: Clock, background: BackgroundTasks,
                 bearer: accounts.TokenBearer) -> User:
    if bearer.token_id is not None:
        background.add_task(_record_token_use, request.app.state.engine, clock, bearer.token_id)
    request.state.signed_in = SignedIn.of(bearer.user)
    return bearer.user


async def _request_user(request: Request, session: Session, background: BackgroundTasks
                        ) -> User | None:
    """The user, on the event loop for a bearer token this process checked lately (no query:
    most API requests); in a thread when it has to be read."""
    clock, token = request.app.state.clock, _bearer(request)
    bearer = accounts.checked_token_bearer(session, clock, token) if token is not None else None
    if bearer is not None:
        return _bearer_user(request, clock, background, bearer)
    return await run_in_threadpool(user_from_request, request, session, clock, background)


# The user's dependencies take the clock from the app and check CSRF themselves rather than
# through ``Depends``: FastAPI's solving costs each dependency of a request ~45 µs.
async def optional_user(request: Request, background: BackgroundTasks,
                        session: Session = Depends(get_session, scope="function")
                        ) -> User | None:
    return await _request_user(request, session, background)


def signed_in(user: User | None) -> User:
    if user is None:
        raise Unauthenticated("authorization: log in or send 'Authorization: Bearer <API token>'")
    return user


async def current_user(request: Request, background: BackgroundTasks,
                       session: Session = Depends(get_session, scope="function")) -> User:
    await csrf_for_cookie_sessions(request)
    return signed_in(await _request_user(request, session, background))


def entering(area: str, user: User) -> User:
    """The user if its kind may enter ``area`` (``accounts.rules.AUDIENCES``); anyone else is
    told "not found", so that it does not even learn the route exists for some objects."""
    if not account_rules.may_enter(user.role, user.kind, area):
        raise NotFound("not found")
    return user


def staff_user(user: User = Depends(current_user)) -> User:
    return entering("back_office", user)


def customer_user(user: User = Depends(current_user)) -> User:
    """A user of the customer portal, bound to one customer; anyone else is told "not found"."""
    return entering("customer_portal", user)


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
        """The customer a customer's user is bound to; None for staff (every customer). Anyone
        else (a site user, whose account carries its pack's customer) acts for no customer."""
        reach = account_rules.reach_of(self.user.role, self.user.kind)
        if reach is account_rules.Reach.STAFF:
            return None
        if reach is account_rules.Reach.CUSTOMER and self.user.customer_id is not None:
            return self.user.customer_id
        raise NotFound("not found")

    def require_write(self, area: str) -> None:
        if not account_rules.may_write(self.user.role, area):
            raise Forbidden(f"role: {self.user.role} may not change {area}")


def ctx_for(area: str):
    """The dependency giving a route of ``area`` its ``Ctx``: the one place where routes are
    scoped by the kind of user (``accounts.rules.AUDIENCES``)."""
    async def area_ctx(request: Request, background: BackgroundTasks,
                       session: Session = Depends(get_session, scope="function")) -> Ctx:
        user = await current_user(request, background, session)
        return Ctx(session=session, clock=request.app.state.clock, user=entering(area, user))
    area_ctx.__name__ = f"{area}_ctx"
    return area_ctx


staff_ctx = ctx_for("back_office")
# Any signed-in user, on its own account (profile, API tokens).
user_ctx = ctx_for("account")
# The customer portal: ``ctx.customer_id`` is the only customer the request may see.
customer_ctx = ctx_for("customer_portal")
# Support and equipment routes shared by staff and the customer's own users.
service_ctx = ctx_for("customer_service")
# Access-control sites: staff, and the site's administrator and delegates (checked per site).
sites_ctx = ctx_for("sites")
