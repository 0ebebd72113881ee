"""The built-in TECHNICOPHONE sheet, parts A and B (CGV, CP I–VI): figures with their clauses,
and one test per contradiction resolved (readings-a.yaml, readings-b.yaml)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from clausier.terms.lint import lint_sheet
from clausier.terms.loader import BUILT_IN_DIR, load_sheet
from clausier.terms.schema import Band, TermSheet

MY_FAMILIES = ("vga", "preselection", "internet", "sip_trunk", "centrex", "mail")
SLA_FAMILIES = ("internet", "sip_trunk", "centrex", "mail")


@pytest.fixture(scope="module")
def sheet() -> TermSheet:
    return load_sheet(BUILT_IN_DIR / "technicophone")


def _lines(sourced) -> tuple[int, int]:
    return sourced.src.first_line, sourced.src.last_line


def _fee(terms, kind: str, unit: str | None = None):
    return next(f for f in terms.termination.fees
                if f.kind == kind and getattr(f, "unit", None) == unit)


def _exemption(terms, reason: str):
    return next(e for e in terms.termination.exemptions if e.reason == reason)


def _threshold(thresholds, metric: str, per: str | None = None):
    return next(t for t in thresholds if t.metric == metric and (per is None or t.per == per))


def _step(sheet: TermSheet, step_id: str):
    return next(s for s in sheet.general.dunning.steps if s.id == step_id)


def _band_for(bands: list[Band], measure: str) -> Decimal:
    """The percent of the band holding ``measure`` (half-open bands, explicit inclusivity)."""
    x = Decimal(measure)
    held = [b.percent for b in bands
            if (b.lower is None or x > b.lower or (x == b.lower and b.lower_inclusive))
            and (b.upper is None or x < b.upper or (x == b.upper and b.upper_inclusive))]
    assert len(held) == 1, f"{measure} is held by {len(held)} bands"
    return held[0]


def _reading(sheet: TermSheet, reading_id: str):
    reading = sheet.reading(reading_id)
    assert reading.chosen
    return reading


# --------------------------------------------------------------------------- the sheet


def test_sheet_loads_and_lints_clean(sheet: TermSheet, seeds) -> None:
    assert sheet.id == "technicophone" and sheet.version == 1
    assert str(sheet.valid_from) == "2023-07-01"
    assert sheet.source.seed == "001_742b69a7556570e9.txt"
    assert sheet.source.version_stamp == "Version 01.07.2023"
    assert (sheet.customer_kind, sheet.price_basis) == ("business", "HT")
    assert sheet.operator.siren == "379341803"
    assert sheet.operator.email == "telecom@technicophone.fr"
    assert sheet.operator.phone == "0247406000"
    assert set(MY_FAMILIES) <= set(sheet.families)
    assert lint_sheet(sheet, seeds, applied=False) == []   # applied: test_reading_index.py


def test_readings_of_parts_a_and_b_are_resolved_and_say_why(sheet: TermSheet) -> None:
    folder = BUILT_IN_DIR / "technicophone"
    ids = {r["id"] for name in ("readings-a.yaml", "readings-b.yaml")
           for r in yaml.safe_load((folder / name).read_text(encoding="utf-8"))}
    mine = [r for r in sheet.readings if r.id in ids]
    assert len(mine) == len(ids) >= 35
    for reading in mine:
        assert reading.chosen and reading.favours and reading.why, reading.id
        if reading.kind == "contradiction":
            assert len(reading.texts) >= 2, reading.id
        if reading.favours == "client":   # the default reading, Code civil art. 1190
            assert "1190" in reading.why, reading.id


# --------------------------------------------------------------------------- CGV figures


def test_initial_period_36_months_from_go_live_renewed_tacitly(sheet: TermSheet) -> None:
    c = sheet.general.commitment
    assert c.initial_months.value == 36 and c.initial_months.clause == "CGV art. 7.1 (L190-194)"
    assert c.start_event.value == "go_live"
    # CGV 7.4: any change re-commits the whole service and its options for 36 months
    assert c.recommit_on_change_months.value == 36
    assert _lines(c.recommit_on_change_months) == (206, 212)
    assert c.recommit_scope.value == "whole_service_and_options"
    assert sheet.general.renewal.mode.value == "tacit_fixed"


def test_notice_three_months_before_term_by_registered_letter(sheet: TermSheet) -> None:
    n = sheet.general.notice
    assert n.months_before_term.value == 3
    assert n.months_before_term.clause == "CGV art. 7.3 (L201-204)"
    assert n.effect.value == "end_of_period"
    for family in MY_FAMILIES:
        terms = sheet.terms_for(family)
        assert terms.notice.months_before_term.value == 3
        assert terms.notice.fees_due_during_notice.value is True
    assert sheet.terms_for("vga").notice.fees_due_during_notice.clause == "CP I §6.3 (L1637-1639)"


def test_cgv_floor_and_cancellation_fee(sheet: TermSheet) -> None:
    floor = _fee(sheet.general, "remaining_months_x_monthly_fees")
    assert floor.percent == 100 and floor.until == "initial_period_end"
    assert floor.counted_from == "receipt" and floor.clause == "CGV art. 8.2 (L232-242)"
    cancel = sheet.general.termination.cancellation_fees[0]
    assert cancel.kind == "multiple_of_access_fees" and cancel.multiple == 2
    assert cancel.undiscounted and cancel.at_least and cancel.clause == "CGV art. 8.1 (L221-230)"
    assert sheet.general.termination.numbers_lost_unless_ported.value is True


def test_general_exemptions(sheet: TermSheet) -> None:
    reasons = {e.reason for e in sheet.general.termination.exemptions}
    assert reasons == {"harmful_change_to_terms", "force_majeure", "technical_impossibility",
                       "price_increase_refused", "sub_processor_objection"}
    assert _exemption(sheet.general, "force_majeure").clause == "CGV art. 17 (L717-737)"
    # GDPR annex A.2.c: the annex covers every service, so every family restates it
    assert all("sub_processor_objection" in {e.reason for e in sheet.terms_for(f).termination.exemptions}
               for f in sheet.families)
    assert sheet.general.price_changes.terms_change_leave_months.value == 1


def test_withdrawal_14_days_for_small_business_signed_off_premises(sheet: TermSheet) -> None:
    w = sheet.general.withdrawal
    assert w.days.value == 14 and w.who.value == "small_business_off_premises"
    assert w.max_employees.value == 5 and w.max_employees.clause == "CGV art. 19 (L753)"
    assert w.requires_off_premises.value and w.requires_outside_main_activity.value
    assert w.channel.value == "registered_letter"


def test_price_changes_and_indexation(sheet: TermSheet) -> None:
    p = sheet.general.price_changes
    assert p.notice_days.value == p.deemed_accepted_after_days.value == 30
    assert p.regulatory_notice_days.value == 30
    assert p.regulatory_client_may_leave.value is False
    i = sheet.general.indexation
    assert i.series_id.value == "001565192" and i.series_id.clause == "CGV art. 9.4 (L331-332)"
    assert i.revision_month_day.value == "01-01"
    assert "ICHTrev-TS" in i.index_name.value


def test_payment_due_25_days_after_invoice(sheet: TermSheet) -> None:
    p = sheet.general.payment
    assert p.due_days_after_issue.value == 25
    assert p.due_days_after_issue.clause == "CGV art. 10.4 (L368-372)"
    assert p.early_payment_discount.value is False
    assert p.set_off_notice_days.value == 15
    assert (p.dispute_window_days.value, p.dispute_channel.value) == (10, "registered_letter")
    assert p.undisputed_part_due.value is True


def test_late_interest_three_times_legal_rate_plus_40_euros(sheet: TermSheet) -> None:
    lp = sheet.general.late_payment
    assert lp.interest_multiple_of_legal_rate.value == 3
    assert lp.interest_multiple_of_legal_rate.clause == "CGV art. 11.1 (L393-396)"
    assert lp.rate_reference.value == "invoice_date"
    assert lp.interest_from.value == "day_after_due_date"
    assert lp.recovery_indemnity.value == Decimal("40")
    assert _lines(lp.recovery_indemnity) == (398, 399)
    assert lp.acceleration.value is True


def test_dunning_ladder_8_days_10_days_30_days(sheet: TermSheet) -> None:
    steps = sheet.general.dunning.steps
    assert [s.action for s in steps] == ["formal_notice", "restrict", "suspend", "formal_notice",
                                         "terminate", "litigation"]
    first = _step(sheet, "formal_notice_1")
    assert first.channels == ["registered_letter"] and first.pay_within_days == 8
    assert str(first.src) == "CGV art. 8.4 (L252-253)"
    restrict = _step(sheet, "restrict")
    assert (restrict.after_days, restrict.counted_in) == (8, "calendar")
    assert restrict.requires_approval
    assert _step(sheet, "suspend").requires_approval
    second = _step(sheet, "formal_notice_2")
    assert second.pay_within_days == 10 and second.channels == ["registered_letter"]
    terminate = _step(sheet, "terminate")
    assert terminate.after_days == 10 and terminate.requires_approval
    assert _step(sheet, "litigation").after_days == 30


def test_deposit(sheet: TermSheet) -> None:
    d = sheet.general.deposit
    assert d.suspend_until_provided.value is True
    assert (d.draw_after_notice_days.value, d.replenish_within_days.value) == (8, 15)
    assert d.release_after_months.value == 2
    assert d.release_after_months.clause == "CGV art. 11.5 (L437-439)"


def test_support_hours_retention_and_suspension_billing(sheet: TermSheet) -> None:
    hours = sheet.general.service_levels.support_hours
    assert hours.value == {day: ["08:30-17:30"] for day in ("mon", "tue", "wed", "thu", "fri")}
    assert hours.clause == "CGV art. 16 (L687-689)"
    assert sheet.general.service_levels.support_channel.value == "ticket"
    billing_data = next(r for r in sheet.general.retention.rules if r.data == "billing_data")
    assert billing_data.months == 6 and billing_data.can_only_shorten
    assert sheet.general.billing.billed_while_suspended.value is True
    assert sheet.general.billing.recurring_timing.value == "in_advance"


# --------------------------------------------------------------------------- CP I VGA, CP II


def test_vga_initial_period_per_access_link_and_flat_fees(sheet: TermSheet) -> None:
    vga = sheet.terms_for("vga")
    assert vga.commitment.initial_months.value == 36
    assert vga.commitment.start_event.value == "go_live_per_access_link"
    assert vga.renewal.period_months.value == 12 and vga.renewal.mode.value == "tacit_fixed"
    analogue = _fee(vga, "flat_per_unit", "analogue_line")
    assert analogue.amount == Decimal("500") and analogue.basis == "HT"
    assert analogue.clause == "CP I §6.2 (L1613-1622)"
    isdn = _fee(vga, "flat_per_unit", "isdn_access")
    assert isdn.amount == Decimal("1000") and isdn.src.reading == "T-VGA-ISDN-FEE-UNIT"
    remaining = _fee(vga, "remaining_months_x_monthly_fees")
    assert (remaining.percent, remaining.until) == (100, "current_period_end")
    assert remaining.started_month_counts_whole
    # the cancellation fee before go-live is inherited from CGV 8.1
    assert vga.termination.cancellation_fees[0].multiple == 2


def test_vga_exemptions(sheet: TermSheet) -> None:
    vga = sheet.terms_for("vga")
    usage = _exemption(vga, "usage_price_increase_refused")
    assert usage.clause == "CP I §7.5 (L1691-1700)"
    assert _exemption(vga, "incumbent_terms_changed").src.reading == "T-VGA-INCUMBENT-CHANGE-FEES"
    assert _exemption(vga, "harmful_change_to_terms").clause == "CGV art. 1 (L27-33)"
    assert vga.price_changes.usage_notice_days.value == 7
    assert vga.price_changes.leave_notice_days.value == 30


def test_vga_gtr_targets_penalties_and_cap(sheet: TermSheet) -> None:
    r = sheet.terms_for("vga").service_levels.restoration
    targets = {(t.access, t.option): (t.hours, t.counted_in) for t in r.targets}
    assert targets == {
        ("analogue", "standard"): (72, "business_hours"),
        ("analogue", "gtr_6h_business"): (6, "business_hours"),
        ("analogue", "gtr_6h_24x7"): (6, "around_the_clock"),
        ("isdn", "standard"): (6, "business_hours"),
        ("isdn", "gtr_6h_24x7"): (6, "around_the_clock"),
    }
    # CP I §5.2 L1453-1457 (analogue) and L1479-1483 (ISDN), two tables with the same figures:
    # 6 < TR ≤ 8 → 2 %, 8 < TR ≤ 12 → 5 %, TR > 12 → 10 %
    for access, top in (("analogue", "CP I §5.2 (L1457)"), ("isdn", "CP I §5.2 (L1483)")):
        table = [b for b in r.penalty_bands if b.access == access]
        penalties = [_band_for(table, tr) for tr in ("7", "8", "8.01", "12", "12.5")]
        assert penalties == [2, 2, 5, 5, 10]
        assert str(table[-1].src) == top
    assert r.cap_percent.value == 10 and r.cap_percent.clause == "CP I §5.4 (L1499-1502)"
    assert r.claims_per_year.value == 1 and r.confirmation_window_minutes.value == 30


def test_vga_availability_objective_without_penalty(sheet: TermSheet) -> None:
    a = sheet.terms_for("vga").service_levels.availability
    assert a.objective_percent.value == Decimal("99.8") and a.objective_months.value == 6
    assert a.objective_only.value is True and a.objective_only.clause == "CP I §5.3 (L1496-1497)"


def test_vga_fair_use_offnet_and_anti_fraud(sheet: TermSheet) -> None:
    u = sheet.terms_for("vga").usage
    assert _threshold(u.fair_use, "distinct_numbers", "analogue_line").limit == 150
    assert _threshold(u.fair_use, "distinct_numbers", "isdn_access").limit == 400
    assert str(_threshold(u.fair_use, "distinct_numbers").src) == "CP I §8 (L1738-1739)"
    assert u.figures.offnet_share_threshold_percent.value == 5
    assert u.figures.offnet_surcharge_percent.value == 10
    setups = _threshold(u.fraud, "call_setups_per_second")
    assert setups.limit == 10 and str(setups.src) == "CP I §11 (L1829-1830)"
    assert u.lists.caller_id_rewritten_forms.value == ["089B"]


def test_vga_site_move(sheet: TermSheet) -> None:
    m = sheet.terms_for("vga").move
    assert m.notice_months.value == 3 and m.notice_months.clause == "CP I §9.4 (L1776-1778)"
    assert m.remaining_fees_percent.value == 100
    assert m.numbers_kept_same_zone_only.value is True
    assert m.recommit_months.value == 36
    assert sheet.terms_for("vga").commitment.recommit_on_move_months.value == 36


def test_preselection_best_efforts_and_whole_first_month(sheet: TermSheet) -> None:
    p = sheet.terms_for("preselection")
    assert p.commitment.start_event.value == "go_live_per_access_link"
    assert p.service_levels.no_service_level.value is True
    assert p.service_levels.restoration is None
    assert p.billing.first_period.value == "whole_month"
    assert p.billing.first_period.clause == "CP II §7 (L2062-2067)"
    fee = _fee(p, "remaining_months_x_monthly_fees")
    assert fee.until == "current_period_end" and fee.clause == "CP II §4.2 (L1998-2014)"
    assert _exemption(p, "technical_impossibility").clause == "CP II §2.4 (L1957-1964)"


# --------------------------------------------------------------------------- CP III–VI


@pytest.mark.parametrize("family, first_line", [("internet", 2686), ("sip_trunk", 3296),
                                                ("centrex", 4113), ("mail", 4811)])
def test_remaining_months_fee_of_schedules_iii_to_vi(sheet: TermSheet, family: str,
                                                     first_line: int) -> None:
    terms = sheet.terms_for(family)
    fee = _fee(terms, "remaining_months_x_monthly_fees")
    assert (fee.percent, fee.until, fee.counted_from) == (100, "current_period_end", "receipt")
    assert fee.src.first_line == first_line
    assert terms.commitment.initial_months.value == 36 and terms.renewal.period_months.value == 12
    assert _exemption(terms, "usage_price_increase_refused")


@pytest.mark.parametrize("family", SLA_FAMILIES)
def test_availability_sla_99_85_capped_at_10_percent(sheet: TermSheet, family: str) -> None:
    sl = sheet.terms_for(family).service_levels
    a = sl.availability
    assert a.objective_percent.value == Decimal("99.85")
    assert a.cap_percent.value == 10 and a.claim_window_days.value == 30
    assert a.sole_remedy.value is True and a.on_request_only.value is True
    assert [_band_for(a.bands, x) for x in ("99.9", "99.6", "98", "96.99")] == [0, 3, 5, 10]
    assert sl.restoration.objective_only.value is True
    assert {t.hours for t in sl.restoration.targets} == {6, 72}


def test_internet_desaturation_fee_and_fibre_delays(sheet: TermSheet) -> None:
    u = sheet.terms_for("internet").usage
    fee = u.amounts.dsl_desaturation_flat_fee
    assert fee.amount == Decimal("750") and fee.basis == "HT"
    assert str(fee.src) == "CP III §2 (L2272-2275)"
    assert u.figures.dsl_desaturation_quote_acceptance_days.value == 10
    assert u.figures.fibre_new_go_live_max_months.value == 2
    assert u.figures.offnet_surcharge_percent is None     # CP III has no §7.4 surcharge


def test_equipment_return_and_fibre_boxes(sheet: TermSheet) -> None:
    internet = sheet.terms_for("internet").equipment
    assert internet.return_days.value == 10 and internet.return_days_counted_in.value == "calendar"
    assert internet.operator_choices_on_non_return.value == ["invoice", "sell", "repossess"]
    assert {p.equipment for p in internet.non_return} == {"any", "fibre_box"}
    assert internet.warranty_months_sold.value == 12
    assert internet.appointment_cancel_notice_business_hours.value == 48
    assert {p.equipment for p in sheet.terms_for("sip_trunk").equipment.non_return} == {"any"}
    mail = sheet.terms_for("mail").equipment
    assert mail.return_days.value == 10 and mail.return_days.clause == "CP VI §5.2 (L4834-4838)"


def test_sip_trunk_fair_use_surcharge_and_caller_ids(sheet: TermSheet) -> None:
    u = sheet.terms_for("sip_trunk").usage
    assert _threshold(u.fair_use, "distinct_numbers").limit == 300
    assert _threshold(u.fair_use, "distinct_numbers").per == "channel"
    assert _threshold(u.fair_use, "call_hours").limit == 40
    assert u.figures.offnet_surcharge_percent.clause == "CP IV §7.4 (L3357-3361)"
    assert "0948" in u.lists.automated_system_caller_id_prefixes.value
    assert u.lists.technical_platform_caller_id_prefixes.value[-1] == "09394"
    assert "pabx_ipbx_hacking_suspected" in u.lists.sip_account_suspension_triggers.value
    assert u.flags.penalties_cumulative.value is True


def test_centrex_fair_use_per_user(sheet: TermSheet) -> None:
    u = sheet.terms_for("centrex").usage
    assert _threshold(u.fair_use, "distinct_numbers").limit == 150
    assert _threshold(u.fair_use, "distinct_numbers").per == "user"
    assert _threshold(u.fair_use, "simultaneous_calls").limit == 3
    assert _threshold(u.fair_use, "registered_devices").limit == 3
    origin = u.flags.undetermined_origin_rating_on_country_mismatch
    assert origin.clause == "CP V §10.3 (L4440-4443)"
    assert "pabx_ipbx_hacking_suspected" not in u.lists.sip_account_suspension_triggers.value


@pytest.mark.parametrize("family", ("internet", "sip_trunk", "centrex"))
def test_site_move_of_schedules(sheet: TermSheet, family: str) -> None:
    m = sheet.terms_for(family).move
    assert (m.notice_months.value, m.remaining_fees_percent.value) == (3, 100)
    assert m.recommit_months.value == 36
    assert m.numbers_kept_same_zone_only.value is True


def test_mail_has_no_site_move(sheet: TermSheet) -> None:
    assert sheet.terms_for("mail").move is None


# --------------------------------------------------------------------------- contradictions


def test_reading_prorata_first_month(sheet: TermSheet) -> None:
    reading = _reading(sheet, "T-PRORATA-FIRST-MONTH")
    assert reading.favours == "client" and reading.chosen.startswith("prorata")
    for family in ("vga", "internet", "sip_trunk", "centrex", "mail"):
        first = sheet.terms_for(family).billing.first_period
        assert first.value == "prorata" and first.src.reading == "T-PRORATA-FIRST-MONTH"
        assert sheet.terms_for(family).billing.last_period.value == "whole_month"


def test_reading_vga_fees_do_not_bill_the_remaining_months_twice(sheet: TermSheet) -> None:
    reading = _reading(sheet, "T-VGA-ETF-STACKING")
    assert reading.favours == "client"
    kinds = [f.kind for f in sheet.terms_for("vga").termination.fees]
    assert kinds.count("remaining_months_x_monthly_fees") == 1
    assert "minimum_billing_remaining" not in kinds
    remaining = _fee(sheet.terms_for("vga"), "remaining_months_x_monthly_fees")
    assert remaining.src.reading == "T-VGA-ETF-STACKING"


def test_reading_only_the_cancellation_fee_before_go_live(sheet: TermSheet) -> None:
    reading = _reading(sheet, "T-CANCEL-BEFORE-GO-LIVE")
    assert reading.favours == "client" and "2 ×" in reading.chosen
    for family in MY_FAMILIES:
        cancel = sheet.terms_for(family).termination.cancellation_fees
        assert [(c.kind, c.multiple) for c in cancel] == [("multiple_of_access_fees", 2)]


def test_reading_one_off_fees_in_arrears(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-ONE-OFF-FEES-TIMING").favours == "client"
    timing = sheet.general.billing.one_off_timing
    assert timing.value == "in_arrears" and timing.src.reading == "T-ONE-OFF-FEES-TIMING"


def test_reading_renewal_of_exactly_12_months(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-RENEWAL-LENGTH").chosen == "12 months"
    period = sheet.general.renewal.period_months
    assert period.value == 12 and period.src.reading == "T-RENEWAL-LENGTH"


def test_reading_late_interest_on_the_french_legal_rate(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-LATE-INTEREST-RATE").chosen.startswith("french_legal_rate")
    source = sheet.general.late_payment.rate_source
    assert source.value == "french_legal_rate" and source.src.reading == "T-LATE-INTEREST-RATE"


def test_reading_no_restriction_before_the_first_notice_expires(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-RESTRICTION-TIMING").favours == "client"
    flag = sheet.general.dunning.restriction_from_first_late_payment
    assert flag.value is False and flag.src.reading == "T-RESTRICTION-TIMING"


def test_reading_first_notice_runs_from_receipt(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-DUNNING-FIRST-NOTICE-START").favours == "client"
    restrict = _step(sheet, "restrict")
    assert restrict.counted_from == "receipt"
    assert restrict.src.reading == "T-DUNNING-FIRST-NOTICE-START"
    # the second notice: 10 jours ouvrés (CGV art. 2 defines "jour")
    assert _step(sheet, "terminate").counted_in == "ouvres"


def test_reading_termination_notice_by_registered_letter(sheet: TermSheet) -> None:
    reading = _reading(sheet, "T-NOTICE-CHANNEL")
    assert reading.chosen.startswith("registered_letter")
    channel = sheet.general.notice.channel
    assert channel.value == "registered_letter"
    assert channel.clause == "CGV art. 4.2 (L116-118), reading T-NOTICE-CHANNEL"


def test_reading_index_values_12_months_apart(sheet: TermSheet) -> None:
    assert "12" in _reading(sheet, "T-INDEX-PUBLICATION").chosen
    lag = sheet.general.indexation.reference_lag_months
    assert lag.value == 12 and lag.src.reading == "T-INDEX-PUBLICATION"


def test_reading_unlimited_bundle_exclusions(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-UNLIMITED-EXCLUSIONS-INVERTED").favours == "client"
    for family in ("vga", "sip_trunk", "centrex"):
        excluded = sheet.terms_for(family).usage.excluded_from_unlimited
        assert excluded.src.reading == "T-UNLIMITED-EXCLUSIONS-INVERTED"
        assert "telecom_professionals" in excluded.value
        assert not any("conversational" in item or "personal" in item for item in excluded.value)


def test_reading_vga_availability_over_business_hours(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-VGA-GTD-DENOMINATOR").chosen.startswith("coverage_window")
    measured = sheet.terms_for("vga").service_levels.availability.measured_over
    assert measured.value == "coverage_window" and measured.src.reading == "T-VGA-GTD-DENOMINATOR"


def test_reading_availability_boundaries_get_the_higher_credit(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-AVAILABILITY-BAND-BOUNDARY").favours == "client"
    for family in SLA_FAMILIES:
        bands = sheet.terms_for(family).service_levels.availability.bands
        assert _band_for(bands, "99.85") == 3
        assert _band_for(bands, "99.5") == 5
        assert _band_for(bands, "97") == 5


def test_reading_availability_over_all_minutes_of_the_month(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-AVAILABILITY-COVERAGE").chosen.startswith("all_minutes")
    for family in SLA_FAMILIES:
        measured = sheet.terms_for(family).service_levels.availability.measured_over
        assert measured.value == "all_minutes" and measured.src.reading == "T-AVAILABILITY-COVERAGE"


def test_reading_availability_per_calendar_month(sheet: TermSheet) -> None:
    assert "calendar month" in _reading(sheet, "T-AVAILABILITY-PERIOD").chosen
    months = sheet.terms_for("internet").service_levels.availability.objective_months
    assert months.value == 1 and months.src.reading == "T-AVAILABILITY-PERIOD"


def test_reading_equipment_return_within_10_calendar_days(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-EQUIPMENT-RETURN-DEADLINE").favours == "client"
    for family in ("internet", "sip_trunk", "centrex"):
        days = sheet.terms_for(family).equipment.return_days
        assert days.value == 10 and days.src.reading == "T-EQUIPMENT-RETURN-DEADLINE"


@pytest.mark.parametrize("family", ("sip_trunk", "centrex"))
def test_reading_penalty_per_calling_number_2000(sheet: TermSheet, family: str) -> None:
    assert _reading(sheet, "T-PENALTY-PER-NUMBER").chosen.startswith("2 000")
    penalty = sheet.terms_for(family).usage.amounts.penalty_per_calling_number
    assert penalty.amount == Decimal("2000") and penalty.src.reading == "T-PENALTY-PER-NUMBER"


@pytest.mark.parametrize("family", ("sip_trunk", "centrex"))
def test_reading_penalty_per_call_2_cents(sheet: TermSheet, family: str) -> None:
    assert _reading(sheet, "T-PENALTY-PER-CALL").chosen.startswith("0.02")
    penalty = sheet.terms_for(family).usage.amounts.penalty_per_call_or_attempt
    assert penalty.amount == Decimal("0.02") and penalty.src.reading == "T-PENALTY-PER-CALL"


def test_reading_no_40_hour_threshold_for_centrex(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-CENTREX-40H").favours == "client"
    centrex = sheet.terms_for("centrex").usage
    assert all(t.metric != "call_hours" for t in centrex.fair_use)
    assert centrex.flags.hours_per_channel_fair_use_applies.value is False
    assert centrex.flags.hours_per_channel_fair_use_applies.src.reading == "T-CENTREX-40H"


def test_reading_no_telephony_clauses_on_mail(sheet: TermSheet) -> None:
    assert _reading(sheet, "T-MAIL-TELEPHONY-CLAUSES").favours == "client"
    mail = sheet.terms_for("mail").usage
    assert mail.flags.telephony_clauses_apply.value is False
    assert mail.fraud == [] and mail.figures.offnet_surcharge_percent is None


def test_gap_readings_carry_their_values(sheet: TermSheet) -> None:
    # a few gaps whose values the engines read
    excusable = sheet.terms_for("vga").service_levels.excusable_events
    assert excusable.src.reading == "T-VGA-EXCLUSION-XREF"
    assert sheet.terms_for("preselection").usage.figures.routing_stops_days_after_preselection_elsewhere.value == 90
    availability = sheet.terms_for("internet").service_levels.availability
    assert availability.claim_window_counted_in.value == "ouvres"
    assert _exemption(sheet.terms_for("internet"), "technical_impossibility").src.reading == \
        "T-INTERNET-DSL-IMPOSSIBLE-FEES"
    # a missed 72-hour analogue target falls in the top band (reading T-VGA-GTR-STANDARD-PENALTY)
    bands = sheet.terms_for("vga").service_levels.restoration.penalty_bands
    assert _band_for([b for b in bands if b.access == "analogue"], "73") == 10
