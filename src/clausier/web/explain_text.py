"""Explained amounts (``core.explain``) in the reader's language. The rules write their labels,
formulas and notes as messages (``core.message``: a message id with its parameters, whose
English is the text itself); pages and documents render them from the catalogues
(``locale/<lang>/explain.po`` and the others: exact message ids), the API adds the rendered
text next to each stored message. A plain text (a name, a text stored before messages were
kept) reads through the catalogues as it is."""

from __future__ import annotations

from contextvars import ContextVar

from clausier.core.message import Message, stored
from clausier.web.i18n import SOURCE_LANGUAGE, translations

# The language an API response renders its messages in (the request's Accept-Language).
API_LANGUAGE: ContextVar[str] = ContextVar("api_language", default=SOURCE_LANGUAGE)


def explained(text: str | None, language: str, message: dict | None = None) -> str:
    """``text`` (or its stored ``message``, a :meth:`Message.as_dict`) in ``language``."""
    text = stored(text or "", message)
    if language == SOURCE_LANGUAGE or not text:
        return str(text)
    gettext = translations(language).gettext
    if not isinstance(text, Message):
        return gettext(text)
    try:
        return text.render(gettext)
    except (KeyError, IndexError, ValueError):
        # a message stored under an id whose translation has since named other parameters
        return str(text)


def with_texts(data, language: str):
    """A JSON answer with, in each stored message (``label_message``, ``formula_message``,
    ``note_messages``), its ``text`` in ``language``."""
    if isinstance(data, list):
        return [with_texts(item, language) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if key.endswith("_message") and isinstance(value, dict) and "id" in value:
            value = {**value, "text": explained("", language, value)}
        elif key == "note_messages" and isinstance(value, list):
            value = [{**item, "text": explained("", language, item)} if item else item
                     for item in value]
        else:
            value = with_texts(value, language)
        out[key] = value
    return out
