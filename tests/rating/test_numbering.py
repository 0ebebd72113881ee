"""The French numbering plan (ARCEP) and roaming zones, as the rating classifies them."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from clausier.rating.numbering import rules as nb

CASES = [
    ("0145000000", "0145000000", nb.FIXED, "FR"),          # 01–05 geographic
    ("09 70 00 00 00", "0970000000", nb.FIXED, "FR"),      # 09 non-geographic
    ("+33 6 12 34 56 78", "0612345678", nb.MOBILE, "FR"),  # 06/07 mobile
    ("0033712345678", "0712345678", nb.MOBILE, "FR"),
    ("0800123456", "0800123456", nb.SPECIAL, "FR"),        # 08 special
    ("0891234567", "0891234567", nb.PREMIUM, "FR"),        # 089 premium
    ("3949", "3949", nb.SVA_SHORT, None),                  # 3BPQ
    ("118712", "118712", nb.SVA_SHORT, None),              # 118XYZ
    ("15", "15", nb.EMERGENCY, None),
    ("17", "17", nb.EMERGENCY, None),
    ("18", "18", nb.EMERGENCY, None),
    ("112", "112", nb.EMERGENCY, None),
    ("114", "114", nb.EMERGENCY, None),
    ("115", "115", nb.EMERGENCY, None),
    ("119", "119", nb.EMERGENCY, None),
    ("116000", "116000", nb.EMERGENCY, None),
    ("1014", "1014", nb.SHORT, None),
    ("+44 20 7946 0958", "00442079460958", nb.INTERNATIONAL, "GB"),
    ("0049301234567", "0049301234567", nb.INTERNATIONAL, "DE"),
    ("+1 212 555 0100", "0012125550100", nb.INTERNATIONAL, "US"),
    ("+262 262 12 34 56", "0262123456", nb.FIXED, "FR"),   # overseas departments: national plan
    ("abc", "abc", nb.INVALID, None),
]


@pytest.mark.parametrize(("raw", "normalised", "klass", "country"), CASES)
def test_numbering_plan_classes_and_countries(raw, normalised, klass, country):
    frame = pl.DataFrame({"raw": [raw]}).with_columns(nb.normalise(pl.col("raw")).alias("n")).with_columns(
        nb.destination_class(pl.col("n")).cast(pl.String).alias("class"), nb.country(pl.col("n")).alias("country"))
    assert frame.row(0, named=True) == {"raw": raw, "n": normalised, "class": klass, "country": country}


@pytest.mark.parametrize(("visited", "zone"), [("", nb.HOME), ("FR", nb.HOME), ("ES", nb.EU), ("NO", nb.EU),
                                               ("RE", nb.DOM), ("GP", nb.DOM), ("MA", nb.WORLD), ("US", nb.WORLD)])
def test_roaming_zones_eu_eea_dom_and_rest_of_world(visited, zone):
    """Eurotarif covers the EU and the EEA (CP IX §17 L7144-7149); the DOM are their own zone."""
    frame = pl.DataFrame({"visited": [visited]}).select(nb.roaming_zone(pl.col("visited")).cast(pl.String))
    assert frame.item() == zone


def test_arcep_forms_letters_stand_for_digits():
    assert pl.Series(["0891234567", "0899", "0881234567"]).str.contains(nb.form_pattern(["089B"])).to_list() \
        == [True, True, False]
    assert pl.Series(["3949", "39491", "118712"]).str.contains(nb.form_pattern(["3BPQ", "118XYZ"])).to_list() \
        == [True, False, True]


def test_called_key_tells_every_called_text_apart_and_equal_texts_alike():
    """Rating finds the distinct called numbers on an integer key: two different texts never
    share one (the digits' count and a leading "+" count, not only their value), the same text
    always does, and a missing number is read as an empty one."""
    from clausier.rating.classify.rules import called_key

    texts = ["12", "012", "+12", "0012", "+012", "12345678901234567", "+12345678901234567",
             "123456789012345678", "01 23", "0123", "", None, "01 23", "0612345678", "+33612345678"]
    keys = called_key(pl.Series("called", texts, pl.String)).to_list()
    by_text: dict = {}
    for text, key in zip(texts, keys, strict=True):
        by_text.setdefault("" if text is None else text, set()).add(key)
    assert all(len(found) == 1 for found in by_text.values())
    assert len({next(iter(found)) for found in by_text.values()}) == len(by_text)


def test_a_country_with_its_own_price_gets_its_own_line_and_the_others_the_generic_price():
    """The built-in Technicophone price list prices calls to Germany on their own (0.0500 € a
    minute, ``international:DE``) and other countries at the generic international price: a
    minute to Germany and a minute to the United Kingdom give two lines, named after the
    country priced on its own."""
    from clausier.rating.month.rules import rate_month
    from clausier.rating.price.rules import Tariff
    from tests.rating.conftest import DEMO_TARIFFS, plan, records

    tariffs = {"demo": [*DEMO_TARIFFS["demo"], Tariff("international:DE", "voice", Decimal("0.0500"),
                                                      source="price list")]}
    result = rate_month(records([{"called": "0049301234567"}, {"called": "+44 20 7946 0958"}]),
                        [plan("vga")], tariffs)
    lines = {line.label: line.amount for line in result.explained[1].lines}
    assert lines == {"Calls — international DE": Decimal("0.05"), "Calls — international": Decimal("0.30")}
