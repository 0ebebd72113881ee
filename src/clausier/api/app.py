"""The web application: REST API under ``/api/v1`` and the server-rendered pages.

Each room contributes ``api.router`` (JSON) and ``views.router`` (HTML); ``ROOMS`` lists them.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.middleware.sessions import SessionMiddleware

from clausier import __version__
from clausier.core.clock import Clock, SystemClock
from clausier.core.errors import ClausierError, Forbidden
from clausier.core.settings import Settings
from clausier.db.session import engine_for

ROOMS = ["accounts", "terms", "catalog", "customers", "contracts", "access", "audit", "web"]

SESSION_MAX_AGE = 8 * 3600
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
                               "form-action 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def create_app(engine: Engine | None = None, clock: Clock | None = None,
               settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(title="Clausier", version=__version__,
                  description="Back office for telecom, IT and access-control operators. "
                              "Errors are RFC 9457 problem+json documents.",
                  openapi_url="/openapi.json", docs_url="/api/docs", redoc_url=None)
    app.state.engine = engine or engine_for(settings.database_url)
    app.state.clock = clock or SystemClock()
    app.state.settings = settings
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key,
                       session_cookie="clausier_session", max_age=SESSION_MAX_AGE,
                       same_site="lax", https_only=False)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(ClausierError)
    async def clausier_error(request: Request, exc: ClausierError):
        if isinstance(exc, Forbidden) and _wants_html(request) and "login" not in exc.message:
            return RedirectResponse("/login?next=" + request.url.path, status_code=303)
        return JSONResponse(exc.to_problem(), status_code=exc.status,
                            media_type="application/problem+json")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = [{"field": ".".join(str(p) for p in e["loc"] if p != "body"), "reason": e["msg"]}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        return JSONResponse({"type": "about:blank", "title": "Invalid input", "status": 422,
                             "detail": detail, "errors": errors}, status_code=422,
                            media_type="application/problem+json")

    @app.get("/api/v1/health", tags=["system"])
    def health() -> dict:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for room in ROOMS:
        for adapter in ("api", "views"):
            try:
                module = importlib.import_module(f"clausier.{room}.{adapter}")
            except ModuleNotFoundError as exc:
                if not f"clausier.{room}.{adapter}".startswith(exc.name or "-"):
                    raise
                continue
            app.include_router(module.router)
    return app


def _wants_html(request: Request) -> bool:
    return (not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))
