"""A text the rules write for people, kept as a message id and its parameters so that each
reader gets it in their language: ``msg("{n} months × {rest}", n=17, rest=...)``.

A :class:`Message` is a ``str`` whose value is the English rendering (the message id with its
parameters filled in), so the JSON, the CLI and the tests read it as the text it always was;
it also carries ``msgid`` and ``params``. A parameter is a figure (an amount, a date, a count),
a word a catalogue may translate (an offer's name, a unit), or a message in turn, so messages
compose ("Access fee — {label}"). :meth:`Message.render` fills the translated message id with
each parameter rendered in turn; the catalogues are the edges' (``web/locale``), the core only
takes their ``gettext``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache

from clausier.core.money import fr_format

# Formulas repeat the same few prices thousands of times in a bill run.
_amount_text = lru_cache(maxsize=8192)(fr_format)


class Message(str):
    """English text of ``msgid`` with ``params``; ``render(gettext)`` in another language."""

    msgid: str
    params: dict
    _data: dict | None

    def __new__(cls, msgid: str, params: dict | None = None) -> Message:
        params = {} if params is None else params
        # English is the message id filled in as written: a message's value is its English
        # already, a count and a date format themselves; only an amount needs words (a bill run
        # builds a few messages per line, so this stays a single format call).
        values = params
        for value in params.values():
            if type(value) is Decimal:
                values = {name: _amount_text(value) if type(value) is Decimal else value
                          for name, value in params.items()}
                break
        message = super().__new__(cls, msgid.format_map(values))
        message.msgid = msgid
        message.params = params
        message._data = None
        return message

    def __reduce__(self):
        return (Message, (self.msgid, self.params))

    def render(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of ``gettext`` (a catalogue's, exact message ids)."""
        return gettext(self.msgid).format_map(
            {name: _render(value, gettext) for name, value in self.params.items()})

    def as_dict(self) -> dict:
        """The message id and its parameters as JSON (amounts and dates tagged). Encoded once
        per message (a message shared by many lines, or nested in another, is not encoded
        again): the dict is the message's own, read it, do not change it."""
        data = self._data
        if data is None:
            data = self._data = {"id": self.msgid, "params": {
                name: _encode(value) for name, value in self.params.items()}}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Message:
        return cls(data["id"], {name: _decode(value)
                                for name, value in (data.get("params") or {}).items()})


def msg(msgid: str, /, **params) -> Message:
    """A message: ``msgid`` (English, with ``{placeholders}``) and the values of its
    placeholders. The message ids rules use are checked against the French catalogue
    (``tests/web/test_explained_in_french.py``)."""
    return Message(msgid, params)   # ``params`` is this call's own dict


def joined(texts, /) -> str:
    """Texts read one after the other, "a; b; c", a message when any of them is one (so each
    part is read in the reader's language)."""
    texts = list(texts)
    if not any(isinstance(text, Message) for text in texts):
        return "; ".join(texts)
    together = texts[0]
    for text in texts[1:]:
        together = msg("{first}; {then}", first=together, then=text)
    return together


def _render(value, gettext: Callable[[str], str]) -> str:
    if isinstance(value, Message):
        return value.render(gettext)
    if isinstance(value, str):
        return gettext(value) if value else value   # a word a catalogue may translate
    if isinstance(value, Decimal):
        return _amount_text(value)                  # amounts read as the rules always wrote them
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _encode(value):
    kind = type(value)
    if kind is int:
        return value
    if kind is Decimal:
        return {"amount": str(value)}
    if isinstance(value, Message):
        return value.as_dict()
    if isinstance(value, Decimal):
        return {"amount": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return value if isinstance(value, int) else str(value)


def _decode(value):
    if isinstance(value, dict):
        if "id" in value:
            return Message.from_dict(value)
        if "amount" in value:
            return Decimal(value["amount"])
        if "date" in value:
            return date.fromisoformat(value["date"])
    return value


def stored(text: str, data: dict | None) -> str:
    """A text read back from storage: its message when one was stored with it (``data``, a
    :meth:`Message.as_dict`), else the text as stored (written before messages were kept)."""
    if data and isinstance(data, dict) and "id" in data:
        return Message.from_dict(data)
    return text


def message_of(text: str) -> dict | None:
    """The stored form of a text's message, None for a plain text."""
    return text.as_dict() if isinstance(text, Message) else None


def message_fields(name: str, text: str) -> dict:
    """``{"<name>_message": ...}`` to store next to a text's ``name`` field, when it is a
    message (``{}`` for a plain text)."""
    return {f"{name}_message": text.as_dict()} if isinstance(text, Message) else {}
