"""Text cells of CSV files that people open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel and LibreOffice (CSV injection): such a text cell is prefixed with a quote,
as OWASP advises. Only text that comes from people (names, references) goes through here;
amounts are written as numbers, so that a negative amount stays a number. Hand-written: the
standard ``csv`` module and Polars leave cells as they are, and no kept library does only this.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str | None) -> str:
    """The text of a cell, prefixed with ``'`` when a spreadsheet would read it as a formula."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
