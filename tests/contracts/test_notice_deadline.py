"""Notice deadline, renewal and the exit quote agree, for every family of the three sheets.

Technicophone CGV art. 7 (seed 001, L244-250) and R9 of the spec: a notice received at least three
months before the anniversary date ends the contract with its period, with no fee for the next
one; received later, the contract renews (art. 7, L196-199: one more year) and the letter is an
early termination of the renewed period, priced by the schedule. Ozone ends a contract ten days
after receipt (general terms, seed 002); Rozoh's packs have no notice to give.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from clausier.contracts import rules
from clausier.contracts.rules import Facts, Item
from clausier.terms.loader import BUILT_IN_DIR, load_sheet
from clausier.terms.schema import Notice, NoticeEffect

DAY = timedelta(days=1)
OPERATORS = ("technicophone", "ozone", "rozoh")


@cache
def sheet(operator: str):
    return load_sheet(BUILT_IN_DIR / operator)


def families_with_notice() -> list[tuple[str, str]]:
    found = []
    for operator in OPERATORS:
        for family in sheet(operator).families:
            notice = sheet(operator).terms_for(family).notice
            if notice is not None and notice.effect is not None:
                found.append((operator, family))
    return found


FAMILIES = families_with_notice()
WITH_DEADLINE = [(o, f) for o, f in FAMILIES
                 if sheet(o).terms_for(f).notice.months_before_term is not None
                 and sheet(o).terms_for(f).notice.effect.value != NoticeEffect.days_after_receipt]


def facts_for(operator: str, family: str, go_live: date, monthly: Decimal) -> Facts:
    terms = sheet(operator).terms_for(family)
    months = terms.commitment.initial_months.value if terms.commitment and terms.commitment.initial_months else 12
    return Facts(family=family, signed_on=go_live, commitment_months=months,
                 items=(Item("Service", "line", 1, monthly),), commitment_start=go_live,
                 go_live_on=go_live,
                 customer_kind="household" if operator == "ozone" else "company")


def test_every_technicophone_family_has_a_deadline_and_ozone_none():
    # Every Technicophone schedule gives a notice in months before term (CGV art. 7 and the
    # schedules' "Durée" sections); Ozone's ten days after receipt (general terms) have none.
    assert {f for o, f in WITH_DEADLINE if o == "technicophone"} == set(sheet("technicophone").families)
    assert not [f for o, f in WITH_DEADLINE if o != "technicophone"]


@pytest.mark.parametrize("go_live, deadline", [
    (date(2025, 1, 1), date(2027, 10, 1)),     # anniversary 2028-01-01, 3 months before
    (date(2024, 1, 31), date(2026, 10, 31)),   # anniversary 2027-01-31
    (date(2025, 2, 28), date(2027, 11, 28)),   # anniversary 2028-02-28
    (date(2024, 2, 29), date(2026, 11, 30)),   # anniversary 2027-02-28
])
def test_the_deadline_is_three_months_before_the_anniversary_cgv_7(go_live, deadline):
    # CGV art. 7 (L244-250): 36 months from go-live, notice at least 3 months before the
    # anniversary. 2024-02-29 + 36 months: the period ends 2027-02-27, anniversary 2027-02-28;
    # 30 November + 3 months reaches 28 February (clipped), so 30 November still qualifies.
    terms = sheet("technicophone").terms_for("sip_trunk")
    facts = facts_for("technicophone", "sip_trunk", go_live, Decimal("450.00"))
    assert rules.timeline(facts, terms, go_live).notice_deadline == deadline
    on_deadline = rules.quote_termination(facts, terms, deadline)
    assert on_deadline.effective_date <= rules.commitment_end(facts, terms) + DAY
    assert on_deadline.one_off.total == Decimal("0.00")


def test_sip_trunk_letter_on_the_deadline_and_the_day_after_cgv_7_8_2():
    # Go-live 2025-01-01: initial period to 2027-12-31, deadline 2027-10-01.
    # On the deadline: the 3 notice months (Oct, Nov, Dec) are billed as usual, nothing else:
    # 3 × 450 € = 1 350 €, the contract ends on 2028-01-01.
    # The day after: the contract renews for a year on 2028-01-01 (CP IV §6.1) and the letter is
    # an early termination effective 2028-01-02: 3 notice months billed as usual (1 350 €) and,
    # CP IV §6.2 (b), the months left in the renewal period counted from receipt (15 started
    # months from 2027-10-02 to 2028-12-31, less the 3 of the notice) × 450 € = 5 400 €.
    terms = sheet("technicophone").terms_for("sip_trunk")
    facts = facts_for("technicophone", "sip_trunk", date(2025, 1, 1), Decimal("450.00"))
    on = rules.quote_termination(facts, terms, date(2027, 10, 1))
    late = rules.quote_termination(facts, terms, date(2027, 10, 2))
    assert (on.effective_date, on.explained.total, on.period.kind) == (
        date(2028, 1, 1), Decimal("1350.00"), "initial")
    assert (late.effective_date, late.period.kind, late.period.start) == (
        date(2028, 1, 2), "renewal", date(2028, 1, 1))
    assert late.explained.total == Decimal("6750.00")
    assert on.notice_deadline == date(2027, 10, 1)
    assert late.notice_deadline == date(2028, 10, 1)   # the renewed year's deadline


fees = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("3000"), places=2)
go_lives = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=300, deadline=None)
@given(family=st.sampled_from(WITH_DEADLINE), go_live=go_lives, monthly=fees,
       years=st.integers(min_value=0, max_value=3))
def test_property_a_late_letter_never_costs_less_than_one_on_the_deadline(family, go_live, monthly, years):
    operator, name = family
    terms = sheet(operator).terms_for(name)
    facts = facts_for(operator, name, go_live, monthly)
    some_day = go_live + timedelta(days=365 * years + 30)
    period = rules.period_on(facts, terms, some_day)
    deadline = rules.notice_deadline(period, terms)
    assert deadline is not None
    on = rules.quote_termination(facts, terms, deadline)
    late = rules.quote_termination(facts, terms, deadline + DAY)
    # On the deadline the contract ends with its period: no day of the next one.
    assert on.effective_date <= period.end + DAY
    assert on.period.start == period.start
    # The day after, the contract has renewed (or runs on, for an indefinite renewal).
    assert late.effective_date > period.end + DAY or terms.renewal is None
    assert late.explained.total >= on.explained.total
    assert late.one_off.total >= on.one_off.total


@settings(max_examples=300, deadline=None)
@given(family=st.sampled_from(FAMILIES), go_live=go_lives, monthly=fees,
       offset=st.integers(min_value=0, max_value=2200))
def test_property_quote_and_timeline_agree_and_notice_is_respected(family, go_live, monthly, offset):
    operator, name = family
    terms = sheet(operator).terms_for(name)
    facts = facts_for(operator, name, go_live, monthly)
    received = go_live + timedelta(days=offset)
    quote = rules.quote_termination(facts, terms, received)
    line = rules.timeline(facts, terms, received)
    assert quote.notice_deadline == line.notice_deadline
    assert quote.effective_date == line.termination_if_received_today
    notice = terms.notice
    if notice.effect.value == NoticeEffect.days_after_receipt:
        end_of_notice = received + timedelta(days=notice.days_after_receipt.value)
    else:
        end_of_notice = rules.add_months(received, notice.months_before_term.value)
    assert quote.effective_date >= end_of_notice
    if line.notice_deadline is not None:
        assert line.notice_deadline >= received


def with_reminders(terms, days: list[int]):
    """``terms`` whose notice block reminds the client on ``days`` (an operator's own sheet)."""
    days_field = Notice.model_validate({"reminder_days_before_deadline": {
        "value": days, "src": "CGV art. 7.3 L201-204"}}).reminder_days_before_deadline
    return replace_reminders(terms, days_field)


def replace_reminders(terms, days_field):
    notice = terms.notice.model_copy(update={"reminder_days_before_deadline": days_field})
    return terms.model_copy(update={"notice": notice})


def test_technicophone_reminds_60_30_and_7_days_before_the_deadline_reading_t_notice_reminders():
    # CGV art. 7.3 (L201-204) sets the notice, not a reminder; reading T-NOTICE-REMINDERS: the
    # client is reminded 60, 30 and 7 days before the deadline (sip_trunk from 2025-01-01:
    # deadline 2027-10-01, CP IV §6.2), and on no other day.
    terms = sheet("technicophone").terms_for("sip_trunk")
    deadline = date(2027, 10, 1)
    reminded = {day: rules.notice_reminder_due(deadline, day, terms)
                for day in (deadline - timedelta(days=n) for n in range(0, 91))}
    assert {day: n for day, n in reminded.items() if n is not None} == {
        date(2027, 8, 2): 60, date(2027, 9, 1): 30, date(2027, 9, 24): 7}


def test_a_sheets_reminder_days_replace_the_built_in_ones():
    # An operator's sheet that reminds 45 and 14 days ahead: the reminders follow it, not 60/30/7.
    terms = with_reminders(sheet("technicophone").terms_for("sip_trunk"), [45, 14])
    deadline = date(2027, 10, 1)
    assert rules.notice_reminder_due(deadline, date(2027, 8, 17), terms) == 45
    assert rules.notice_reminder_due(deadline, date(2027, 9, 17), terms) == 14
    assert rules.notice_reminder_due(deadline, date(2027, 8, 2), terms) is None  # 60: not named
    assert rules.notice_reminder_due(deadline, date(2027, 9, 24), terms) is None  # 7: not named


def test_no_reminder_without_days_in_the_sheet_nor_without_a_deadline():
    # Ozone's notice runs ten days after receipt (CGV art. 11.1 L301): no deadline, no reminder;
    # a sheet that names no reminder days reminds nobody.
    ozone = sheet("ozone").terms_for("internet_fibre")
    assert ozone.notice.reminder_days_before_deadline is None
    assert rules.notice_reminder_due(None, date(2027, 9, 1), ozone) is None
    silent = replace_reminders(sheet("technicophone").terms_for("sip_trunk"), None)
    assert rules.notice_reminder_due(date(2027, 10, 1), date(2027, 9, 1), silent) is None


def test_reminder_days_must_be_positive():
    with pytest.raises(ValidationError) as refused:
        Notice.model_validate({"reminder_days_before_deadline": {
            "value": [30, 0], "src": "CGV art. 7.3 L201-204"}})
    assert "reminder_days_before_deadline" in str(refused.value)
    assert "greater than 0" in str(refused.value)
