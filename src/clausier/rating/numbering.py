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

# Overseas departments share the French plan: +262, +590, +594, +596 and +508 numbers are
# national numbers once the country code is replaced by the trunk prefix 0.
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


def _calling_code_maps() -> dict[int, dict[str, str]]:
    """Country calling code → main region, by code length (calling codes are prefix-free)."""
    maps: dict[int, dict[str, str]] = {1: {}, 2: {}, 3: {}}
    for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        region = regions[0]
        if region != "001":     # non-geographic entities (satellite, UIFN…)
            maps[len(str(code))][str(code)] = region
    return maps


_CALLING_CODES = _calling_code_maps()


def normalise(number: pl.Expr) -> pl.Expr:
    """Digits only; ``+CC``/``00CC`` become ``00CC``; French and DOM country codes become ``0``."""
    digits = number.fill_null("").str.replace_all(r"[\s.\-()/]", "")
    international = (pl.when(digits.str.starts_with("+"))
                     .then(pl.lit("00") + digits.str.slice(1)).otherwise(digits))
    national = pl.when(international.str.starts_with("0033")).then(
        pl.lit("0") + international.str.slice(4))
    for code in NATIONAL_COUNTRY_CODES[1:]:
        national = national.when(international.str.starts_with("00" + code)).then(
            pl.lit("0") + international.str.slice(2))
    return national.otherwise(international)


def destination_class(normalised: pl.Expr) -> pl.Expr:
    """The destination class of a normalised number."""
    n = normalised
    length = n.str.len_chars()
    p2, p3 = n.str.slice(0, 2), n.str.slice(0, 3)
    digits_only = n.str.contains(r"^\d+$")
    ten = length == 10
    return (
        pl.when(~digits_only).then(pl.lit(INVALID))
        .when(n.is_in(EMERGENCY_NUMBERS) | ((length == 6) & n.str.starts_with("116")))
        .then(pl.lit(EMERGENCY))
        .when(ten & p2.is_in(("01", "02", "03", "04", "05", "09"))).then(pl.lit(FIXED))
        .when(ten & p2.is_in(("06", "07"))).then(pl.lit(MOBILE))
        .when(ten & (p3 == "089")).then(pl.lit(PREMIUM))
        .when(ten & (p2 == "08")).then(pl.lit(SPECIAL))
        .when((p2 == "00") & (length >= 7)).then(pl.lit(INTERNATIONAL))
        .when(((length == 4) & n.str.starts_with("3")) | ((length == 6) & (p3 == "118")))
        .then(pl.lit(SVA_SHORT))
        .when((length >= 2) & (length <= 6) & ~n.str.starts_with("0")).then(pl.lit(SHORT))
        .otherwise(pl.lit(INVALID))
    )


def country(normalised: pl.Expr) -> pl.Expr:
    """ISO country of a normalised number: FR for the national plan, the calling code's main
    region (phonenumbers) for an international number, null otherwise."""
    n = normalised
    international = n.str.starts_with("00")
    region = pl.lit(None, dtype=pl.String)
    for length in (1, 2, 3):
        prefix = n.str.slice(2, length)
        region = pl.coalesce(prefix.replace_strict(_CALLING_CODES[length], default=None,
                                                   return_dtype=pl.String), region)
    return (pl.when(n.str.starts_with("0") & ~international).then(pl.lit("FR"))
            .when(international).then(region)
            .otherwise(pl.lit(None, dtype=pl.String)))


def roaming_zone(visited_country: pl.Expr) -> pl.Expr:
    """Where the line was when it used the network: home (France), DOM, EU/EEA or world."""
    c = visited_country.fill_null("").str.to_uppercase()
    return (pl.when((c == "") | (c == "FR")).then(pl.lit(HOME))
            .when(c.is_in(DOM_COUNTRIES)).then(pl.lit(DOM))
            .when(c.is_in(EU_EEA_COUNTRIES)).then(pl.lit(EU))
            .otherwise(pl.lit(WORLD)))


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
