"""The French numbering plan (*plan national de numérotation*, ARCEP) as vectorised Polars
expressions: number normalisation, destination classes, countries and roaming zones.

These are facts of the numbering plan and of the EU roaming regulation, not operator figures:
the operator's figures (allowed caller-ID prefixes, included destinations…) stay in the sheet.
Every function returns an expression, so a whole month of records is classified in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers
import polars as pl

# Destination classes, in the order of the price list.
FIXED = "fixed"                  # 01–05 geographic, 09 non-geographic
MOBILE = "mobile"                # 06, 07
SPECIAL = "special"              # 080–088 (free, shared-cost and other special numbers)
PREMIUM = "premium"              # 089 (*numéros surtaxés*)
SVA_SHORT = "sva_short"          # 3BPQ short numbers and 118XYZ directory enquiries
SHORT = "short"                  # other short numbers (10XY operator numbers…)
EMERGENCY = "emergency"          # 15, 17, 18, 112, 114, 115, 119 and 116xxx
INTERNATIONAL = "international"
INVALID = "invalid"
DESTINATION_CLASSES = (FIXED, MOBILE, SPECIAL, PREMIUM, SVA_SHORT, SHORT, EMERGENCY,
                       INTERNATIONAL, INVALID)

EMERGENCY_NUMBERS = ("15", "17", "18", "112", "114", "115", "119")

# Overseas departments share the French plan: +262 262 12 34 56 is 0262 12 34 56 (the country
# code is replaced by the trunk prefix 0, as for +33).
NATIONAL_COUNTRY_CODES = ("33", "262", "508", "590", "594", "596")

# Roaming zones of the visited network's country (ISO 3166 alpha-2).
HOME = "home"
DOM = "dom"
EU = "eu"
WORLD = "world"
DOM_COUNTRIES = ("GP", "MQ", "GF", "RE", "YT")       # *départements d'outre-mer*
# Regulation (EU) 2022/612 (Eurotarif) covers the EU member states and the EEA.
EU_EEA_COUNTRIES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO")


def _region_by_three_digits() -> dict[str, str]:
    """The main region (phonenumbers) of every three-digit start of an international number:
    calling codes are prefix-free, so the first three digits after 00 decide the country."""
    regions: dict[str, str] = {}
    for code, names in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        if names[0] == "001":          # non-geographic entities (satellite, UIFN…)
            continue
        text = str(code)
        for rest in range(10 ** (3 - len(text))):
            suffix = f"{rest:0{3 - len(text)}d}" if len(text) < 3 else ""
            regions[text + suffix] = names[0]
    return regions


_REGIONS = _region_by_three_digits()
DESTINATION = pl.Enum(DESTINATION_CLASSES)


def normalise(number: pl.Expr) -> pl.Expr:
    """Digits only; ``+CC`` becomes ``00CC``; French and overseas country codes become ``0``."""
    return (number.fill_null("").str.replace_all(r"[\s.\-()/]", "")
            .str.replace(r"^\+", "00")
            .str.replace("^00(?:" + "|".join(NATIONAL_COUNTRY_CODES) + ")", "0"))


def destination_class(normalised: pl.Expr) -> pl.Expr:
    """The destination class of a normalised number (an Enum of ``DESTINATION_CLASSES``)."""
    n = normalised
    length = n.str.len_bytes()
    ten = length == 10
    starts = n.str.starts_with
    klass = (
        pl.when(~n.str.contains(r"^\d+$")).then(pl.lit(INVALID))
        .when(ten & starts("0") & ~starts("00") & ~starts("06") & ~starts("07") & ~starts("08"))
        .then(pl.lit(FIXED))
        .when(ten & (starts("06") | starts("07"))).then(pl.lit(MOBILE))
        .when(ten & starts("089")).then(pl.lit(PREMIUM))
        .when(ten & starts("08")).then(pl.lit(SPECIAL))
        .when(starts("00") & (length >= 7)).then(pl.lit(INTERNATIONAL))
        .when(n.is_in(EMERGENCY_NUMBERS) | ((length == 6) & starts("116"))).then(pl.lit(EMERGENCY))
        .when(((length == 4) & starts("3")) | ((length == 6) & starts("118"))).then(pl.lit(SVA_SHORT))
        .when((length >= 2) & (length <= 6) & ~starts("0")).then(pl.lit(SHORT))
        .otherwise(pl.lit(INVALID))
    )
    return klass.cast(DESTINATION)


def country(normalised: pl.Expr) -> pl.Expr:
    """ISO country of a normalised number: FR for the national plan, the calling code's main
    region (phonenumbers) for an international number, null otherwise."""
    n = normalised
    international = n.str.starts_with("00")
    return (pl.when(international).then(n.str.slice(2, 3).replace_strict(
        _REGIONS, default=None, return_dtype=pl.String))
        .when(n.str.starts_with("0")).then(pl.lit("FR"))
        .otherwise(pl.lit(None, dtype=pl.String)))


ZONE = pl.Enum((HOME, DOM, EU, WORLD))


def roaming_zone(visited_country: pl.Expr) -> pl.Expr:
    """Where the line was when it used the network: home (France), DOM, EU/EEA or world.
    The zones are literals of the enum: no text per record to cast (millions of records)."""
    c = visited_country.fill_null("")
    return (pl.when((c == "") | (c == "FR")).then(pl.lit(HOME, ZONE))
            .when(c.is_in(DOM_COUNTRIES)).then(pl.lit(DOM, ZONE))
            .when(c.is_in(EU_EEA_COUNTRIES)).then(pl.lit(EU, ZONE))
            .otherwise(pl.lit(WORLD, ZONE)))


def form_pattern(forms: Iterable[str]) -> str:
    """A regex for ARCEP number forms: digits are literal, letters stand for any digit.
    A form starting with 0 is a prefix of a ten-digit number (``089B``); any other form is a
    whole short number (``3BPQ``, ``118XYZ``)."""
    parts = []
    for form in forms:
        body = "".join(r"\d" if ch.isalpha() else re.escape(ch) for ch in form.strip())
        parts.append(body if form.startswith("0") else body + "$")
    return "^(?:" + "|".join(parts) + ")" if parts else r"^\b$"


def has_prefix(normalised: pl.Expr, prefixes: Iterable[str]) -> pl.Expr:
    """Whether the number starts with one of the prefixes (prefixes are literal digits)."""
    prefixes = [p for p in prefixes if p]
    if not prefixes:
        return pl.lit(False)
    return normalised.str.contains("^(?:" + "|".join(re.escape(p) for p in prefixes) + ")")
