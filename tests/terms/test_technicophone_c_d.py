"""The built-in TECHNICOPHONE sheet, part 2: CP VII–XII (VPN, Office 365, mobile, CX, hosting,
SVA) and the GDPR annex — their figures, each with its clause, and the readings they rest on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clausier.terms.lint import lint_sheet
from clausier.terms.loader import BUILT_IN_DIR, load_sheet
from clausier.terms.schema import Band, TermSheet

FAMILIES = ["vpn", "office365", "mobile", "cx", "hosting", "sva"]
SCHEDULE = {"vpn": "CP VII", "office365": "CP VIII", "mobile": "CP IX", "cx": "CP X",
            "hosting": "CP XI", "sva": "CP XII"}


@pytest.fixture(scope="module")
def sheet() -> TermSheet:
    return load_sheet(BUILT_IN_DIR / "technicophone")


def credit_percent(bands: list[Band], availability: str) -> Decimal:
    """The credit of the one band that holds ``availability`` (half-open, explicit edges)."""
    value = Decimal(availability)
    held = [b.percent for b in bands
            if (b.lower is None or value > b.lower or (value == b.lower and b.lower_inclusive))
            and (b.upper is None or value < b.upper or (value == b.upper and b.upper_inclusive))]
    assert len(held) == 1, f"{availability} % falls in {len(held)} bands"
    return held[0]


def test_sheet_loads_and_lints_clean(sheet: TermSheet, seeds) -> None:
    assert set(FAMILIES) <= set(sheet.families)
    for name in FAMILIES:
        assert sheet.families[name].schedule == SCHEDULE[name]
    assert lint_sheet(sheet, seeds, applied=False) == []   # applied: test_reading_index.py


# --------------------------------------------------------------------------- the shared template

@pytest.mark.parametrize("family", FAMILIES)
def test_three_years_from_go_live_then_yearly_renewals(sheet: TermSheet, family: str) -> None:
    # CP VII §5.1 L5305-5312 and its copies: 'A défaut, la Période Initiale sera de trois (3) ans'
    terms = sheet.terms_for(family)
    commitment = terms.commitment
    assert (commitment.initial_months.value, commitment.start_event.value) == (36, "go_live")
    assert (terms.renewal.mode.value, terms.renewal.period_months.value) == ("tacit_fixed", 12)
    assert terms.commitment.initial_months.src.article.startswith(SCHEDULE[family] + " §")


@pytest.mark.parametrize("family", FAMILIES)
def test_three_months_notice_by_registered_letter_all_fees_due(sheet: TermSheet, family) -> None:
    notice = sheet.terms_for(family).notice
    assert notice.months_before_term.value == 3
    assert notice.channel.value == "registered_letter"
    assert notice.fees_due_during_notice.value is True


@pytest.mark.parametrize("family", ["vpn", "office365", "cx", "hosting", "sva"])
def test_early_termination_fee_is_remaining_months_of_the_current_period(sheet, family) -> None:
    # 'Nombre de mois (ou partie de ceux-ci) restants … multiplié par 100%' (a) initial, (b) renewal
    (rule,) = sheet.terms_for(family).termination.fees
    assert (rule.kind, rule.percent, rule.until) == (
        "remaining_months_x_monthly_fees", Decimal(100), "current_period_end")
    assert rule.started_month_counts_whole is True
    section = {"vpn": "5.2", "office365": "5.2", "cx": "6.2", "hosting": "5.2", "sva": "4.2"}
    assert rule.src.article == f"{SCHEDULE[family]} §{section[family]}"


def test_vpn_fee_clause(sheet: TermSheet) -> None:
    (rule,) = sheet.terms_for("vpn").termination.fees
    assert rule.clause == "CP VII §5.2 (L5314-5330)"


@pytest.mark.parametrize("family", FAMILIES)
def test_availability_objective_cap_and_sole_remedy(sheet: TermSheet, family: str) -> None:
    # CP VII §4.1 L5198-5211, §4.1.1 L5213-5218 and copies
    sla = sheet.terms_for(family).service_levels
    availability = sla.availability
    assert availability.objective_percent.value == Decimal("99.85")
    assert availability.cap_percent.value == Decimal(10)
    assert availability.sole_remedy.value is True
    assert availability.on_request_only.value is True
    assert availability.coverage_hours.value["mon"] == ["09:00-17:00"]
    assert sla.support_hours.value["fri"] == ["08:30-17:30"]
    # best-efforts targets without penalty: fix in 6 business hours, swap equipment in 72
    assert sla.restoration.objective_only.value is True
    assert sla.restoration.penalty_bands == []
    assert [(t.hours, t.counted_in) for t in sla.restoration.targets] == [
        (Decimal(6), "business_hours"), (Decimal(72), "business_hours")]


def test_mobile_unavailability_is_total_loss_of_voice_and_data(sheet: TermSheet) -> None:
    unavailability = sheet.terms_for("mobile").service_levels.availability.unavailability_means
    assert (unavailability.value, unavailability.clause) == (
        "total_loss_voice_and_data", "CP IX §12.1.2 (L6901-6912)")
    vpn = sheet.terms_for("vpn").service_levels.availability
    assert vpn.unavailability_means.value == "total_loss"


@pytest.mark.parametrize("family", FAMILIES)
def test_usage_price_changes_seven_days_and_a_free_way_out(sheet: TermSheet, family: str) -> None:
    changes = sheet.terms_for(family).price_changes
    assert (changes.client_may_leave.value, changes.leave_notice_days.value) == (True, 30)
    assert changes.regulatory_client_may_leave.value is False
    if family != "mobile":     # mobile: reading T-MOB-PRICE-NOTICE below
        assert changes.usage_notice_days.value == 7
        assert changes.regulatory_notice_days.value == 0
    reasons = [e.reason for e in sheet.terms_for(family).termination.exemptions]
    assert "usage_price_increase_refused" in reasons
    assert {"force_majeure", "harmful_change_to_terms", "price_increase_refused"} <= set(reasons)


@pytest.mark.parametrize("family", FAMILIES)
def test_billing_usage_in_arrears_subscriptions_in_advance(sheet: TermSheet, family: str) -> None:
    billing = sheet.terms_for(family).billing
    assert billing.usage_timing.value == "in_arrears"
    assert billing.recurring_timing.value == "in_advance"
    # 'Lors du terme ou de la résiliation, le mois entier est dû'
    assert billing.last_period.value == "whole_month"
    assert billing.common_fees_to_central_site.value is True


# --------------------------------------------------------------------------- VPN and Office 365

def test_vpn_equipment_and_anti_fraud(sheet: TermSheet) -> None:
    terms = sheet.terms_for("vpn")
    equipment = terms.equipment
    assert equipment.warranty_months_sold.value == 12
    assert equipment.warranty_months_sold.clause == "CP VII §3 (L5152-5157)"
    assert equipment.appointment_cancel_notice_business_hours.value == 48
    assert equipment.operator_choices_on_non_return.value == [
        "sell_to_client", "repossess_at_client_cost"]
    (setups,) = terms.usage.fraud
    assert (setups.metric, setups.limit, setups.window) == (
        "call_setups_per_second", Decimal(10), "second")
    assert terms.usage.figures.offnet_surcharge_percent.value == Decimal(10)
    assert terms.usage.figures.offnet_share_threshold_percent.value == Decimal(5)


def test_office365_keeps_the_copied_equipment_return_and_surcharge(sheet: TermSheet) -> None:
    terms = sheet.terms_for("office365")
    equipment = terms.equipment
    assert (equipment.return_days.value, equipment.return_days_counted_in.value) == (10, "calendar")
    assert terms.equipment.return_days.clause == "CP VIII §5.2 (L5847-5851)"
    assert terms.usage.figures.offnet_surcharge_percent.clause == "CP VIII §6.4 (L5893-5897)"
    assert "exchange_online" in terms.usage.lists.included_applications.value


# --------------------------------------------------------------------------- mobile

def test_mobile_fair_use_40_hours_150_numbers_1000_sms_50_recipients(sheet: TermSheet) -> None:
    # CP IX §15 L7083-7098
    usage = sheet.terms_for("mobile").usage
    limits = {(t.metric, t.per, t.window): t.limit for t in usage.fair_use}
    assert limits == {("call_hours", "user", "month"): Decimal(40),
                      ("distinct_numbers", "user", "month"): Decimal(150),
                      ("sms", "user", "month"): Decimal(1000),
                      ("sms_recipients", "user", "month"): Decimal(50)}
    assert str(usage.fair_use[0].src) == "CP IX §15 (L7085-7086)"
    assert usage.excluded_from_unlimited.value == ["permanent_call_forwarding"]
    assert usage.flags.fair_use_rerating_retroactive.value is True
    assert usage.flags.data_fair_use_unlimited_plan_throttled_in_france.value is True
    assert usage.flags.data_fair_use_unlimited_plan_cut_in_roaming.value is True


def test_mobile_penalties_2000_per_number_and_2_cents_per_call(sheet: TermSheet) -> None:
    # CP IX §11.3 L6828-6842: 3 numbers and 10 000 calls → 6 200 € before pass-through
    amounts = sheet.terms_for("mobile").usage.amounts
    per_number = amounts.penalty_per_calling_number
    per_call = amounts.penalty_per_call_or_attempt
    assert (per_number.amount, per_number.unit, per_number.basis) == (
        Decimal(2000), "per_number", "HT")
    assert (per_call.amount, per_call.unit) == (Decimal("0.02"), "per_call")
    assert 3 * per_number.amount + 10_000 * per_call.amount == Decimal(6200)
    assert str(per_number.src) == "CP IX §11.3 (L6828-6829)"


def test_mobile_sim_and_roaming_rules(sheet: TermSheet) -> None:
    usage = sheet.terms_for("mobile").usage
    assert usage.figures.sim_inactivity_suspension_months.value == 6
    assert usage.figures.sim_inactivity_suspension_months.clause == "CP IX §11.1 (L6770-6771)"
    assert usage.flags.sim_replacement_billed_next_invoice.value is True
    assert usage.figures.roaming_abuse_termination_notice_business_days.value == 15
    assert len(usage.lists.roaming_abuse_indicators.value) == 4
    assert usage.flags.eu_roaming_rated_as_national.value is True
    assert usage.lists.automated_system_forbidden_caller_id_prefixes.value == ["06", "07"]
    assert "0948" in usage.lists.automated_system_caller_id_prefixes.value


# --------------------------------------------------------------------------- CX

def test_cx_pack_5000_minutes_then_2_cents_and_10_cents_when_unmanaged(sheet: TermSheet) -> None:
    # CP X §2 L7429-7435
    usage = sheet.terms_for("cx").usage
    included = usage.figures.inbound_minutes_included_per_pack_per_month
    overage = usage.amounts.inbound_overage_per_minute
    assert (included.value, overage.amount, overage.basis) == (5000, Decimal("0.02"), "HT")
    assert usage.amounts.inbound_unmanaged_lines_per_minute.amount == Decimal("0.10")
    redirected = usage.amounts.inbound_redirected_to_unmanaged_number_per_minute
    assert redirected.amount == Decimal("0.10")
    # one pack, 7 000 inbound minutes on managed lines: 2 000 × 0.02 € = 40.00 € HT
    assert (7000 - included.value) * overage.amount == Decimal("40.00")
    assert usage.flags.unmanaged_lines_rated_from_first_minute.value is True


def test_cx_web_call_back_counts_two_calls_and_transfers_run_to_hang_up(sheet: TermSheet) -> None:
    usage = sheet.terms_for("cx").usage
    call_back = usage.figures.web_call_back_calls_billed_per_request
    assert (call_back.value, call_back.clause) == (2, "CP X §3.5 (L7533-7537)")
    assert usage.flags.transferred_call_counted_until_full_hang_up.value is True
    assert usage.flags.recording_pack_decrease_next_month.value is True
    assert usage.figures.studio_words_per_billing_unit.value == 30


def test_cx_recordings_kept_six_months_and_only_shortened(sheet: TermSheet) -> None:
    rules = {r.data: r for r in sheet.terms_for("cx").retention.rules}
    recordings = rules["recordings"]
    assert (recordings.months, recordings.can_only_shorten) == (6, True)
    assert str(recordings.src) == "CP X §3.2 (L7466-7469)"
    assert rules["billing_data"].months == 6    # the CGV rule survives the family's list


# --------------------------------------------------------------------------- hosting

def test_hosting_probation_three_months_without_sla(sheet: TermSheet) -> None:
    availability = sheet.terms_for("hosting").service_levels.availability
    assert availability.probation_months.value == 3
    assert availability.probation_months.clause == "CP XI §3.2 (L8662-8670)"
    assert sheet.terms_for("hosting").usage.flags.probation_billed.value is True
    assert sheet.terms_for("cx").service_levels.availability.probation_months is None


def test_hosting_reversibility_30_business_days_then_erasure(sheet: TermSheet) -> None:
    terms = sheet.terms_for("hosting")
    rules = {r.data: r for r in terms.retention.rules}
    hosted = rules["hosting_data"]
    assert (hosted.days, hosted.counted_in, hosted.after) == (
        30, "ouvres", "termination_letter_receipt")
    assert str(hosted.src) == "CP XI §11 (L9264-9276)"
    assert terms.usage.flags.reversibility_refused_if_unpaid.value is True
    assert (rules["snapshots"].days, terms.usage.figures.max_snapshots_per_vm.value) == (7, 2)
    assert terms.usage.lists.backup_retention_choices_days.value == ["7", "31"]
    assert terms.usage.figures.update_install_average_business_hours.value == 72


# --------------------------------------------------------------------------- SVA

def test_sva_payouts_per_second_metropolitan_origins_balance_above_1_euro(sheet: TermSheet) -> None:
    # CP XII §12 L10077-10112, §11.1 L10035-10037
    usage = sheet.terms_for("sva").usage
    assert usage.flags.payout_per_second_from_first_second.clause == "CP XII §12 (L10081)"
    assert usage.lists.payout_call_origins.value == [
        "metropolitan_france_fixed", "metropolitan_france_mobile"]
    assert usage.amounts.payout_min_balance_exclusive.amount == Decimal(1)
    assert usage.figures.payout_invoice_deadline_months.value == 12
    assert usage.flags.payout_frozen_while_suspended.value is True
    assert usage.flags.frozen_payouts_bear_interest.value is False
    assert usage.flags.payout_balance_usable_for_orders.value is False


def test_sva_caller_caps_24_euros_a_call_and_30_minutes_above_20_cents(sheet: TermSheet) -> None:
    usage = sheet.terms_for("sva").usage
    cap = usage.amounts.caller_charge_cap_per_call
    assert (cap.amount, cap.basis, cap.unit) == (Decimal(24), "TTC", "per_call")
    assert cap.src.article == "CP XII §7.4"
    threshold = usage.amounts.duration_limit_applies_above_per_minute
    assert (threshold.amount, threshold.basis) == (Decimal("0.20"), "TTC")
    assert usage.figures.call_max_minutes_above_tier.value == 30


def test_sva_sanctions_5000_then_10000_late_then_10000_repeated(sheet: TermSheet) -> None:
    # CP XII §13.1 L10136-10148; §11.3 L10058-10075 in euros HT
    usage = sheet.terms_for("sva").usage
    assert usage.amounts.ethics_or_abnormal_traffic_penalty.amount == Decimal(5000)
    assert usage.amounts.not_cured_within_deadline_penalty.amount == Decimal(10000)
    assert usage.amounts.repeated_within_a_year_penalty.amount == Decimal(10000)
    assert usage.figures.cure_deadline_business_days.value == 5
    assert usage.figures.repeat_window_months.value == 12
    assert usage.amounts.penalty_per_calling_number.basis == "HT"
    assert usage.figures.info_request_answer_hours.value == 72
    assert usage.figures.hyper_short_call_seconds_exclusive.value == 2


# --------------------------------------------------------------------------- GDPR annex

def test_gdpr_annex_sub_processors_audits_and_requests(sheet: TermSheet) -> None:
    privacy = sheet.general.privacy
    figures = {key: figure.value for key, figure in privacy.figures.stated().items()}
    assert figures["subprocessor_change_notice_business_days"] == 10
    assert figures["subprocessor_objection_window_business_days"] == 10
    assert figures["essential_subprocessor_talks_business_days"] == 30
    assert figures["audit_notice_business_days"] == 60
    assert figures["audit_max_duration_business_days"] == 2
    assert (figures["audits_per_window"], figures["audit_window_months"]) == (1, 12)
    assert figures["data_subject_reply_months"] == 1
    assert figures["data_subject_extension_months"] == 2
    assert privacy.figures.audit_notice_business_days.clause == "Annexe 1 A.2.g (L10480-10482)"
    assert privacy.lists.end_of_contract_choices.value == ["delete", "return_and_destroy_copies"]
    assert privacy.flags.subprocessor_silence_is_acceptance.value is True
    # the annex is general: every family sees it
    assert sheet.terms_for("hosting").privacy == privacy


# --------------------------------------------------------------------------- contradictions

def test_band_edges_go_to_the_higher_credit(sheet: TermSheet) -> None:
    # reading T-CP-SLA-BAND-99-5: 'De 99,85 à 99,5%' 3 %, 'De 99,5 à 97%' 5 %, 'Moins de 97%' 10 %
    assert sheet.reading("T-CP-SLA-BAND-99-5").favours == "client"
    for family in FAMILIES:
        bands = sheet.terms_for(family).service_levels.availability.bands
        expected = {"99.9": 0, "99.85": 3, "99.6": 3, "99.5": 5, "97": 5, "96.99": 10}
        assert {a: credit_percent(bands, a) for a in expected} == expected, family


def test_coverage_window_against_all_minutes_takes_the_lower_availability(sheet: TermSheet) -> None:
    assert sheet.reading("T-CP-SLA-COVERAGE").favours == "client"
    for family in FAMILIES:
        measured = sheet.terms_for(family).service_levels.availability.measured_over
        assert (measured.value, measured.src.reading) == ("lower_of_both", "T-CP-SLA-COVERAGE")


def test_30_calendar_days_adds_nothing_to_the_calendar_month(sheet: TermSheet) -> None:
    for family in FAMILIES:
        months = sheet.terms_for(family).service_levels.availability.objective_months
        assert (months.value, months.src.reading) == (1, "T-CP-SLA-30-CALENDAR-DAYS")


def test_claim_window_is_30_business_days(sheet: TermSheet) -> None:
    assert "business days" in sheet.reading("T-CP-SLA-CLAIM-DAYS").chosen
    for family in FAMILIES:
        availability = sheet.terms_for(family).service_levels.availability
        assert availability.claim_window_days.value == 30
        assert availability.claim_window_counted_in.value == "ouvres"


def test_first_month_is_prorated(sheet: TermSheet) -> None:
    assert sheet.reading("T-CP-FIRST-MONTH").favours == "client"
    for family in ["vpn", "office365", "mobile", "cx", "sva"]:
        first = sheet.terms_for(family).billing.first_period
        assert (first.value, first.src.reading) == ("prorata", "T-CP-FIRST-MONTH")
    # the hosting schedule has no full-month clause: its own prorata clause applies
    assert sheet.terms_for("hosting").billing.first_period.clause == "CP XI §6.2 (L8906-8909)"


def test_vpn_equipment_returned_within_10_calendar_days(sheet: TermSheet) -> None:
    equipment = sheet.terms_for("vpn").equipment
    assert (equipment.return_days.value, equipment.return_days_counted_in.value) == (10, "calendar")
    assert equipment.return_days.src.reading == "T-VPN-EQUIPMENT-RETURN"


def test_mobile_porting_cancellable_until_2_business_days_before(sheet: TermSheet) -> None:
    figure = sheet.terms_for("mobile").usage.figures.porting_cancel_deadline_business_days_before
    assert (figure.value, figure.src.reading) == (2, "T-MOB-PORTING-CANCEL")


def test_mobile_termination_follows_article_13_per_line(sheet: TermSheet) -> None:
    assert "article 13" in sheet.reading("T-MOB-TERMINATION-XREF").chosen
    (rule,) = sheet.terms_for("mobile").termination.fees
    assert (rule.kind, rule.percent, rule.src.reading) == (
        "remaining_months_x_monthly_fees", Decimal(100), "T-MOB-ETF-PER-LINE")
    assert "line" in sheet.reading("T-MOB-ETF-PER-LINE").chosen


def test_mobile_multi_sim_regularisation_15_business_days(sheet: TermSheet) -> None:
    figures = sheet.terms_for("mobile").usage.figures
    figure = figures.multi_sim_roaming_regularisation_business_days
    assert (figure.value, figure.src.reading) == (15, "T-MOB-MULTI-SIM-DAYS")


def test_mobile_roaming_abuse_observed_over_4_months(sheet: TermSheet) -> None:
    figure = sheet.terms_for("mobile").usage.figures.roaming_abuse_observation_consecutive_months
    assert (figure.value, figure.src.reading) == (4, "T-MOB-ROAMING-WINDOW")


def test_mobile_late_usage_billable_for_90_days(sheet: TermSheet) -> None:
    late = sheet.terms_for("mobile").billing.late_usage_max_days
    assert (late.value, late.src.reading) == (90, "T-MOB-LATE-CDR")


def test_mobile_tariff_changes_need_one_month(sheet: TermSheet) -> None:
    changes = sheet.terms_for("mobile").price_changes
    assert (changes.usage_notice_months.value, changes.regulatory_notice_months.value) == (1, 1)
    assert changes.usage_notice_months.src.reading == "T-MOB-PRICE-NOTICE"
    assert changes.usage_notice_days is None and changes.regulatory_notice_days is None
    assert changes.client_may_leave.value is True


def test_cx_notice_is_three_months_not_six(sheet: TermSheet) -> None:
    months = sheet.terms_for("cx").notice.months_before_term
    assert (months.value, months.src.reading) == (3, "T-CX-NOTICE")


def test_every_contradiction_of_parts_c_and_d_has_its_test_above(sheet: TermSheet) -> None:
    mine = ("T-CP-", "T-VPN-", "T-O365-", "T-MOB-", "T-CX-", "T-HOST-", "T-SVA-", "T-GDPR-", "T-D-")
    contradictions = {r.id for r in sheet.readings if r.kind == "contradiction"}
    assert {r for r in contradictions if r.startswith(mine)} == {
        "T-CP-SLA-BAND-99-5", "T-CP-SLA-COVERAGE", "T-CP-SLA-30-CALENDAR-DAYS",
        "T-CP-SLA-CLAIM-DAYS", "T-CP-FIRST-MONTH", "T-VPN-EQUIPMENT-RETURN",
        "T-MOB-PORTING-CANCEL", "T-MOB-TERMINATION-XREF",
        "T-MOB-MULTI-SIM-DAYS", "T-MOB-ROAMING-WINDOW", "T-MOB-LATE-CDR", "T-MOB-PRICE-NOTICE",
        "T-MOB-ETF-PER-LINE", "T-CX-NOTICE"}


# --------------------------------------------------------------------------- gaps

def test_fee_counted_from_the_end_of_the_notice(sheet: TermSheet) -> None:
    assert sheet.reading("T-CP-ETF-BASE").kind == "gap"
    for family in FAMILIES:
        (rule,) = sheet.terms_for(family).termination.fees
        assert rule.counted_from == "effective_date"


def test_before_go_live_the_cgv_cancellation_fee_applies(sheet: TermSheet) -> None:
    assert sheet.reading("T-CP-ETF-BEFORE-GO-LIVE").kind == "gap"
    for family in FAMILIES:
        assert sheet.families[family].termination.cancellation_fees == []   # not overridden
        cancellation = sheet.terms_for(family).termination.cancellation_fees
        assert cancellation == sheet.general.termination.cancellation_fees


def test_unqualified_jours_are_business_days(sheet: TermSheet) -> None:
    payout = sheet.terms_for("sva").usage.figures.payout_claimable_after_business_days
    assert (payout.value, payout.src.reading) == (60, "T-D-JOURS")
    snapshots = {r.data: r for r in sheet.terms_for("hosting").retention.rules}["snapshots"]
    assert snapshots.counted_in == "ouvres"


def test_hosting_defaults_and_move(sheet: TermSheet) -> None:
    terms = sheet.terms_for("hosting")
    assert terms.usage.flags.provider_managed_by_default.src.reading == "T-HOST-VARIANTS"
    move = terms.move
    assert (move.notice_months.value, move.remaining_fees_percent.value) == (3, Decimal(100))
    assert (move.recommit_months.value, move.recommit_months.src.reading) == (36, "T-HOST-MOVE")


def test_sva_gaps_penalty_basis_payout_finality_late_tariff_change(sheet: TermSheet) -> None:
    usage = sheet.terms_for("sva").usage
    sanction = usage.amounts.ethics_or_abnormal_traffic_penalty
    assert (sanction.basis, sanction.src.reading) == ("TTC", "T-SVA-PENALTY-BASIS")
    assert usage.flags.payout_forfeited_after_invoice_deadline.value is False
    assert usage.figures.tariff_change_late_request_effective_months_ahead.value == 2
    assert usage.flags.supplier_penalties_passed_through.src.reading == "T-SVA-FOURNISSEUR"


def test_sub_processor_objection_ends_without_fees(sheet: TermSheet) -> None:
    assert sheet.reading("T-GDPR-TERMINATION-REF").favours == "client"
    flags = sheet.general.privacy.flags
    assert flags.subprocessor_objection_termination_without_fees.value is True
    for family in FAMILIES:
        reasons = [e.reason for e in sheet.terms_for(family).termination.exemptions]
        assert "sub_processor_objection" in reasons


def test_breach_notice_has_no_hour_figure(sheet: TermSheet) -> None:
    privacy = sheet.general.privacy
    assert privacy.flags.breach_notified_as_soon_as_possible.src.reading == "T-GDPR-BREACH-DELAY"
    assert not any("breach" in key for key in privacy.figures.stated())
    assert privacy.lists.breach_notice_contents.value == [
        "nature", "likely_consequences", "measures_taken_or_proposed"]
