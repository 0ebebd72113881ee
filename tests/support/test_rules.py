"""Pure service-level rules, one seed case per test (issue "Support and service levels")."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausier.core.clock import PARIS
from clausier.core.errors import RuleRefusal
from clausier.terms.schema import DayCount
from clausier.support import rules
from clausier.support.rules import ClockFacts, OutageFact, Pause, RestorationCase

from tests.support import levels


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=PARIS)


def clock_of(sl, option, access, facts, now=None):
    target = rules.target_for(sl, option, access)
    counting = rules.counting_calendar(sl, target.counted_in)
    reading = rules.read_clock(facts, counting, sl.restoration.confirmation_window_minutes,
                               now or facts.restored_at)
    return target, reading


# --------------------------------------------------------------------------- the clock

# ISDN fault reported Friday 22 May 2026 16:00, before Whit Monday (25 May, a public holiday),
# confirmed in writing at 16:10, restoration notified Tuesday 26 May 11:00.
WHIT = ClockFacts(called_at=at(2026, 5, 22, 16), confirmed_at=at(2026, 5, 22, 16, 10),
                  restored_at=at(2026, 5, 26, 11))


def test_isdn_friday_before_whit_monday_standard_counts_business_hours_cp_i_5_2():
    # CP I §5.2: ISDN standard = 6 Heures Ouvrées; CGV art. 1 / art. 16: 8:30–17:30 on jours
    # ouvrés. Friday 16:00–17:30 (1 h 30) + Tuesday 8:30–11:00 (2 h 30); Whit Monday is closed.
    target, reading = clock_of(levels.vga(), "standard", "isdn", WHIT)
    assert target.duration == timedelta(hours=6) and target.counted_in is DayCount.business_hours
    assert reading.start == at(2026, 5, 22, 16)
    assert reading.elapsed == timedelta(hours=4)
    status = rules.target_status(reading, target, rules.counting_calendar(levels.vga(), target.counted_in))
    assert not status.breached and status.left == timedelta(hours=2)
    explained, outcomes = rules.restoration_penalties(
        levels.vga(), [RestorationCase("INC-1", reading.elapsed, target)], Decimal("100.00"), "ISDN")
    assert explained.total == Decimal("0.00") and outcomes[0].reason == "within target"


def test_isdn_friday_before_whit_monday_24x7_option_counts_every_hour_cp_i_5_2():
    # CP I §5.2: option GTR 24h/24 7j/7 = 6 hours around the clock. Friday 16:00 → Tuesday 11:00
    # = 8 + 24 × 3 + 11 = 91 h > 12 h: 10 % of the month's fee, which is also the cap (§5.4).
    target, reading = clock_of(levels.vga(), "gtr_6h_24x7", "isdn", WHIT)
    assert reading.elapsed == timedelta(hours=91)
    explained, _ = rules.restoration_penalties(
        levels.vga(), [RestorationCase("INC-1", reading.elapsed, target)], Decimal("100.00"), "ISDN")
    assert explained.total == Decimal("-10.00")
    line = explained.lines[0]
    assert "TR 91 h 00 > 6 h" in line.formula and "10 %" in line.formula
    # An ISDN access: the band of the ISDN table (L1465-1483), not the analogue one (L1440-1457).
    assert line.clause == "CP I §5.2 (L1483)"


def test_confirmation_at_31_minutes_starts_the_clock_at_the_confirmation_cp_i_5_7():
    # CP I §5.7: the ticket time counts only if written confirmation arrives within 30 minutes.
    facts = ClockFacts(called_at=at(2026, 6, 2, 10), confirmed_at=at(2026, 6, 2, 10, 31),
                       restored_at=at(2026, 6, 2, 16, 31))
    _, reading = clock_of(levels.vga(), "standard", "isdn", facts)
    assert reading.start == at(2026, 6, 2, 10, 31) and reading.start_reason == "confirmation"
    assert reading.elapsed == timedelta(hours=6)
    on_time = ClockFacts(called_at=at(2026, 6, 2, 10), confirmed_at=at(2026, 6, 2, 10, 30),
                         restored_at=at(2026, 6, 2, 16, 31))
    _, reading = clock_of(levels.vga(), "standard", "isdn", on_time)
    assert reading.start == at(2026, 6, 2, 10) and reading.elapsed == timedelta(hours=6, minutes=31)


def test_clock_waits_for_the_written_confirmation_cp_i_5_7():
    facts = ClockFacts(called_at=at(2026, 6, 2, 10))
    _, reading = clock_of(levels.vga(), "standard", "isdn", facts, now=at(2026, 6, 2, 12))
    assert reading.start is None and reading.elapsed == timedelta(0)
    assert reading.confirmation_due == at(2026, 6, 2, 10, 30)


def test_pause_for_site_access_freezes_the_clock_cp_i_5_8():
    # CP I §5.8: from the request for site access until physical access is obtained the clock is
    # frozen. Tuesday 9:00 call → 10:00 access requested → 14:00 access given → 17:00 restored:
    # 1 h + 3 h = 4 h counted (8 h without the pause, a 2 % penalty).
    facts = ClockFacts(called_at=at(2026, 6, 2, 9), confirmed_at=at(2026, 6, 2, 9, 5),
                       pauses=(Pause(at(2026, 6, 2, 10), at(2026, 6, 2, 14)),),
                       restored_at=at(2026, 6, 2, 17))
    target, reading = clock_of(levels.vga(), "standard", "isdn", facts)
    assert reading.elapsed == timedelta(hours=4) and reading.paused == timedelta(hours=4)
    assert [s.state for s in reading.spans] == ["running", "paused", "running"]
    _, paused_now = clock_of(levels.vga(), "standard", "isdn", facts, now=at(2026, 6, 2, 12))
    assert paused_now.paused_now and paused_now.elapsed == timedelta(hours=1)
    status = rules.target_status(paused_now, target, rules.counting_calendar(levels.vga(), target.counted_in))
    assert status.deadline is None and status.left == timedelta(hours=5)


def test_live_deadline_in_business_hours_cp_i_5_2():
    # Friday 16:00 + 6 business hours: 1 h 30 on Friday, Whit Monday closed, 4 h 30 on Tuesday.
    facts = ClockFacts(called_at=at(2026, 5, 22, 16), confirmed_at=at(2026, 5, 22, 16, 10))
    target, reading = clock_of(levels.vga(), "standard", "isdn", facts, now=at(2026, 5, 22, 16, 30))
    status = rules.target_status(reading, target, rules.counting_calendar(levels.vga(), target.counted_in))
    assert status.deadline == at(2026, 5, 26, 13)


# --------------------------------------------------------------------------- GTR penalties


def test_three_breaches_in_one_month_hit_the_10_percent_cap_cp_i_5_2_5_4():
    # 7 h → 2 %, 10 h → 5 %, 13 h → 10 %: 17.00 € owed on a 100.00 € month, capped at 10 % (§5.4).
    sl = levels.vga()
    target = rules.target_for(sl, "gtr_6h_24x7", "isdn")
    cases = [RestorationCase(f"INC-{h}", timedelta(hours=h), target) for h in (7, 10, 13)]
    explained, _ = rules.restoration_penalties(sl, cases, Decimal("100.00"), "VGA")
    assert [line.amount for line in explained.lines] == [
        Decimal("-2.00"), Decimal("-5.00"), Decimal("-10.00"), Decimal("7.00")]
    assert explained.total == Decimal("-10.00")
    assert explained.lines[-1].clause == "CP I §5.4 (L1499-1502)"


@pytest.mark.parametrize("hours, percent", [(6, None), (8, Decimal(2)), (Decimal("8.01"), Decimal(5)),
                                            (12, Decimal(5)), (Decimal("12.01"), Decimal(10))])
def test_penalty_band_edges_cp_i_5_2(hours, percent):
    # "6 < TR ≤ 8: 2 %; 8 < TR ≤ 12: 5 %; TR > 12: 10 %".
    band = rules.band_for(levels.vga().restoration.penalty_bands, Decimal(hours))
    assert (band.percent if band else None) == (percent if hours != 6 else None)


def test_excusable_event_gives_no_penalty_cp_i_5_6():
    sl = levels.vga()
    target = rules.target_for(sl, "gtr_6h_24x7", "isdn")
    explained, outcomes = rules.restoration_penalties(
        sl, [RestorationCase("INC-9", timedelta(hours=20), target, excusable_event="force_majeure")],
        Decimal("100.00"), "VGA")
    assert explained.total == 0 and "excusable event (force_majeure)" in outcomes[0].reason


def test_analogue_standard_72h_missed_is_penalised_by_its_band_reading_t_vga_gtr_standard_penalty():
    # CP I §5.2 gives no row for the 72-hour standard target; the sheet's reading (favourable to
    # the client): a missed target is penalised by the band of TR, so 80 h → 10 %; 70 h → nothing.
    sl = levels.vga()
    target = rules.target_for(sl, "standard", "analogue")
    assert target.duration == timedelta(hours=72) and target.penalised
    cases = [RestorationCase("INC-3", timedelta(hours=80), target),
             RestorationCase("INC-4", timedelta(hours=70), target)]
    explained, outcomes = rules.restoration_penalties(sl, cases, Decimal("100.00"), "VGA")
    assert explained.total == Decimal("-10.00") and not outcomes[1].breached


def test_internet_repair_target_is_best_effort_without_penalty_cp_iii_4():
    # CP III §4: "s'efforcera de corriger … dans le délai de six (6) heures ouvrées … Aucune
    # pénalité ni quelconque compensation".
    sl = levels.internet()
    assert rules.default_access(sl, "standard", ["access"]) == "service"
    target = rules.target_for(sl, "standard", "service")
    assert target.duration == timedelta(hours=6) and not target.penalised
    explained, outcomes = rules.restoration_penalties(
        sl, [RestorationCase("INC-5", timedelta(hours=9), target)], Decimal("80.00"), "Internet")
    assert explained.total == 0 and outcomes[0].breached
    assert "tracked without penalty CP III §4 (L2560-2562)" in outcomes[0].reason


def test_preselection_has_no_target_cp_ii_3():
    assert rules.target_for(levels.preselection(), "standard", None) is None
    assert not rules.has_service_level(levels.preselection())


def test_ozone_restoration_within_15_calendar_days_is_tracked_without_credit_cgv_7_7():
    sl = levels.ozone()
    target = rules.target_for(sl, "standard", None)
    assert target.duration == timedelta(days=15) and not target.penalised
    facts = ClockFacts(called_at=at(2026, 3, 2, 10), restored_at=at(2026, 3, 20, 10))
    reading = rules.read_clock(facts, rules.counting_calendar(sl, target.counted_in), None,
                               facts.restored_at)
    status = rules.target_status(reading, target, rules.counting_calendar(sl, target.counted_in))
    assert status.breached and reading.elapsed == timedelta(days=18)


def test_access_is_required_when_the_option_has_several_targets():
    """CP I §5.2: the standard option has a target for analogue lines (L1428-1431) and another
    for ISDN accesses (L1459-1461); the refusal cites both."""
    with pytest.raises(RuleRefusal, match="access") as refused:
        rules.target_for(levels.vga(), "standard", None)
    assert (refused.value.code, refused.value.clause) == (
        "access_ambiguous", "CP I §5.2 (L1428-1431); CP I §5.2 (L1459-1461)")
    assert rules.default_access(levels.vga(), "standard", ["isdn_access"]) == "isdn"
    assert rules.default_access(levels.vga(), "standard", ["isdn_access", "analogue_line"]) is None
    assert rules.default_access(levels.vga(), "gtr_6h_business", ["analogue_line"]) == "analogue"


def test_second_claim_in_the_same_year_is_refused_cp_i_5_6():
    assert rules.restoration_claim_refusal(levels.vga(), 0) is None
    reason = rules.restoration_claim_refusal(levels.vga(), 1)
    assert "1 time(s) a year" in reason and "CP I §5.6" in reason


def test_out_of_scope_ticket_is_billable_cp_i_5_8():
    assert rules.is_billable(levels.vga(), in_scope=False, misuse=False)
    assert rules.is_billable(levels.vga(), in_scope=True, misuse=True)
    assert not rules.is_billable(levels.vga(), in_scope=True, misuse=False)


# --------------------------------------------------------------------------- availability


def test_internet_access_at_exactly_99_5_percent_cp_iii_4_1():
    # June 2026: 30 days = 43 200 minutes; 216 minutes of total outage → (43 200 − 216) / 43 200
    # = 99.5 % exactly; reading: 99.5 % is in the 5 % band ("De 99,5 à 97 %").
    outages = [OutageFact(at(2026, 6, 10, 9), at(2026, 6, 10, 12, 36))]
    result = rules.monthly_availability(levels.internet(), date(2026, 6, 1), outages,
                                        Decimal("80.00"), "Internet")
    assert result.total == timedelta(minutes=43200) and result.down == timedelta(minutes=216)
    assert result.percent == Decimal("99.5")
    assert result.band.percent == Decimal(5)
    assert result.credit.total == Decimal("-4.00")
    assert "(43200 − 216 min) / 43200 min = 99,500 %" in result.credit.lines[0].formula


def test_availability_above_the_objective_gives_no_credit_cp_iii_4_1_1():
    # 50 minutes in a 30-day month: 99.884 % ≥ 99.85 %: no credit.
    outages = [OutageFact(at(2026, 6, 10, 9), at(2026, 6, 10, 9, 50))]
    result = rules.monthly_availability(levels.internet(), date(2026, 6, 1), outages,
                                        Decimal("80.00"), "Internet")
    assert result.objective_met and result.band.percent == 0 and result.credit.total == 0


def test_outage_caused_by_the_customers_equipment_is_excluded_cp_iii_4_1_4():
    # A 10-hour outage caused by the customer's router is an excusable event: only the 1-hour
    # outage of the operator counts: (44 640 − 60) / 44 640 = 99.866 %: no credit.
    outages = [OutageFact(at(2026, 7, 3, 8), at(2026, 7, 3, 18), "equipment_or_service_not_supplied"),
               OutageFact(at(2026, 7, 20, 10), at(2026, 7, 20, 11))]
    result = rules.monthly_availability(levels.internet(), date(2026, 7, 1), outages,
                                        Decimal("80.00"), "Internet")
    assert result.down == timedelta(hours=1) and result.excluded == timedelta(hours=10)
    assert result.percent.quantize(Decimal("0.001")) == Decimal("99.866")
    assert result.credit.total == 0


def test_overlapping_outages_count_once():
    outages = [OutageFact(at(2026, 6, 1, 10), at(2026, 6, 1, 12)),
               OutageFact(at(2026, 6, 1, 11), at(2026, 6, 1, 13))]
    total, down, _ = rules.measure(outages, *rules.month_bounds(date(2026, 6, 1)),
                                   rules.counting_calendar(levels.internet(), DayCount.around_the_clock))
    assert down == timedelta(hours=3)


def test_hosting_vm_in_probation_has_no_sla_cp_xi_3_2():
    # CP XI §3.2: 3 calendar months of probation after onboarding: billed, SLA not applicable.
    outages = [OutageFact(at(2026, 6, 10, 0), at(2026, 6, 12, 0))]
    result = rules.monthly_availability(levels.hosting(), date(2026, 6, 1), outages,
                                        Decimal("200.00"), "Hosting VM", go_live=date(2026, 4, 15))
    assert not result.applicable and "probation phase until 2026-07-15" in result.notes[0]


def test_hosting_availability_is_the_lower_of_all_minutes_and_coverage_hours_reading_t_cp_sla_coverage():
    # After probation: 48 h down on Monday 10 and Tuesday 11 August 2026. Over every minute:
    # (744 − 48) / 744 = 93.548 %; over the coverage hours (Mon–Fri 9–17, 21 days = 168 h):
    # (168 − 16) / 168 = 90.476 %, the lower: band < 97 % → 10 % × 200 € (CP XI §4.1.3).
    after = rules.monthly_availability(levels.hosting(), date(2026, 8, 1),
                                       [OutageFact(at(2026, 8, 10, 0), at(2026, 8, 12, 0))],
                                       Decimal("200.00"), "Hosting VM", go_live=date(2026, 4, 15))
    assert after.total == timedelta(hours=168) and after.down == timedelta(hours=16)
    assert after.percent.quantize(Decimal("0.001")) == Decimal("90.476")
    assert after.credit.total == Decimal("-20.00")


def test_vga_availability_objective_is_reported_without_penalty_cp_i_5_3():
    # CP I §5.3: 99.8 % over 6 months, counted in business hours; no penalty.
    outages = [OutageFact(at(2026, 6, 10, 8, 30), at(2026, 6, 11, 17, 30))]   # 18 business hours
    result = rules.monthly_availability(levels.vga(), date(2026, 6, 1), outages, Decimal("100"), "VGA")
    assert result.objective_only and result.credit.total == 0
    assert result.period_start == at(2026, 1, 1)
    assert result.down == timedelta(hours=18) and result.objective_met is False


def test_claim_window_counts_business_days_after_the_month_cp_iii_4_1():
    # 30 jours ouvrés after 30 June 2026: 22 in July (14 July is a holiday), 8 in August → 12 August.
    assert rules.claim_deadline(levels.internet(), date(2026, 6, 1)) == date(2026, 8, 12)


# --------------------------------------------------------------------------- property

MONDAY = at(2026, 5, 18)   # the week before Whit Monday: holidays inside the range
instants = st.integers(min_value=0, max_value=14 * 24 * 60).map(lambda m: MONDAY + timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(call=instants, offsets=st.lists(st.integers(0, 5 * 24 * 60), min_size=4, max_size=8),
       now_a=st.integers(0, 20 * 24 * 60), now_b=st.integers(0, 20 * 24 * 60))
def test_clock_is_monotone_and_skips_paused_and_closed_time(call, offsets, now_a, now_b):
    """The clock never goes backwards, and on a business-hours option it counts exactly the open
    hours outside pauses: never a paused minute, never a minute out of hours."""
    sl = levels.vga()
    target = rules.target_for(sl, "standard", "isdn")
    counting = rules.counting_calendar(sl, target.counted_in)
    marks = sorted(call + timedelta(minutes=o) for o in offsets)
    pauses = tuple(Pause(marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2))
    facts = ClockFacts(called_at=call, confirmed_at=call + timedelta(minutes=5), pauses=pauses)
    first, second = sorted((call + timedelta(minutes=now_a), call + timedelta(minutes=now_b)))
    a = rules.read_clock(facts, counting, sl.restoration.confirmation_window_minutes, first)
    b = rules.read_clock(facts, counting, sl.restoration.confirmation_window_minutes, second)
    assert a.elapsed <= b.elapsed
    if b.start is None:
        return
    open_time = counting.business_time_between(b.start, b.until)
    assert b.elapsed + b.paused == open_time
    paused_open = sum((counting.business_time_between(max(p.start, b.start), min(p.end, b.until))
                       for p in pauses), timedelta(0))
    assert b.paused <= paused_open
    for span in b.spans:
        if span.state == "running":
            assert span.counted == counting.business_time_between(span.start, span.end)
    if a.start is not None:
        # What the clock gained between the two readings is open, unpaused time in between.
        assert b.elapsed - a.elapsed <= counting.business_time_between(first, second)


def test_service_level_explanations_read_in_french_on_french_pages():
    """The rules write English; a French page shows the explain catalogue's French (CP I §5.2–5.4
    penalties and their cap, CP III §4.1 availability credit)."""
    from clausier.web.explain_text import explained as translate

    sl = levels.vga()
    target = rules.target_for(sl, "gtr_6h_24x7", "isdn")
    cases = [RestorationCase(f"INC-{h}", timedelta(hours=h), target) for h in (7, 10, 13)]
    penalties, _ = rules.restoration_penalties(sl, cases, Decimal("100.00"), "VGA")
    outages = [OutageFact(at(2026, 6, 10, 9), at(2026, 6, 10, 12, 36))]
    credit = rules.monthly_availability(levels.internet(), date(2026, 6, 1), outages,
                                        Decimal("80.00"), "Internet").credit
    french = [(translate(line.label, "fr"), translate(line.formula, "fr").replace("\xa0", " "))
              for line in penalties.lines + credit.lines]
    assert french[0] == ("Pénalité de délai de rétablissement INC-7 (VGA)",
                         "DR 7 h 00 > objectif 6 h, tranche 6 < x ≤ 8 : 2 % × 100,00 €")
    assert french[3] == ("Plafond des pénalités de délai de rétablissement par site et par mois",
                         "17,00 € dus, plafonnés à 10 % × 100,00 € = 10,00 €")
    assert french[4][0] == "Crédit de disponibilité 2026-06 (Internet)"
    assert french[4][1].startswith("(43200 − 216 min) / 43200 min = 99,500 %, tranche ")
