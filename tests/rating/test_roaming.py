"""Roaming: EU/EEA billed as national (Eurotarif) and the abuse indicators over the window."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from clausier.rating.month.rules import rate_month
from clausier.rating.price.rules import Tariff
from clausier.rating.roaming.rules import (RoamingMonth, roaming_indicators, roaming_surcharge,
                                           serial_sims)
from tests.rating.conftest import DEMO_TARIFFS, T0, plan, records, usage


def test_eu_roaming_is_billed_as_national_and_stays_in_the_bundle():
    """Mobile CP IX §17 L7144-7149: in the EU/EEA as in metropolitan France."""
    rows = [{"origin_country": "ES", "calling": "0650000001", "called": "0145000000", "duration": 600},
            {"origin_country": "MA", "calling": "0650000001", "called": "0145000000", "duration": 600}]
    result = rate_month(records(rows), [plan("mobile", identifier="0650000001")], DEMO_TARIFFS)
    by_zone = dict(zip(result.rated["zone"].cast(str), result.rated["in_bundle"]))
    assert by_zone == {"eu": True, "world": False}
    assert result.rated["rate_dest"].cast(str).to_list() == ["fixed", "roaming_world"]
    assert result.unpriced == {1: 1}          # no roaming_world price in this test list: reported


def month(name: str, national_days: int, roaming_days: int) -> RoamingMonth:
    return RoamingMonth(name, national_voice_s=600, roaming_voice_s=3600,
                        national_days=national_days, roaming_days=roaming_days)


def test_roaming_abuse_indicators_hold_over_the_whole_window():
    """Mobile CP IX §17 L7151-7171: observed over consecutive months; one indicator suffices."""
    mobile = usage("mobile")
    window = [month("2026-08", 3, 20), month("2026-09", 2, 25), month("2026-10", 4, 22)]
    assert roaming_indicators(window, mobile) == [
        "national_consumption_below_roaming:voice", "national_presence_below_roaming"]
    assert roaming_indicators(window[1:], mobile) == []                 # window incomplete
    window[1] = month("2026-09", 25, 2)
    assert roaming_indicators(window, mobile) == ["national_consumption_below_roaming:voice"]


def test_roaming_surcharge_proposed_on_the_window_consumption():
    tariffs = {"voice": Tariff("roaming_surcharge", "voice", Decimal("0.022"), source="demo list")}
    explained = roaming_surcharge([month("2026-09", 1, 20), month("2026-10", 1, 20)], tariffs,
                                  usage("mobile"))
    assert explained.total == Decimal("2.64")                # 120 min × 0.022 €
    assert explained.lines[0].clause == "demo list; CP IX §17 (L7167-7171)"


def test_roaming_profile_counts_consumption_and_presence():
    rows = ([{"origin_country": "ES", "start": T0 + timedelta(days=d)} for d in range(3)]
            + [{"start": T0 + timedelta(days=10)}])
    result = rate_month(records(rows), [plan("mobile")], DEMO_TARIFFS)
    assert result.roaming.row(0, named=True) == {
        "subscription_id": 1, "national_voice_s": 60, "roaming_voice_s": 180, "national_messages": 0,
        "roaming_messages": 0, "national_bytes": 0, "roaming_bytes": 0, "national_days": 1,
        "roaming_days": 3}


def roamed(name: str, roaming_days: int, national_days: int = 0) -> RoamingMonth:
    return RoamingMonth(name, roaming_days=roaming_days, national_days=national_days)


def test_serial_sims_used_one_after_another_while_roaming():
    """Mobile CP IX §17 L7164-7165 (4th indicator): several SIMs of one client used in series
    while roaming ('multiples cartes SIM': two already count)."""
    mobile = usage("mobile")
    months = ("2026-08", "2026-09", "2026-10")
    series = {1: [roamed("2026-08", 20), roamed("2026-09", 0), roamed("2026-10", 0)],
              2: [roamed("2026-08", 0), roamed("2026-09", 25), roamed("2026-10", 0)],
              3: [roamed("2026-08", 0), roamed("2026-09", 0), roamed("2026-10", 22, 1)]}
    assert serial_sims(series, mobile) == (1, 2, 3)
    assert serial_sims({1: series[1]}, mobile) == ()                    # one SIM is no series
    parallel = {sim: [roamed(m, 10) for m in months] for sim in (1, 2)}        # two travellers at once
    assert serial_sims(parallel, mobile) == ()
    at_home = {1: series[1], 2: [roamed("2026-09", 3, 20)]}                   # mostly used in France
    assert serial_sims(at_home, mobile) == ()
