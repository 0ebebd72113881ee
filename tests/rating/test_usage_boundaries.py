"""Usage boundaries from the seeds' text (tests/rating/scenarios/usage_boundaries.yaml): fair-use
thresholds compare exact quantities, the per-call maximum is to the second, and call records
are purged to the day. SQLite and PostgreSQL (the purge's report lines are in the database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import yaml
from sqlalchemy import select

from clausier.catalog import service as catalog
from clausier.catalog.attributes import rating_attributes
from clausier.privacy import service as privacy
from clausier.privacy.models import PurgeReportLine
from clausier.rating.month.rules import rate_month
from clausier.rating.plans.rules import Bundle, Plan
from clausier.rating.roaming.rules import RoamingMonth, roaming_indicators
from tests.privacy import world
from tests.rating.conftest import DEMO_TARIFFS, T0, distinct_calls, records
from tests.rating.test_built_in_sheets import sheet_usage

SCENARIOS = yaml.safe_load((Path(__file__).parent / "scenarios" / "usage_boundaries.yaml")
                           .read_text(encoding="utf-8"))


def _shipped_bundle(operator: str, offer: str) -> Bundle:
    catalog_file = catalog.read_catalog_file(catalog.DATA_DIR / f"{operator}.yaml")
    [attributes] = [o.attributes for o in catalog_file.offers if o.code == offer]
    return Bundle.of(rating_attributes(attributes))


def _rate(rows, sheet_id: str, family: str, bundle: Bundle, identifier: str):
    plan = Plan(1, 1, family, identifier, sheet_usage(sheet_id, family), bundle, {}, "demo")
    return rate_month(records(rows, service_id=identifier), [plan], DEMO_TARIFFS)


def _ids(table: str):
    return [f"{s.get('seconds', s.get('numbers', s.get('purge_on')))}" for s in SCENARIOS[table]]


@pytest.mark.parametrize("case", SCENARIOS["technicophone_mobile_call_hours"],
                         ids=_ids("technicophone_mobile_call_hours"))
def test_technicophone_mobile_more_than_40_hours(case):
    # the month's calls to one fixed number, each under an hour, adding up to ``seconds``
    hours, rest = divmod(case["seconds"], 3600)
    rows = [{"called": "0145000000", "duration": 3600, "start": T0 + timedelta(hours=2 * i)}
            for i in range(hours)] + [{"called": "0145000000", "duration": rest,
                                       "start": T0 + timedelta(hours=2 * hours)}]
    result = _rate(rows, "technicophone", "mobile",
                   _shipped_bundle("technicophone", "mobile_voice_5g"), "0650000001")
    breaches = [b for b in result.breaches if b.metric == "call_hours"]
    assert bool(breaches) is case["breach"], case["why"]
    if breaches:
        [breach] = breaches
        assert breach.evidence["measured_seconds"] == case["seconds"]
        assert breach.measured > breach.limit            # what the staff read agrees
        assert breach.clause.startswith("CP IX §15")


@pytest.mark.parametrize("case", SCENARIOS["technicophone_mobile_distinct_numbers"],
                         ids=_ids("technicophone_mobile_distinct_numbers"))
def test_technicophone_mobile_more_than_150_numbers(case):
    result = _rate(distinct_calls(case["numbers"]), "technicophone", "mobile",
                   _shipped_bundle("technicophone", "mobile_voice_5g"), "0650000001")
    breached = any(b.metric == "distinct_numbers" for b in result.breaches)
    assert breached is case["breach"], case["why"]


@pytest.mark.parametrize("case", SCENARIOS["ozone_voip_call_length"],
                         ids=_ids("ozone_voip_call_length"))
def test_ozone_voip_two_hours_per_call_to_the_second(case):
    result = _rate([{"duration": case["seconds"]}], "ozone", "voip",
                   _shipped_bundle("ozone", "voip_line"), "0247000001")
    assert result.rated["charged_s"].to_list() == [case["charged_seconds"]], case["why"]


def test_the_shipped_unlimited_offer_includes_calls_a_metered_one_bills_them():
    """CP IX §15 L7071-7077: the unlimited mobile offer includes a national fixed call; an offer
    that says nothing includes nothing (the price list's 0,02 €/min for 10 minutes)."""
    call = [{"called": "0145000000", "duration": 600}]
    included = _rate(call, "technicophone", "mobile",
                     _shipped_bundle("technicophone", "mobile_voice_5g"), "0650000001")
    billed = _rate(call, "technicophone", "mobile", Bundle(), "0650000001")
    assert included.explained[1].total == 0
    assert billed.explained[1].total == Decimal("0.20")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("case", SCENARIOS["technicophone_retention"],
                         ids=_ids("technicophone_retention"))
def test_technicophone_records_are_purged_to_the_day(session, clock, actor, data_dir, case):
    operator = world.technicophone(session, clock, actor)
    customer = world.customer_with_contacts(session, clock, actor, operator)
    made = datetime.fromisoformat(case["made"])
    month = made.strftime("%Y-%m")
    rows = [{"record_id": "made", "customer_id": customer.id, "subscription_id": 1,
             "calling": "0247000001", "start": made}]
    if (next_day := made + timedelta(days=1)).month == made.month:    # kept a day longer
        rows.append({"record_id": "next-day", "customer_id": customer.id, "subscription_id": 1,
                     "calling": "0247000001", "start": next_day})
    partition = world.write_partition(data_dir, "records", month, rows)

    privacy.purge(session, clock, actor, date.fromisoformat(str(case["purge_on"])))

    left = pl.read_parquet(partition)["record_id"].to_list() if partition.exists() else []
    assert ("made" in left) is case["kept"], case["why"]
    if len(rows) == 2:
        assert "next-day" in left            # the partition is rewritten, not dropped whole
    if not case["kept"]:
        [line] = session.scalars(select(PurgeReportLine).where(PurgeReportLine.data == "cdr"))
        assert line.clause == "CGV art. 10.6 (L382-390)"
        assert line.count == 1


@pytest.mark.parametrize("case", SCENARIOS["technicophone_caller_id_country"],
                         ids=[f"{s['line']}-{s['presented']}"
                              for s in SCENARIOS["technicophone_caller_id_country"]])
def test_technicophone_caller_id_country_of_the_line_and_of_the_presented_number(case):
    row = {"calling": case["presented"], "called": "0145000000", "duration": 60,
           "origin_country": case.get("origin_country", "")}
    result = _rate([row], "technicophone", case["family"], Bundle(), case["line"])
    rated_at = result.rated["rate_dest"].cast(str).to_list()
    assert (rated_at == ["unknown_origin"]) is case["unknown_origin"], case["why"]
    alerts = [a for a in result.alerts if a.kind == "origin_mismatch"]
    assert bool(alerts) is case["unknown_origin"]
    if alerts:
        assert alerts[0].clause.startswith(case["src"].split(" L")[0])


@pytest.mark.parametrize("case", SCENARIOS["technicophone_roaming_abuse"],
                         ids=[s["why"][:40] for s in SCENARIOS["technicophone_roaming_abuse"]])
def test_technicophone_roaming_abuse_applies_what_both_clauses_allow(case):
    window = [RoamingMonth(f"2026-{index + 1:02d}", national_voice_s=m["nv"],
                           roaming_voice_s=m["rv"], national_days=m["nd"],
                           roaming_days=m["rd"])
              for index, m in enumerate(case["months"])]
    found = roaming_indicators(window, sheet_usage("technicophone", "mobile"))
    assert bool(found) is case["abuse"], (case["why"], found)
