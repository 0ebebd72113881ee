"""What the API accepts, checked at its edge the same way on SQLite and PostgreSQL: bounded
amounts, dates in a plausible window, bounded text without lone surrogates, bounded pages.

Request bodies derive from ``Input`` (``Patch`` for partial updates); amounts, dates and instants
use the annotated types below, list routes take ``page: Page = Depends(page_of_list)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from fastapi import Query
from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo,
                      field_validator)

# The Money column is NUMERIC(18, 2) on PostgreSQL: no amount may need more digits than that.
MONEY_DIGITS = 18
MONEY_PLACES = 2
# Sane maxima per kind of amount, far above any real figure of the operators' terms, so that a
# typing slip (or an attack) is refused rather than billed or allocated.
PRICE_MAX = Decimal("1000000")          # a fee, price or value of one item
PAYMENT_MAX = Decimal("100000000")      # a payment, deposit or disputed sum

# Business dates before 1970 or after 2099 are typing slips; the window also keeps every date
# and instant (and their time-zone conversion) inside what both databases store.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2099, 12, 31)

# Free text: no field of the API needs more; the columns' own lengths are checked at flush
# (``db.types.check_lengths``), the same way on both databases.
TEXT_MAX = 10_000

LIMIT_DEFAULT = 100
LIMIT_MAX = 1000
OFFSET_MAX = 1_000_000_000
# Routes that page by number (``page``, ``per_page``) stay within the same offsets.
PAGE_NUMBER_MAX = OFFSET_MAX // LIMIT_MAX


def _amount(maximum: Decimal, **bound: Decimal) -> Any:
    return Annotated[Decimal, Field(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES,
                                    allow_inf_nan=False, le=maximum, **bound)]


Price = _amount(PRICE_MAX, ge=Decimal(0))
PositivePrice = _amount(PRICE_MAX, gt=Decimal(0))
Sum = _amount(PAYMENT_MAX, ge=Decimal(0))
PositiveSum = _amount(PAYMENT_MAX, gt=Decimal(0))
# A published price index (INSEE, Syntec), kept as text exactly as recorded.
IndexValue = Annotated[Decimal, Field(max_digits=14, decimal_places=6, allow_inf_nan=False,
                                      gt=Decimal(0), le=Decimal(1000000))]
# A rate in percent (legal interest, a price revision), to four places.
Percent = Annotated[Decimal, Field(max_digits=8, decimal_places=4, allow_inf_nan=False,
                                   ge=Decimal(-100), le=Decimal(1000))]


def _plausible_day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


def _plausible_instant(value: datetime) -> datetime:
    _plausible_day(value.date())
    return value


Day = Annotated[date, AfterValidator(_plausible_day)]
Moment = Annotated[datetime, AfterValidator(_plausible_instant)]


def _without_lone_surrogates(value: Any) -> Any:
    """JSON may escape half of a UTF-16 pair (``"\\ud800"``); no database can store it."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("contains an invalid character (a lone UTF-16 surrogate)") from None
    elif isinstance(value, list | tuple | set):
        for item in value:
            _without_lone_surrogates(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _without_lone_surrogates(key)
            _without_lone_surrogates(item)
    return value


class Input(BaseModel):
    """A request body: text bounded and storable, whatever the field."""

    model_config = ConfigDict(str_max_length=TEXT_MAX)

    @field_validator("*")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return _without_lone_surrogates(value)


class Patch(Input):
    """A partial update: a field left out is kept; ``null`` clears it only where the field may
    be empty (``clearable``), otherwise it is refused rather than stored as a missing value."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _not_null_unless_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("cannot be null (leave the field out to keep its value)")
        return value


@dataclass(frozen=True)
class Page:
    """``limit`` and ``offset`` of a list route, bounded alike on every route and database."""

    limit: int
    offset: int


def page_of_list(limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = LIMIT_DEFAULT,
         offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0) -> Page:
    return Page(limit, offset)
