"""The built-in ROZOH sheet: the two prepaid-pack variants, their figures and readings."""

from __future__ import annotations


import pytest

from clausier.core.calendar import OpeningHours
from clausier.terms.lint import lint_sheet
from clausier.terms.loader import BUILT_IN_DIR, load_sheet
from clausier.terms.schema import TermSheet



@pytest.fixture(scope="module")
def sheet() -> TermSheet:
    return load_sheet(BUILT_IN_DIR / "rozoh")


def test_sheet_loads_and_lints_clean(sheet: TermSheet, seeds) -> None:
    assert (sheet.id, sheet.customer_kind, sheet.price_basis) == ("rozoh", "business", "HT")
    assert set(sheet.families) == {"intercom_pack", "access_pack"}
    assert lint_sheet(sheet, seeds) == []


@pytest.mark.parametrize("family", ["intercom_pack", "access_pack"])
def test_120_months_from_activation_or_12_months_after_shipment(sheet, family) -> None:
    # CP art. 2 L224-227 (B: L454-457)
    terms = sheet.terms_for(family)
    assert terms.pack.service_months.value == 120
    assert terms.pack.start_at_latest_months_after_shipment.value == 12
    assert terms.pack.start_at_latest_months_after_shipment.clause == "CP A art. 2 (L226-227)"
    c = terms.commitment
    assert (c.initial_months.value, c.start_event.value) == (120, "activation")
    assert c.start_at_latest_months_after_shipment.value == 12
    assert terms.renewal.mode.value == "none"


@pytest.mark.parametrize("family", ["intercom_pack", "access_pack"])
def test_eligibility_sync_offline_and_sim_return(sheet, family) -> None:
    terms = sheet.terms_for(family)
    assert terms.pack.allowed_customer_categories.value == ["public_body", "tertiary", "industrial"]
    assert terms.pack.same_country_only.value and terms.pack.same_country_only.src.first_line == 240
    assert terms.pack.unlimited_syncs.value and terms.pack.offline_mode.value   # L167-172, L130
    assert terms.pack.extra_records_purchasable.value                          # L247-249
    assert terms.equipment.sim_returns_to_manufacturer.value                   # L34-42


def test_support_hours_business_days_8_to_18_friday_until_17(sheet: TermSheet) -> None:
    # CP art. 1 L212-213
    hours = sheet.general.service_levels.support_hours
    assert hours.value["thu"] == ["08:00-18:00"] and hours.value["fri"] == ["08:00-17:00"]
    assert "sat" not in hours.value
    parsed = OpeningHours.from_mapping(hours.value)
    assert parsed.segments(4)[0][1].hour == 17 and parsed.segments(5) == ()


def test_intercom_destinations_follow_footnote_1(sheet: TermSheet) -> None:
    # CP A note 1 L86-88, L189-191: 25 entries, plus France (reading ROZ-FRANCE-CALLS)
    countries = sheet.terms_for("intercom_pack").pack.allowed_call_countries.value
    assert len(countries) == 26 and len(set(countries)) == 26
    assert {"DE", "VA", "GG", "JE", "GB", "CH", "NO"} <= set(countries)
    assert sheet.terms_for("intercom_pack").usage.flags.calls_outside_list_forbidden.value


# --------------------------------------------------------------------------- one per contradiction

def test_france_is_an_allowed_destination(sheet: TermSheet) -> None:
    reading = sheet.reading("ROZ-FRANCE-CALLS")
    assert reading.kind == "contradiction" and reading.favours == "client"
    countries = sheet.terms_for("intercom_pack").pack.allowed_call_countries
    assert "FR" in countries.value and countries.src.reading == "ROZ-FRANCE-CALLS"


def test_access_pack_has_no_call_service(sheet: TermSheet) -> None:
    assert sheet.reading("ROZ-B-PANEL-DATA").kind == "contradiction"
    terms = sheet.terms_for("access_pack")
    assert terms.pack.allowed_call_countries.value == []
    assert terms.usage.lists.synced_data.value == ["badge_serials", "remote_serials", "keypad_codes"]


def test_every_contradiction_has_its_test_above(sheet: TermSheet) -> None:
    assert {r.id for r in sheet.readings if r.kind == "contradiction"} == {
        "ROZ-FRANCE-CALLS", "ROZ-B-PANEL-DATA"}


# --------------------------------------------------------------------------- gaps

def test_islands_are_regions_of_listed_countries(sheet: TermSheet) -> None:
    assert sheet.reading("ROZ-ISLANDS").kind == "gap"
    countries = set(sheet.terms_for("intercom_pack").pack.allowed_call_countries.value)
    assert {"PT-20", "ES-CN", "PT-30", "PT", "ES"} <= countries


def test_gaps_recorded_for_warnings_retention_and_prices(sheet: TermSheet) -> None:
    pack = sheet.general.pack
    assert pack.end_warnings_months_before.value == [6, 1]
    assert pack.end_warnings_months_before.src.reading == "ROZ-END-WARNINGS"
    [events] = sheet.general.retention.rules
    assert (events.data, events.months, events.src.reading) == ("access_events", 3,
                                                              "ROZ-ACCESS-EVENT-RETENTION")
    for reading_id in ("ROZ-END-WARNINGS", "ROZ-ACCESS-EVENT-RETENTION", "ROZ-EXTRA-RECORD-PRICE",
                       "ROZ-PRICE-BASIS", "ROZ-RENEWAL", "ROZ-WITHDRAWAL"):
        assert sheet.reading(reading_id).kind == "gap" and sheet.reading(reading_id).chosen
