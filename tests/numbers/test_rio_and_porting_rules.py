"""Pure numbering rules: RIO format and key, porting dates over French holidays, SDA blocks."""

from __future__ import annotations

from datetime import date
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clausier.core.errors import RuleRefusal
from clausier.numbers import rules
from clausier.terms.loader import BUILT_IN_DIR, load_sheet


@cache
def terms(operator: str, family: str):
    return load_sheet(BUILT_IN_DIR / operator).terms_for(family)


def test_rio_key_ties_the_rio_to_its_number():
    rio = rules.make_rio("02", "P", "A1B2C3", "0612345678")
    assert len(rio) == 12 and rio.startswith("02PA1B2C3")
    rules.check_rio(rio, "06 12 34 56 78")
    with pytest.raises(RuleRefusal, match="wrong control key"):
        rules.check_rio(rio, "0612345679")                    # another number


@pytest.mark.parametrize("fields, number, key", [
    # Worked by hand: positions in "ABC…Z0…9+" are 0=26, 6=32, P=15, A=0; the first sum is
    # 26+26+15+6×0+26+32+8×26 = 333 ≡ 0 (mod 37), and position 0 is "A".
    (("00", "P", "AAAAAA"), "0600000000", "A+5"),
    (("02", "P", "A1B2C3"), "0611223344", "9LS"),
    (("01", "E", "+Z9K4Q"), "0712345678", "5SU"),
])
def test_rio_key_follows_the_shared_algorithm_letters_first(fields, number, key):
    # ARCEP decision 2009-0239 art. 10 II: CCC checks the number against OO Q RRRRRR. The key
    # algorithm (Charte RIO, GIE EGP) is published with the alphabet in the order
    # "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+" (letters first): French Wikipedia "Relevé d'identité
    # opérateur" (its Python sample, quoted on excel-downloads.com thread 20006559) and an
    # independent JavaScript checker (github.com/gdelvallez1, rio/rio.js). No published valid
    # (RIO, number) pair was found, so these keys were computed by hand from that text; a
    # digits-first alphabet would give "BS2", "ITO" and "3CX" instead.
    assert rules.rio_key(*fields, number) == key
    rio = "".join(fields) + key
    rules.check_rio(rio, number)
    wrong = rio[:-1] + ("A" if key[-1] != "A" else "B")
    with pytest.raises(RuleRefusal, match="rio: wrong control key"):
        rules.check_rio(wrong, number)


def test_rio_with_a_wrong_key_is_refused():
    # Ozone CPV fixe art. 7.2 (L694): any RIO error means refusal and a new RIO.
    rio = rules.make_rio("01", "P", "XK42ZZ", "0698765432")
    wrong = rio[:-1] + ("A" if rio[-1] != "A" else "B")
    with pytest.raises(RuleRefusal, match="rio: wrong control key"):
        rules.check_rio(wrong, "0698765432")


@pytest.mark.parametrize("rio, reason", [
    ("02PA1B2C", "12 characters"),                  # too short
    ("02FA1B2C3XYZ", "fixed line"),                 # quality F is for fixed lines
    (None, "missing"),
])
def test_rio_format(rio, reason):
    with pytest.raises(RuleRefusal, match=reason):
        rules.check_rio(rio, "0612345678")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=6),
       st.integers(min_value=600000000, max_value=799999999), st.sampled_from("PE"))
def test_any_single_character_change_of_the_reference_breaks_the_key(reference, n, quality):
    number = f"0{n}"
    rio = rules.make_rio("03", quality, reference, number)
    rules.check_rio(rio, number)
    changed = ("B" if reference[0] == "A" else "A") + reference[1:]
    assert rules.rio_key("03", quality, changed, number) != rio[-3:]


def test_mobile_port_in_date_skips_the_may_holidays():
    # Ozone CPV mobile art. 6.2 (L886): 3 to 7 business days from the request. Requested on
    # Wednesday 29 April 2026: Friday 1 May and Friday 8 May are public holidays.
    plan = rules.porting_plan("0612345678", date(2026, 4, 29), terms("ozone", "mobile"))
    assert plan.earliest == date(2026, 5, 5)      # Thu 30, (Fri 1 May), Mon 4, Tue 5
    assert plan.latest == date(2026, 5, 12)       # Wed 6, Thu 7, (Fri 8 May), Mon 11, Tue 12
    assert plan.porting_date == date(2026, 5, 5)
    assert (plan.interruption_min_minutes, plan.interruption_max) == (15, "240 minutes")   # L888
    chosen = rules.porting_plan("0612345678", date(2026, 4, 29), terms("ozone", "mobile"), date(2026, 5, 8))
    assert chosen.porting_date == date(2026, 5, 5)    # a holiday is not a porting day


def test_fixed_port_in_about_15_business_days():
    # Ozone CPV fixe art. 7.1 (L690): an average of 15 business days from the transmission.
    plan = rules.porting_plan("0233445566", date(2026, 12, 17), terms("ozone", "voip"))
    assert plan.porting_date == date(2027, 1, 11)     # 25 Dec and 1 Jan skipped
    assert plan.clauses == ("CPV Téléphonie fixe art. 7.1 (L690)",)


def test_technicophone_mobile_needs_the_agreed_date_and_cancels_two_business_days_before():
    # CP IX §3 (L6242-6244): cancellation up to 2 business days before the chosen porting date.
    with pytest.raises(RuleRefusal, match="porting_date"):
        rules.porting_plan("0612345678", date(2026, 4, 29), terms("technicophone", "mobile"))
    plan = rules.porting_plan("0612345678", date(2026, 4, 29), terms("technicophone", "mobile"), date(2026, 5, 11))
    assert plan.cancel_until == date(2026, 5, 6)      # Mon 11 ← (Fri 8 May) ← Thu 7 ← Wed 6
    assert plan.interruption_max == "4 business hours"


def test_sda_are_ordered_by_blocks_of_ten():
    # CP I §3 (L1250-1253): "par tranche de dix".
    with pytest.raises(RuleRefusal, match="blocks of 10") as refused:
        rules.sda_block("0247660100", 15, terms("technicophone", "vga"))
    assert (refused.value.code, refused.value.clause) == ("sda_count_not_whole_blocks",
                                                          "CP I §3 (L1250-1253)")
    numbers, clause = rules.sda_block("0247660100", 20, terms("technicophone", "vga"))
    assert numbers[0] == "0247660100" and numbers[-1] == "0247660119" and clause == "CP I §3 (L1250-1253)"


def test_number_kinds_follow_the_numbering_plan():
    assert [rules.kind_of(n) for n in ("0147000000", "0712345678", "0892680000", "0970000000")] == [
        "geographic", "mobile", "premium", "non_geographic"]
    assert rules.normalise("+33 6 12 34 56 78") == "0612345678"
    with pytest.raises(RuleRefusal):
        rules.normalise("12345")
