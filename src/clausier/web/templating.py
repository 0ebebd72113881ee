"""Rendering pages: Jinja2 with translations, French number/date formats and CSRF tokens."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_compact_currency, format_currency, format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from clausier.accounts import rules as account_rules
from clausier.core.clock import PARIS
from clausier.core.errors import Forbidden
from clausier.web import TEMPLATES
from clausier.web import labels
from clausier.web.i18n import (DEFAULT_LANGUAGE, LANGUAGES, SOURCE_LANGUAGE, ngettext_for,
                                translations)
from clausier.web.explain_text import explained
from clausier.web.navigation import current_section, staff_menu

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals.update(staff_menu=staff_menu, current_section=current_section)

_BABEL_LOCALE = {"fr": "fr_FR", "en": "en_GB"}


@dataclass(frozen=True)
class SignedIn:
    """Who the page header shows; a copy, so that an error page rendered after the request's
    transaction rolled back does not touch an expired ORM object."""

    id: int
    name: str
    role: str
    kind: str

    @classmethod
    def of(cls, user) -> SignedIn:
        return cls(id=user.id, name=user.name, role=user.role, kind=user.kind)


def language_of(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.session.get("lang")
    return wanted if wanted in LANGUAGES else DEFAULT_LANGUAGE


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Every state-changing form or HTMX request carries the session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return   # API tokens are not sent by browsers on their own
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        sent = form.get("csrf_token")
    if not expected or not sent or not secrets.compare_digest(str(sent), expected):
        raise Forbidden("csrf_token: missing or wrong; reload the page and try again")


def filters_for(language: str) -> dict:
    """The formatting helpers of the pages (``f.money``, ``f.day``…) in a language."""
    locale = _BABEL_LOCALE[language]

    def money(value: Decimal | None, currency: str = "EUR") -> str:
        return "" if value is None else format_currency(value, currency, locale=locale)

    def money_short(value: Decimal | None, currency: str = "EUR") -> str:
        """An amount as a chart draws it above a bar: ``2,5 k €``, ``412 €``."""
        return ("" if value is None else
                format_compact_currency(value, currency, locale=locale, fraction_digits=1))

    def number(value) -> str:
        return "" if value is None else format_decimal(value, locale=locale)

    def day(value: date | None) -> str:
        return "" if value is None else format_date(value, "short" if language == "fr" else "medium",
                                                     locale=locale)

    def instant(value: datetime | None) -> str:
        return "" if value is None else format_datetime(value.astimezone(PARIS), "short",
                                                         locale=locale)

    def explain(text: str | None, message: dict | None = None) -> str:
        """A label, formula or note of an explained amount, in the page's language; a stored
        one with its stored ``message`` (``part.formula_message``)."""
        return explained(text, language, message)

    def stored_text(text: str | None, message: dict | None = None,
                    written_in: str = SOURCE_LANGUAGE, shown=escape) -> Markup:
        """A text a room stored for people (an audit summary, a notice, a letter's subject): with
        its stored ``message``, in the page's language; without one (written before messages
        were kept), as stored, marked in the language it was written in. ``shown`` marks it up
        (``identifiers``)."""
        if message:
            return Markup(shown(explained(text, language, message)))
        if text and language != written_in:
            return Markup('<span lang="{}">{}</span>').format(written_in, shown(text))
        return Markup(shown(text or ""))

    def notes(explanation) -> list[str]:
        """The notes of an explanation, or of a stored one (``Explained.as_dict``), in the page's
        language."""
        if not isinstance(explanation, dict):
            return [explained(note, language) for note in getattr(explanation, "notes", ())]
        texts = explanation.get("notes", [])
        messages = explanation.get("note_messages") or [None] * len(texts)
        return [explained(note, language, message) for note, message in zip(texts, messages)]

    def label(table: str, code: str | None) -> str:
        """A stored code (a family, a unit, an event, a ground, a role) in words."""
        return labels.label(translations(language), table, code)

    def labels_of(table: str, codes) -> str:
        """Several codes of one table in words, separated by commas."""
        return ", ".join(label(table, code) for code in codes or ())

    def target(value) -> str:
        """A ticket's restoration target in words: its duration, and whether it counts business
        hours only (the target's own ``label`` names the sheet's option by its code)."""
        if value is None:
            return ""
        message = ("%(hours)s business hours" if value.counted_in == "business_hours"
                   else "%(hours)s hours")
        return translations(language).gettext(message) % {"hours": number(value.hours)}

    def coded(table: str, code: str | None) -> Markup:
        """A stored code in words; a code no table knows is shown as an identifier."""
        if code and code not in labels.TABLES[table]:
            return Markup("<code>{}</code>").format(code)
        return escape(label(table, code))

    def stored(value: object) -> Markup:
        """A value an audit entry stores, for people: a yes or no, a status or role in words
        (a code the catalogues do not know stays an identifier), a catalogued name translated,
        lists joined."""
        if value is None or value == "":
            return Markup("—")
        if isinstance(value, bool):
            gettext = translations(language).gettext
            return escape(gettext("yes") if value else gettext("no"))
        if isinstance(value, list | tuple):
            return Markup(", ").join(stored(item) for item in value)
        if isinstance(value, dict):
            # a text kept with its message (``basis`` and ``basis_message``) reads in the
            # page's language
            return Markup("; ").join(Markup("{} : {}").format(
                coded("audit_field", str(key)),
                escape(explained(item, language, value[f"{key}_message"]))
                if isinstance(value.get(f"{key}_message"), dict) else stored(item))
                for key, item in value.items() if not str(key).endswith("_message"))
        if isinstance(value, str) and CODE.fullmatch(value):
            words = gettext_of(language)[0](value)
            return (Markup("<code>{}</code>").format(value) if CODE.fullmatch(words)
                    else escape(words))
        # a name the catalogues translate (an offer's, an equipment kind's) reads translated
        return escape(translations(language).gettext(value) if isinstance(value, str)
                      else str(value))

    return {"money": money, "money_short": money_short, "number": number, "day": day,
            "instant": instant, "explain": explain, "stored_text": stored_text, "notes": notes, "label": label,
            "labels": labels_of, "coded": coded, "stored": stored,
            "identifiers": identifiers, "target": target}


CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
# An identifier a free text names (a field ``service_levels.availability``, a code ``in_stock``).
IDENTIFIER = re.compile(r"(?<![\w@./-])[a-z][a-z0-9]*(?:[_.][a-z0-9]+)*_[a-z0-9]+(?:\.[a-z0-9_]+)*"
                        r"(?![\w@/-])")


def identifiers(text: str | None) -> Markup:
    """A free text the rooms or the sheets write (an audit summary, a reading), with the
    identifiers it names marked up as code: they are typed, not read."""
    return Markup(IDENTIFIER.sub(lambda m: str(Markup("<code>{}</code>").format(m[0])),
                                 str(escape(text or ""))))


def gettext_of(language: str):
    """The pages' ``_`` and ``pgettext``. Stored codes are their own message ids
    (``_(invoice.status)``): French reads them from the catalogues, English, whose catalogue is
    the message ids themselves, reads a code as words (``partly_paid``: "partly paid")."""
    catalogue = translations(language)
    if language != SOURCE_LANGUAGE:
        return catalogue.gettext, catalogue.pgettext

    def words(message: str) -> str:
        return message.replace("_", " ") if CODE.fullmatch(message) else message

    return (lambda message: words(catalogue.gettext(message)),
            lambda context, message: words(catalogue.pgettext(context, message)))


def render(request: Request, template: str, context: dict | None = None,
           status_code: int = 200) -> HTMLResponse:
    language = language_of(request)
    gettext, pgettext = gettext_of(language)
    user = getattr(request.state, "signed_in", None)
    values = {
        "request": request,
        "lang": language,
        "languages": LANGUAGES,
        "gettext": gettext,
        "_": gettext,
        "ngettext": ngettext_for(language),
        "pgettext": pgettext,
        "csrf_token": csrf_token(request),
        "user": user,
        # forms a user may not use are not shown (the routes refuse them all the same)
        "may_write": lambda area: user is not None and account_rules.may_write(user.role, area),
        "f": filters_for(language),
        **(context or {}),
    }
    html = environment.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)
