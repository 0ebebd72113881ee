"""Money: ``Decimal`` euros rounded half-up to the cent, HT/TTC and VAT rates as data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum, auto
from functools import cache
from pathlib import Path

from clausier.core.errors import RefusalCode, RuleRefusal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_decimal(value: object, *, field: str = "amount") -> Decimal:
    """Parse an amount without ever going through ``float``."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"{field}: a boolean is not an amount")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() of a float is its shortest round-trip text: 0.1 stays 0.1, not 0.1000000000000000055…
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{field}: {value!r} is not a decimal amount") from None
    else:
        raise ValueError(f"{field}: {value!r} is not a decimal amount")
    if not result.is_finite():
        raise ValueError(f"{field}: {value!r} is not a finite amount")
    return result


def money(value: object, *, field: str = "amount") -> Decimal:
    """Round to the cent, half-up (the French commercial convention)."""
    if type(value) is Decimal and value.is_finite():     # the rules' own amounts: no parsing
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    return to_decimal(value, field=field).quantize(CENT, rounding=ROUND_HALF_UP)


class PriceBasis(StrEnum):
    """Whether a price is before tax (*hors taxes*) or tax included (*toutes taxes comprises*)."""

    HT = "HT"
    TTC = "TTC"


@dataclass(frozen=True)
class VatRate:
    """A VAT rate as data: ``code`` (the category, e.g. ``normal``), ``rate`` as a fraction (0.20),
    the day it took effect and the article of the Code général des impôts that sets it."""

    code: str
    rate: Decimal
    in_force_from: date | None = None
    clause: str = ""

    def tax_on(self, amount_ht: Decimal) -> Decimal:
        return money(amount_ht * self.rate)

    def ttc_from_ht(self, amount_ht: Decimal) -> Decimal:
        return money(amount_ht) + self.tax_on(amount_ht)

    def ht_from_ttc(self, amount_ttc: Decimal) -> Decimal:
        return money(to_decimal(amount_ttc) / (1 + self.rate))


class VatRefused(RefusalCode):
    unknown_vat_category = auto()       # a category the rates do not list
    no_vat_rate_yet = auto()            # a day before the category's first rate


VAT_RATES_FILE = Path(__file__).resolve().parent / "data" / "vat_rates_fr.yaml"


def vat_rate_on(category: str, day: date) -> VatRate:
    """The French VAT rate of ``category`` in force on ``day`` (CGI art. 278 ff.)."""
    rates = french_vat_rates()
    if category not in rates:
        raise RuleRefusal(VatRefused.unknown_vat_category, "vat_rate",
                          f"{category!r} is not one of {', '.join(rates)}")
    in_force = [rate for rate in rates[category] if rate.in_force_from <= day]
    if not in_force:
        first = rates[category][0].in_force_from
        raise RuleRefusal(VatRefused.no_vat_rate_yet, "vat_rate",
                          f"no {category!r} rate before {first.isoformat()}")
    return in_force[-1]


@cache
def french_vat_rates(path: Path = VAT_RATES_FILE) -> dict[str, tuple[VatRate, ...]]:
    """The rates of ``path`` by category, oldest first; a bad row is refused naming the row and
    the field."""
    import yaml
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    class Row(BaseModel):
        model_config = ConfigDict(extra="forbid", populate_by_name=True)

        category: str = Field(pattern=r"^[a-z_]+$")
        rate: Decimal = Field(ge=0, lt=1)
        in_force_from: date = Field(alias="from")
        src: str = Field(pattern=r"^CGI art\. ")

    class Table(BaseModel):
        model_config = ConfigDict(extra="forbid")

        rates: list[Row] = Field(min_length=1)

    # Every scalar read as text, so that the schema, not YAML, judges a date or a rate.
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    try:
        table = Table.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
                             for error in exc.errors())
        raise ValueError(f"{path.name}: {problems}") from None
    by_category: dict[str, list[VatRate]] = {}
    for row in table.rates:
        by_category.setdefault(row.category, []).append(
            VatRate(row.category, row.rate, row.in_force_from, row.src))
    for category, rates in by_category.items():
        days = [rate.in_force_from for rate in rates]
        if len(set(days)) != len(days):
            raise ValueError(f"{path.name}: {category} has two rates from the same day")
        rates.sort(key=lambda rate: rate.in_force_from)
    return {category: tuple(rates) for category, rates in by_category.items()}


def fr_number(value: Decimal | int) -> str:
    """A number for people, in French: ``100``, ``5,5``, ``1\u202f000`` — never ``1E+2``,
    which is what ``Decimal.normalize()`` prints for a round figure."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.##########", locale="fr_FR")


def fr_format(amount: Decimal, currency: str = "€") -> str:
    """``1 234,50 €`` — narrow no-break space for thousands, comma for decimals."""
    quantized = money(amount)
    sign = "-" if quantized < 0 else ""
    whole, _, cents = f"{abs(quantized):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    thin_space, no_break_space = "\u202f", "\u00a0"
    return f"{sign}{thin_space.join(groups)},{cents}{no_break_space}{currency}".strip()
