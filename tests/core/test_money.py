"""Money rounding and VAT (DESIGN §4: Decimal, half-up to the cent at line level)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clausier.core.explain import Explained, Line
from clausier.core.money import FRENCH_VAT_RATES, fr_format, money, to_decimal


@pytest.mark.parametrize("raw, expected", [
    ("2.675", Decimal("2.68")),      # half-up, where binary floats would give 2.67
    ("2.665", Decimal("2.67")),
    ("-2.675", Decimal("-2.68")),    # half-up is symmetric: away from zero on the half
    ("0.005", Decimal("0.01")),
    ("0.004", Decimal("0.00")),
    ("1 234,5", Decimal("1234.50")),
    (2.675, Decimal("2.68")),        # a float is read from its shortest text, not its binary value
    (7, Decimal("7.00")),
])
def test_money_rounds_half_up_to_the_cent(raw, expected):
    assert money(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "", "NaN", "Infinity", True, None])
def test_bad_amounts_name_the_field(raw):
    with pytest.raises(ValueError, match="price"):
        to_decimal(raw, field="price")


def test_vat_20_percent_ht_to_ttc_and_back():
    normal = FRENCH_VAT_RATES["normal"]
    assert normal.ttc_from_ht(Decimal("100.00")) == Decimal("120.00")
    # Ozone annex 2 prices are TTC: the fibre box 120 € TTC is 100 € HT at 20 %.
    assert normal.ht_from_ttc(Decimal("120.00")) == Decimal("100.00")
    assert normal.ht_from_ttc(Decimal("59.00")) == Decimal("49.17")


def test_french_format_uses_comma_and_narrow_space():
    assert fr_format(Decimal("7650")) == "7\u202f650,00\u00a0€"
    assert fr_format(Decimal("-40")) == "-40,00\u00a0€"


def test_explained_total_is_the_sum_of_its_lines_cgv_8_2():
    # Technicophone CGV art. 8.2: 17 remaining months × 450.00 € (the DESIGN's example line).
    explained = Explained((Line("Remaining months", Decimal("7650.00"), "17 × 450,00 €",
                                "CGV art. 8.2"), Line("Analogue lines", Decimal("1500"),
                                                      "3 × 500,00 €", "CP I §6.2")))
    assert explained.total == Decimal("9150.00")
    assert explained.as_dict()["lines"][0] == {"label": "Remaining months", "formula": "17 × 450,00 €",
                                               "amount": "7650.00", "clause": "CGV art. 8.2"}
    assert "7\u202f650,00\u00a0€ — CGV art. 8.2" in explained.to_text()
    assert "<td class=\"clause\">CP I §6.2</td>" in explained.to_html()


@given(st.lists(st.decimals(min_value=-10**6, max_value=10**6, places=2), max_size=20))
def test_property_total_equals_sum_of_lines(amounts):
    explained = Explained(tuple(Line(f"l{i}", a) for i, a in enumerate(amounts)))
    assert explained.total == money(sum(amounts, Decimal(0)))
