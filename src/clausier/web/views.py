"""Login, logout, language switch and the dashboard of the back office."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy.orm import Session

from clausier.accounts import service as accounts
from clausier.accounts.models import User
from clausier.api.deps import end_session, get_clock, get_session, optional_user, start_session
from clausier.core.clock import Clock
from clausier.web import dashboard
from clausier.web.i18n import LANGUAGES, gettext_for
from clausier.web.templating import filters_for, language_of, render, verify_csrf

router = APIRouter(include_in_schema=False)
# scripts/build-favicon.py draws it from the shapes of static/favicon.svg.
FAVICON = Path(__file__).parent / "static" / "favicon.ico"


def _safe_next(target: str | None) -> str:
    """Only a path of this site: browsers read ``//host`` and ``/\\host`` as another site."""
    if (not target or not target.startswith("/") or target.startswith(("//", "/\\"))
            or urlparse(target).netloc):
        return "/"
    return target


@router.get("/")
def home(request: Request, session: Session = Depends(get_session, scope="function"),
         clock: Clock = Depends(get_clock), user: User | None = Depends(optional_user)):
    if user is None:
        return render(request, "web/login.html", {"next": "/"})
    if user.kind != "staff":
        return RedirectResponse(dashboard.portal_home(user), status_code=303)
    language = language_of(request)
    view = dashboard.View(language, gettext_for(language), filters_for(language))
    return render(request, "web/dashboard.html",
                  {"cards": dashboard.cards(session, view.gettext),
                   "panels": dashboard.panels(session, clock, view)})


@router.get("/favicon.ico")
def favicon():
    # Browsers and feed readers ask the site's root for it, whatever the page links.
    return FileResponse(FAVICON, media_type="image/x-icon",
                        headers={"cache-control": "public, max-age=86400"})


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    return render(request, "web/login.html", {"next": _safe_next(next)})


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login(request: Request, email: str = Form(...), password: str = Form(...),
          next: str = Form("/"), session: Session = Depends(get_session, scope="function"),
          clock: Clock = Depends(get_clock)):
    address = request.client.host if request.client else "unknown"
    attempt = accounts.authenticate(session, clock, email, password, address)
    if attempt.user is None:
        _ = gettext_for(language_of(request))
        message = (_("Too many failed attempts; try again in a few minutes.")
                   if attempt.retry_after else _("Unknown e-mail or wrong password."))
        return render(request, "web/login.html",
                      {"error": message, "email": email, "next": _safe_next(next)},
                      status_code=401)
    start_session(request, session, clock, attempt.user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, session: Session = Depends(get_session, scope="function"),
           clock: Clock = Depends(get_clock)):
    end_session(request, session, clock)
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/"):
    if code in LANGUAGES:
        request.session["lang"] = code
    return RedirectResponse(_safe_next(next), status_code=303)
