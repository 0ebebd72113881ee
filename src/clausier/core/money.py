"""Money: ``Decimal`` euros rounded half-up to the cent, HT/TTC and VAT rates as data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

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
    return to_decimal(value, field=field).quantize(CENT, rounding=ROUND_HALF_UP)


class PriceBasis(StrEnum):
    """Whether a price is before tax (*hors taxes*) or tax included (*toutes taxes comprises*)."""

    HT = "HT"
    TTC = "TTC"


@dataclass(frozen=True)
class VatRate:
    """A VAT rate as data: ``code`` (e.g. ``normal``) and ``rate`` as a fraction (0.20)."""

    code: str
    rate: Decimal

    def tax_on(self, amount_ht: Decimal) -> Decimal:
        return money(amount_ht * self.rate)

    def ttc_from_ht(self, amount_ht: Decimal) -> Decimal:
        return money(amount_ht) + self.tax_on(amount_ht)

    def ht_from_ttc(self, amount_ttc: Decimal) -> Decimal:
        return money(to_decimal(amount_ttc) / (1 + self.rate))


# French rates in force (CGI art. 278 ff.). Operators may override them in their sheet.
FRENCH_VAT_RATES: dict[str, VatRate] = {
    "normal": VatRate("normal", Decimal("0.20")),
    "intermediate": VatRate("intermediate", Decimal("0.10")),
    "reduced": VatRate("reduced", Decimal("0.055")),
    "super_reduced": VatRate("super_reduced", Decimal("0.021")),
    "exempt": VatRate("exempt", Decimal("0")),
}


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
