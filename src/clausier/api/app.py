"""The web application: REST API under ``/api/v1`` and the server-rendered pages.

Each room contributes its routers (JSON and HTML) in its manifest; ``clausier.rooms`` lists them.
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.orm import configure_mappers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Host, Match
from starlette._utils import get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clausier import __version__
from clausier.accounts.rules import SESSION_LIFETIME
from clausier.core.clock import Clock, SystemClock
from clausier.core.errors import ClausierError, Problem, RuleRefusal, Unauthenticated
from clausier.core.settings import Settings
from clausier.db.session import WRITE_WAIT_SECONDS, WriterBusy, engine_for
from clausier.rooms import ROOMS
from clausier.scheduler.ticker import DailyTicker, DeliveryLoop
from clausier.web.explain_text import API_LANGUAGE, with_texts
from clausier.web.i18n import gettext_for
from clausier.web.problems import error_text, language_of_api, problem_text, reason_text
from clausier.web.templating import language_of, render

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
DOCS_PATH = "/api/docs"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
# Swagger UI is an inline script plus assets from its CDN; the page shows no user data.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: "
            "https://fastapi.tiangolo.com; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class SecurityHeaders:
    """The security headers on every response. Plain ASGI: an ``@app.middleware("http")``
    costs a task and two streams per request, a third of a device poll."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == DOCS_PATH else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", csp)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ReaderLanguage:
    """The language an API answer renders its explanations' messages in: the request's
    ``Accept-Language`` (English when it asks for none the catalogues have)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = next((value for name, value in scope.get("headers", ())
                       if name == b"accept-language"), None) if scope["type"] == "http" else None
        if accept is None:
            await self.app(scope, receive, send)
            return
        token = API_LANGUAGE.set(language_of_api(accept.decode("latin-1")))
        try:
            await self.app(scope, receive, send)
        finally:
            API_LANGUAGE.reset(token)


class ExplainedJSONResponse(JSONResponse):
    """JSON whose stored messages (an explanation's ``label_message``…) carry their ``text`` in
    the reader's language; other answers are written as they are (one substring test)."""

    def render(self, content) -> bytes:
        body = super().render(content)
        if b'_message' not in body:
            return body
        return super().render(with_texts(content, API_LANGUAGE.get()))


class Branch(APIRouter):
    """A room's router behind one test of the path: matching walks the routes one by one (350
    of them, a third of a portal read's CPU), so a request skips at once every router none of
    whose routes' fixed beginnings (the path before its first ``{``) its path starts with. The
    routes, their order, URLs and OpenAPI document stay those of the router."""

    def __init__(self, router: APIRouter) -> None:
        super().__init__()
        self.include_router(router)
        self.starts = tuple(sorted({_fixed_start(route) for route in _leaf_routes(router)}))

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self.starts):
            return Match.NONE, {}
        return super().matches(scope)


def _leaf_routes(router: APIRouter) -> list[BaseRoute]:
    routes = []
    for route in router.routes:
        inner = getattr(route, "original_router", None)     # a router included in this one
        routes += _leaf_routes(inner) if isinstance(inner, APIRouter) else [route]
    return routes


def _fixed_start(route: BaseRoute) -> str:
    """What every path a route matches starts with ("" when unknown: never skipped)."""
    path = getattr(route, "path", None)
    if isinstance(route, Host) or not isinstance(path, str):
        return ""
    return path.split("{", 1)[0]


def served_app() -> FastAPI:
    """The app as each worker of ``clausier serve`` runs it (uvicorn's factory)."""
    return create_app(freeze_heap=True)


def create_app(engine: Engine | None = None, clock: Clock | None = None,
               settings: Settings | None = None, daily_tick: bool | None = None,
               freeze_heap: bool = False) -> FastAPI:
    """The app; ``daily_tick`` (default: the settings, ``CLAUSIER_NO_TICK=1`` turns it off) runs
    the daily tick in a background thread while the app is up. ``freeze_heap``: once started,
    what the process holds is left out of the garbage collector's walks (``gc.freeze``)."""
    settings = settings or Settings.from_env()
    run_tick = settings.daily_tick if daily_tick is None else daily_tick

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Mappers are configured on first use otherwise: a worker's first request would pay it.
        configure_mappers()
        if freeze_heap:
            # The modules, routes and mappers (some 400 000 objects) live as long as the
            # process: a full collection walking them stopped a worker for ~190 ms under load,
            # every request it held waiting (the p99 of API reads).
            gc.collect()
            gc.freeze()
        ticker = DailyTicker(app.state.engine, app.state.clock) if run_tick else None
        sender = DeliveryLoop(app.state.engine, app.state.clock) if run_tick else None
        background = [task for task in (ticker, sender) if task is not None]
        for task in background:
            task.start()
        background += [start(app.state.engine, app.state.clock, settings)
                       for room in ROOMS for start in room.web_tasks()]
        app.state.ticker = ticker
        try:
            yield
        finally:
            for task in background:
                task.stop()

    app = FastAPI(title="Clausier", version=__version__, lifespan=lifespan,
                  description="Back office for telecom, IT and access-control operators. "
                              "Errors are RFC 9457 problem+json documents. Authenticate with "
                              "`Authorization: Bearer <token>` (`POST /api/v1/tokens`, "
                              "`clausier user token`).",
                  openapi_url="/openapi.json", docs_url=DOCS_PATH, redoc_url=None,
                  default_response_class=ExplainedJSONResponse)
    app.state.engine = engine or engine_for(settings.database_url)
    app.state.clock = clock or SystemClock()
    app.state.settings = settings
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key,
                       session_cookie="clausier_session",
                       max_age=int(SESSION_LIFETIME.total_seconds()), same_site="lax",
                       https_only=settings.cookie_secure)

    app.add_middleware(SecurityHeaders)
    app.add_middleware(ReaderLanguage)

    @app.exception_handler(ClausierError)
    async def clausier_error(request: Request, exc: ClausierError):
        language = _reader_language(request)
        if _wants_html(request):
            if isinstance(exc, Unauthenticated):
                return RedirectResponse("/login?next=" + quote(request.url.path), status_code=303)
            return render(request, "web/error.html",
                          {"status": exc.status, "title": exc.title,
                           "detail": error_text(exc, language)}, status_code=exc.status)
        headers = {"www-authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        body = exc.to_problem()
        if language != "en":
            body["title"] = gettext_for(language)(exc.title)
            body["detail"] = error_text(exc, language)
            for error in body.get("errors", []):
                error["reason"] = reason_text(error["reason"], language)
        return problem(body, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if _wants_html(request):
            return render(request, "web/error.html",
                          {"status": exc.status_code, "title": str(exc.detail), "detail": ""},
                          status_code=exc.status_code)
        return problem({"type": "about:blank", "title": str(exc.detail),
                        "status": exc.status_code}, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        language = _reader_language(request)
        errors, texts = [], []
        for error in exc.errors():
            # Pydantic words a validator's refusal "Value error, <reason>": the reason is enough.
            found = Problem(".".join(str(p) for p in error["loc"] if p != "body"),
                            error["msg"].removeprefix("Value error, "))
            # A validator's own reason is read by its shape; Pydantic's by its type.
            kind = None if language == "en" or error["type"] == "value_error" else error["type"]
            errors.append({"field": found.field,
                           "reason": (found.reason if language == "en" else
                                      reason_text(found.reason, language, kind, error.get("ctx")))})
            texts.append(problem_text(found, language, kind, error.get("ctx")))
        title = gettext_for(language)("Invalid input")
        if _wants_html(request):
            return render(request, "web/error.html",
                          {"status": 422, "title": "Invalid input", "detail": "; ".join(texts[:5])},
                          status_code=422)
        return problem({"type": "about:blank", "title": title, "status": 422,
                        "detail": "; ".join(texts[:5]), "errors": errors})

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception):
        # An identifier or a text beyond what the database column holds is bad input, not a bug.
        return problem({"type": "about:blank", "title": "Invalid input", "status": 422,
                        "detail": "a value is out of range for its field"})

    @app.exception_handler(WriterBusy)
    async def writers_busy(request: Request, exc: WriterBusy):
        # Nothing was written: the client may send the same request again.
        return problem({"type": "about:blank", "title": "Busy", "status": 503, "detail": str(exc)},
                       {"retry-after": str(WRITE_WAIT_SECONDS)})
    @app.exception_handler(RuleRefusal)
    async def rule_refusal(request: Request, exc: RuleRefusal):
        return await clausier_error(request, exc.as_invalid_input())

    @app.exception_handler(StatementError)
    async def unstorable_value(request: Request, exc: StatementError):
        # A column type refused a value on its way to the database (db/types.py): bad input.
        if isinstance(exc.orig, ValueError | OverflowError | UnicodeError):
            return problem({"type": "about:blank", "title": "Invalid input", "status": 422,
                            "detail": str(exc.orig)})
        if isinstance(exc, IntegrityError):
            # Two requests raced for the same unique value, or a row is still referenced.
            return problem({"type": "about:blank", "title": "Conflict", "status": 409,
                            "detail": "the change conflicts with data stored meanwhile: "
                                      "read it again and retry"})
        raise exc

    @app.get("/api/v1/health", tags=["system"])
    def health() -> dict:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # A room's first routers (routes called many times a second, e.g. devices polling) are
    # matched before all the others: matching walks the routes in order.
    for router in [router for room in ROOMS for router in room.first_routers()]:
        app.include_router(Branch(router))
    for router in [router for room in ROOMS for router in room.routers()]:
        app.include_router(Branch(router))
    return app


def problem(body: dict, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], headers=headers,
                        media_type="application/problem+json")


def _reader_language(request: Request) -> str:
    """Pages speak the session's language; the API, and a page's request that reads no HTML, the
    one its client asks for (``Accept-Language``), English when none."""
    if _wants_html(request):
        return language_of(request)
    return language_of_api(request.headers.get("accept-language"))


def _wants_html(request: Request) -> bool:
    return (not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))
