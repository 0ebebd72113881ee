"""The built-in OZONE sheet: its figures and clauses, and one test per contradiction resolved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clausier.terms.lint import lint_sheet
from clausier.terms.loader import BUILT_IN_DIR, load_sheet
from clausier.terms.schema import TermSheet

FAMILIES = {"internet_radio", "internet_adsl", "internet_fibre", "voip", "mobile", "tv",
            "video_surveillance", "home_assistance", "pack"}


@pytest.fixture(scope="module")
def sheet() -> TermSheet:
    return load_sheet(BUILT_IN_DIR / "ozone")


def _fees(sheet: TermSheet, family: str) -> dict:
    return {rule.kind: rule for rule in sheet.terms_for(family).termination.fees}


def _plan_change(sheet: TermSheet, change: str):
    return next(fee for fee in sheet.general.plan_change.fees if fee.change == change)


def _penalty(terms, equipment: str):
    return next(p for p in terms.equipment.non_return if p.equipment == equipment)


def _threshold(terms, metric: str):
    return next(t for t in terms.usage.fair_use if t.metric == metric)


def test_sheet_loads_and_lints_clean(sheet: TermSheet, seeds) -> None:
    assert sheet.id == "ozone"
    assert sheet.customer_kind == "consumer"
    assert sheet.price_basis == "TTC"
    assert set(sheet.families) == FAMILIES
    assert lint_sheet(sheet, seeds, applied=False) == []   # applied: test_reading_index.py


def test_commitment_of_12_months_from_first_connection_renewed_indefinitely(sheet: TermSheet) -> None:
    # CGV art. 1 Engagement L71, art. 4.1 L165, art. 4.2 L167, art. 3.3 L145
    c = sheet.general.commitment
    assert c.minimum_months.value == 12 and c.minimum_months.src.first_line == 71
    assert c.initial_months.value == 12
    assert c.start_event.value == "first_connection" and c.start_event.src.first_line == 165
    assert c.recommit_on_change_choices_months.value == [12, 24]
    assert sheet.general.renewal.mode.value == "indefinite"
    assert sheet.general.renewal.mode.clause == "CGV art. 4.2 (L167)"


def test_termination_takes_effect_10_days_after_a_registered_letter(sheet: TermSheet) -> None:
    # CGV art. 4.2 L167, art. 11.1 L299-301
    n = sheet.general.notice
    assert n.effect.value == "days_after_receipt"
    assert n.days_after_receipt.value == 10
    assert n.channel.value == "registered_letter" and n.channel.src.first_line == 299


def test_termination_fees_are_chatel_and_59_euros_with_free_cases(sheet: TermSheet) -> None:
    # CGV art. 11 L295, art. 11.1 L305
    fees = _fees(sheet, "internet_fibre")
    assert fees["chatel"].full_months == 12 and fees["chatel"].beyond_fraction == Decimal("0.25")
    assert fees["flat"].amount == Decimal("59.00") and fees["flat"].basis == "TTC"
    assert fees["flat"].clause == "CGV art. 11 (L295)"
    reasons = {e.reason for e in sheet.general.termination.exemptions}
    assert {"move_to_uncovered_area", "death", "force_majeure"} <= reasons


def test_mobile_contracts_carry_no_termination_fee(sheet: TermSheet) -> None:
    # CGV art. 11 L295: "aucun frais de résiliation n'est appliqué lors de la résiliation d'un contrat mobile"
    fees = _fees(sheet, "mobile")
    assert fees["flat"].amount == Decimal("0") and fees["flat"].src.first_line == 295
    assert sheet.terms_for("mobile").commitment.start_event.value == "activation"


def test_withdrawal_14_days_for_consumers_and_14_days_to_return_equipment(sheet: TermSheet) -> None:
    # CGV art. 5 L169-179
    w = sheet.general.withdrawal
    assert (w.days.value, w.who.value) == (14, "consumers")
    assert w.start_goods.value == "delivery"
    assert w.equipment_return_days.value == 14 and w.equipment_return_days.src.first_line == 179


@pytest.mark.parametrize(
    ("change", "in_commitment", "out_of_commitment", "line"),
    [
        ("pack_upgrade", "0", "0", 1212),
        ("internet_upgrade", "0", "0", 1215),
        ("internet_downgrade", "30", "30", 1217),
        ("telephony_upgrade", "0", "0", 1219),
    ],
)
def test_annex_1_flat_plan_change_fees(sheet, change, in_commitment, out_of_commitment, line) -> None:
    fee = _plan_change(sheet, change)
    assert fee.in_commitment.amount == Decimal(in_commitment)
    assert fee.out_of_commitment.amount == Decimal(out_of_commitment)
    assert fee.src.first_line == line


def test_annex_1_pack_downgrade_is_chatel_in_commitment_30_euros_out(sheet: TermSheet) -> None:
    fee = _plan_change(sheet, "pack_downgrade")   # Annexe 1 L1213
    assert fee.in_commitment.kind == "chatel"
    assert fee.out_of_commitment.amount == Decimal("30")


def test_annex_1_access_fee_rows_and_shipping_and_effective_dates(sheet: TermSheet) -> None:
    # Annexe 1 L1203, L1209-1210, L1222-1223; CGV art. 3.3 L149-151
    assert _plan_change(sheet, "tech_migration").bills == [
        "new_offer_access_fees", "connection_kit", "ftth_connection_fees"]
    assert _plan_change(sheet, "dismantling").bills == ["connection_kit"]
    assert _plan_change(sheet, "move_same_department").bills == ["new_contract_access_fees"]
    assert _plan_change(sheet, "move_other").bills == ["new_offer_access_fees", "connection_kit"]
    pc = sheet.general.plan_change
    assert pc.shipping_fee_on_equipment_change.value == Decimal("12")
    assert pc.telephony_effective.value == "first_day_next_month"
    assert pc.telephony_effective.src.first_line == 151


def test_billing_in_advance_by_direct_debit_from_first_connection(sheet: TermSheet) -> None:
    # CGV art. 9.1 L258, art. 9.2 L262, art. 9.3 L264
    b = sheet.general.billing
    assert b.recurring_timing.value == "in_advance"
    assert b.starts_at.value == "first_connection"
    assert b.start_at_latest_days_after_receipt.value == 30
    assert b.first_period.value == "whole_month" and b.first_period.src.first_line == 262
    assert (b.paper_invoice_delay_days.value, b.paper_invoice_delay_counted_in.value) == (10, "ouvres")
    assert sheet.general.payment.method.value == "direct_debit"
    assert sheet.general.late_payment.rejected_debit_fee.value == Decimal("8.00")


def test_unpaid_procedure_of_article_9_6(sheet: TermSheet) -> None:
    steps = sheet.general.dunning.steps
    assert [s.action for s in steps] == [
        "reminder", "suspend", "re_present_debit", "reminder", "terminate", "litigation"]
    first, suspend, second_presentation = steps[0], steps[1], steps[2]
    assert first.channels == ["sms", "email"] and first.pay_within_days == 5   # L272
    assert suspend.after_days == 5                                              # L272-274
    assert (second_presentation.after, second_presentation.after_months) == ("due_date", 1)  # L276
    assert steps[4].requires_approval and steps[4].src.first_line == 278


def test_restoration_liability_and_change_of_terms(sheet: TermSheet) -> None:
    assert sheet.general.service_levels.restoration.restoration_days.value == 15   # art. 7.7 L219
    assert sheet.general.service_levels.support_hours.value["sat"] == ["09:00-18:00"]  # L209
    assert sheet.general.liability.cap_months_of_fees.value == Decimal("3")     # art. 13.1 L381
    p = sheet.general.price_changes
    assert (p.terms_change_notice_months.value, p.terms_change_leave_months.value) == (1, 4)  # L203


def test_annex_2_non_return_amounts_and_ownership(sheet: TermSheet) -> None:
    terms = sheet.terms_for("internet_radio")
    assert terms.equipment.return_days.value == 15                 # CGV art. 11.1 L307
    expected = {"radio_kit": "300", "box_non_fibre": "80", "box_fibre": "120"}
    for equipment, amount in expected.items():
        penalty = _penalty(terms, equipment)
        assert penalty.amount == Decimal(amount) and penalty.basis == "TTC"
        assert penalty.ownership_passes
    assert terms.equipment.damaged_billed_up_to_replacement.value        # L309
    assert terms.equipment.warranty_months_sold.value == 12              # art. 12 L332
    assert sheet.general.retention.rules[0].months == 6                 # art. 11.4 L326


def test_field_ineligibility_returns(sheet: TermSheet) -> None:
    fibre = sheet.terms_for("internet_fibre").equipment
    assert (fibre.ineligibility_return_days.value, fibre.ineligibility_non_return_billed_at.value) == (
        10, "order_value")                                               # CPV Fibre L606
    assert sheet.terms_for("internet_adsl").equipment.ineligibility_return_days.value == 15  # L547


def test_fair_use_and_portability(sheet: TermSheet) -> None:
    voip, mobile = sheet.terms_for("voip").usage, sheet.terms_for("mobile").usage
    assert _threshold(sheet.terms_for("voip"), "distinct_numbers").limit == Decimal("150")  # L700
    assert _threshold(sheet.terms_for("voip"), "call_hours").window == "call"
    assert _threshold(sheet.terms_for("mobile"), "sms_recipients").limit == Decimal("50")   # L896
    assert _threshold(sheet.terms_for("mobile"), "sms").limit == Decimal("2000")
    assert mobile.figures.data_throttle_kbit_s.value == Decimal("384")                  # L898
    assert voip.figures.porting_business_days_average.value == Decimal("15")            # L690
    assert (mobile.figures.porting_business_days_min.value,
            mobile.figures.porting_business_days_max.value) == (Decimal("3"), Decimal("7"))


def test_vigilians_and_axa_figures(sheet: TermSheet) -> None:
    vs = sheet.terms_for("video_surveillance")
    assert vs.commitment.start_event.value == "option_activation"        # L1159
    assert {"at_term", "technical_malfunction"} <= {e.reason for e in vs.termination.exemptions}
    axa = sheet.terms_for("home_assistance").usage
    assert axa.amounts.glazier_locksmith_cap.amount == Decimal("200")  # L1313
    assert axa.amounts.franchise_buyback_cap.amount == Decimal("100")  # L1352


# --------------------------------------------------------------------------- one per contradiction

def test_version_date_reads_the_cover(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-VERSION-DATE").kind == "contradiction"
    assert sheet.valid_from == date(2019, 6, 10)


def test_legal_form_reads_sas(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-LEGAL-FORM").chosen == "OZONE SAS"
    assert sheet.operator.legal_name == "OZONE SAS"


def test_legal_references_change_no_amount(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-LEGAL-REFS").favours == "neutral"
    assert _fees(sheet, "mobile")["chatel"] == _fees(sheet, "internet_adsl")["chatel"]


def test_chatel_indemnity_is_capped_not_all_remaining_months(sheet: TermSheet) -> None:
    reading = sheet.reading("OZ-CHATEL")
    assert reading.favours == "client" and len(reading.texts) == 4
    chatel = _fees(sheet, "pack")["chatel"]
    assert chatel.src.reading == "OZ-CHATEL"
    assert (chatel.full_months, chatel.beyond_fraction) == (12, Decimal("0.25"))


def test_early_termination_is_allowed_from_the_start(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-EARLY-TERMINATION").favours == "client"
    allowed = sheet.general.commitment.termination_allowed_from_month
    assert allowed.value == 0 and allowed.src.reading == "OZ-EARLY-TERMINATION"


def test_recommitment_defaults_to_12_months(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-RECOMMIT").kind == "contradiction"
    assert sheet.general.commitment.recommit_on_change_months.value == 12
    assert sheet.general.move.recommit_months.value == 12


def test_last_period_is_prorated(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-LAST-PERIOD").favours == "client"
    assert sheet.general.billing.last_period.value == "prorata"


def test_payment_lifts_suspension_access_fees_only_after_termination(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-RECONNECTION").kind == "contradiction"
    assert sheet.general.dunning.payment_lifts_suspension.value is True
    assert sheet.general.late_payment.reconnection_rebills_access_fees.src.reading == "OZ-RECONNECTION"


def test_withdrawal_counts_from_signature_for_mobile_too(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-WITHDRAWAL-START").kind == "contradiction"
    assert sheet.terms_for("mobile").withdrawal.start_service.value == "signature"
    assert sheet.terms_for("mobile").withdrawal.days.value == 14


def test_out_of_pack_fixed_telephony_pays_no_termination_fee(sheet: TermSheet) -> None:
    reading = sheet.reading("OZ-VOIP-TERMINATION-FEE")
    assert reading.favours == "client"
    assert [t.src.first_line for t in reading.texts] == [295, 642]
    fees = _fees(sheet, "voip")
    assert fees["flat"].amount == Decimal("0") and fees["flat"].src.reading == "OZ-VOIP-TERMINATION-FEE"
    assert fees["chatel"].full_months == 12


def test_out_of_pack_fixed_telephony_commits_for_12_months(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-VOIP-ADDON-TERM").kind == "contradiction"
    assert sheet.terms_for("voip").commitment.initial_months.value == 12


def test_telephony_downgrade_in_a_pack_costs_30_euros_not_chatel(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-TELEPHONY-DOWNGRADE-IN-PACK").favours == "client"
    fee = _plan_change(sheet, "telephony_downgrade")
    assert fee.in_commitment.kind == "flat" and fee.in_commitment.amount == Decimal("30")
    assert fee.out_of_commitment.amount == Decimal("15")


def test_tv_box_penalty_leaves_the_return_owed(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-TV-BOX-RETURN").kind == "contradiction"
    option = _penalty(sheet.terms_for("tv"), "tv_box")              # CPV CinéTime L1080-1082
    assert (option.amount, option.return_days, option.still_to_return) == (Decimal("80.00"), 10, True)
    assert not option.ownership_passes
    whole = _penalty(sheet.terms_for("pack"), "tv_box")             # whole contract: 15 days
    assert (whole.amount, whole.return_days, whole.ownership_passes) == (Decimal("80"), 15, False)


def test_vigilians_indemnity_is_capped_by_the_quarter_rule(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-VIGILIANS-INDEMNITY").favours == "client"
    fees = _fees(sheet, "video_surveillance")
    assert set(fees) == {"chatel"} and fees["chatel"].src.reading == "OZ-VIGILIANS-INDEMNITY"


def test_axa_assistance_territory(sheet: TermSheet) -> None:
    assert sheet.reading("OZ-AXA-TERRITORY").kind == "contradiction"
    lists = sheet.terms_for("home_assistance").usage.lists
    assert lists.territory.value == ["France métropolitaine", "AD", "MC"]
    assert lists.territory_excluded.value == ["DOM", "Corse"]


def test_every_contradiction_has_its_test_above_and_is_resolved(sheet: TermSheet) -> None:
    contradictions = [r for r in sheet.readings if r.kind == "contradiction"]
    assert {r.id for r in contradictions} == {
        "OZ-VERSION-DATE", "OZ-LEGAL-FORM", "OZ-LEGAL-REFS", "OZ-CHATEL", "OZ-EARLY-TERMINATION",
        "OZ-RECOMMIT", "OZ-LAST-PERIOD", "OZ-RECONNECTION", "OZ-WITHDRAWAL-START",
        "OZ-VOIP-TERMINATION-FEE", "OZ-VOIP-ADDON-TERM", "OZ-TELEPHONY-DOWNGRADE-IN-PACK",
        "OZ-TV-BOX-RETURN", "OZ-VIGILIANS-INDEMNITY", "OZ-AXA-TERRITORY"}
    assert all(r.chosen and r.favours and len(r.texts) >= 2 for r in contradictions)
