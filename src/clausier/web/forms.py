"""Optional form fields read as typed values. HTML forms send empty strings for blank fields, so
FastAPI's own typing (``int = Form(None)``) would refuse a blank one; these read "" as None and
anything else that does not parse as a clear error naming the field."""

from __future__ import annotations

from datetime import date

from clausier.core.errors import InvalidInput


def optional_int(field: str, text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdecimal():
        raise InvalidInput.on(field, f"{text!r} is not a whole number")
    return int(text)


def optional_date(field: str, text: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.on(field, f"{text!r} is not a date (YYYY-MM-DD)") from None
