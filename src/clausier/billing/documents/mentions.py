"""An invoice's mentions in a reader's language. Each is kept with the invoice as a message id
(English) with its parameters (``billing.invoices.rules.Mention``) and as its French text, the
legal one the Factur-X XML carries; the French comes from the catalogues (``billing.po``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from clausier.core.money import fr_format, fr_number
from clausier.web.i18n import gettext_for

# Parameters that are message ids themselves (a phrase chosen by the rule).
_PHRASES = frozenset({"rate", "reference"})


def mention_text(mention: dict, language: str) -> str:
    """``mention`` (``{"message", "params", "clause"}``) written in ``language``."""
    if "message" not in mention:        # kept as French text alone (a document issued earlier)
        return mention["text"]
    gettext = gettext_for(language)
    params = {name: gettext(value) if name in _PHRASES else _formatted(name, value, language)
              for name, value in mention.get("params", {}).items()}
    return gettext(mention["message"]).format(**params)


def _formatted(name: str, value: str, language: str) -> str:
    french = language == "fr"
    if name == "day":
        day = date.fromisoformat(value)
        return day.strftime("%d/%m/%Y") if french else format_date(day, "medium", locale="en_GB")
    if name == "amount":
        return fr_format(Decimal(value)) if french else format_currency(Decimal(value), "EUR",
                                                                          locale="en_GB")
    if name == "multiple":
        return fr_number(Decimal(value)) if french else format_decimal(Decimal(value), locale="en_GB")
    return value


def with_french_text(mention: dict) -> dict:
    """The mention as an invoice keeps it: its message id, parameters and clause, and its French
    text (the mention the law reads; the Factur-X notes carry it)."""
    return {**mention, "text": mention_text(mention, "fr")}
