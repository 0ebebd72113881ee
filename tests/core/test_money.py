"""Money rounding and VAT (DESIGN §4: Decimal, half-up to the cent at line level)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clausier.core.errors import RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.money import (
    fr_format,
    french_vat_rates,
    money,
    to_decimal,
    vat_rate_on,
)


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
    normal = vat_rate_on("normal", date(2026, 1, 1))
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


@pytest.mark.parametrize("category, day, rate, clause", [
    # CGI art. 278: 19,6 % until 2013, 20 % from 1 January 2014 (loi n° 2012-1510, art. 68).
    ("normal", date(2013, 12, 31), "0.196", "CGI art. 278"),
    ("normal", date(2014, 1, 1), "0.20", "CGI art. 278"),
    # CGI art. 279: 7 % from 2012, 10 % from 1 January 2014.
    ("intermediate", date(2012, 1, 1), "0.07", "CGI art. 279"),
    ("intermediate", date(2026, 6, 15), "0.10", "CGI art. 279"),
    ("reduced", date(2026, 6, 15), "0.055", "CGI art. 278-0 bis"),
    ("super_reduced", date(2026, 6, 15), "0.021", "CGI art. 281 quater"),
])
def test_the_vat_rate_of_a_category_on_a_day(category, day, rate, clause):
    found = vat_rate_on(category, day)
    assert (found.code, found.rate, found.clause) == (category, Decimal(rate), clause)


def test_an_unknown_vat_category_is_refused_naming_the_known_ones():
    with pytest.raises(RuleRefusal) as refused:
        vat_rate_on("luxury", date(2026, 1, 1))
    assert refused.value.code == "unknown_vat_category"
    assert str(refused.value) == ("vat_rate: 'luxury' is not one of normal, intermediate, "
                                  "reduced, super_reduced, exempt")
    assert refused.value.as_invalid_input().problems[0].field == "vat_rate"


def test_no_intermediate_rate_before_it_existed():
    # The intermediate rate was created on 1 January 2012 (CGI art. 279).
    with pytest.raises(RuleRefusal,
                       match="vat_rate: no 'intermediate' rate before 2012-01-01") as refused:
        vat_rate_on("intermediate", date(2011, 12, 31))
    assert refused.value.code == "no_vat_rate_yet"


@pytest.mark.parametrize("rows, problem", [
    ('[{category: normal, rate: "1.2", from: 2014-01-01, src: "CGI art. 278"}]',
     "rates.0.rate: Input should be less than 1"),
    ('[{category: normal, rate: "0.2", from: 2014-13-01, src: "CGI art. 278"}]', "rates.0.from"),
    ('[{category: normal, rate: "0.2", from: 2014-01-01, src: "loi de finances"}]', "rates.0.src"),
    ('[{category: normal, rate: "0.2", from: 2014-01-01, src: "CGI art. 278"},'
     ' {category: normal, rate: "0.1", from: 2014-01-01, src: "CGI art. 278"}]',
     "normal has two rates from the same day"),
])
def test_a_bad_rate_file_is_refused_naming_the_row_and_field(tmp_path, rows, problem):
    path = tmp_path / "vat.yaml"
    path.write_text(f"rates: {rows}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=problem.replace(".", r"\.")):
        french_vat_rates(path)
