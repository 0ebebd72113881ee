"""Billing periods: the calendar months billing counts in, and the refusal codes of billing.

Pure, as every rule of billing (``runs.rules``, ``invoices.rules``, ``ledger.rules``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from enum import auto
from functools import lru_cache

from clausier.core.errors import RefusalCode, RuleRefusal
from clausier.core.money import (
    fr_format,
)

ONE_DAY = timedelta(days=1)
# Formulas repeat the same few prices thousands of times in a bill run.
fr_cached = lru_cache(maxsize=8192)(fr_format)


class Refused(RefusalCode):
    """Why billing's rules refuse (``runs.rules``, ``invoices.rules``, ``ledger.rules``)."""

    period_not_a_month = auto()
    price_basis_unknown = auto()
    no_indexation_clause = auto()
    no_index_value_before_revision = auto()
    index_not_positive = auto()
    price_change_kind_unknown = auto()
    no_price_change_clause = auto()
    no_price_change_notice = auto()
    usage_of_another_customer = auto()
    notice_too_short = auto()               # a price change sooner than the sheet's notice
    seller_details_missing = auto()
    invoice_already_issued = auto()
    invoice_issued_not_discarded = auto()
    credit_note_not_creditable = auto()
    draft_not_creditable = auto()
    invoice_already_cancelled = auto()
    credit_note_reason_missing = auto()
    invoice_takes_no_payment = auto()
    amount_paid_negative = auto()
    invoice_partly_credited = auto()
    credit_amount_not_positive = auto()
    credit_amount_above_remaining = auto()
    price_change_affects_nothing = auto()
    index_not_a_number = auto()
    index_already_recorded = auto()
    index_value_missing = auto()
    issued_invoice_not_deletable = auto()
    issued_invoice_immutable = auto()
    issued_invoice_lines_immutable = auto()
    charges_billed_meanwhile = auto()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return _month_end(day.year, day.month)


@lru_cache(maxsize=4096)
def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def next_month(month: date) -> date:
    return (month_end(month) + ONE_DAY)


def add_months(month: date, count: int) -> date:
    """First day of the month ``count`` months after ``month`` (negative goes back)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months(first: date, last: date) -> Iterator[date]:
    """First days of the months from ``first`` to ``last`` inclusive."""
    current = month_start(first)
    while current <= last:
        yield current
        current = next_month(current)


def parse_period(text: str) -> date:
    """``YYYY-MM`` → the first day of that month (clear error otherwise)."""
    try:
        year, month = str(text).strip().split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise RuleRefusal(Refused.period_not_a_month, "period",
                          f"{text!r} is not a month written YYYY-MM") from None


def period_label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def plural(count: int | Decimal, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"
