"""The same seed cases read from the built-in term sheets (the figures are the sheets', never
the code's): if a sheet changes a figure, these tests say which case moved."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import cache

from clausier.rating.month.rules import rate_month
from clausier.rating.plans.rules import Bundle, Plan
from clausier.terms.loader import BUILT_IN_DIR, load_sheet
from tests.rating.conftest import DEMO_TARIFFS, T0, distinct_calls, records


@cache
def sheet_usage(sheet_id: str, family: str):
    return load_sheet(BUILT_IN_DIR / sheet_id).terms_for(family).usage


def rate(rows, sheet_id, family, units=None, **plan):
    the_plan = Plan(1, 1, family, plan.pop("identifier", "0247000001"), sheet_usage(sheet_id, family),
                    plan.pop("bundle", Bundle(unlimited=True)), units or {}, "demo", **plan)
    return rate_month(records(rows), [the_plan], DEMO_TARIFFS)


def test_vga_analogue_line_150_and_151_numbers():
    assert rate(distinct_calls(150), "technicophone", "vga", {"analogue_line": 1}).breaches == []
    [breach] = rate(distinct_calls(151), "technicophone", "vga", {"analogue_line": 1}).breaches
    assert (breach.limit, breach.clause) == (Decimal(150), "CP I §8 (L1738-1739)")


def test_sip_trunk_10_channels_2999_and_3001():
    assert rate(distinct_calls(2999), "technicophone", "sip_trunk", {"channel": 10}).breaches == []
    [breach] = rate(distinct_calls(3001), "technicophone", "sip_trunk", {"channel": 10}).breaches
    assert breach.limit == Decimal(3000)


def test_mobile_41_hours():
    rows = [{"called": "0612345678", "duration": 3600, "start": T0 + timedelta(hours=2 * i)} for i in range(41)]
    [breach] = rate(rows, "technicophone", "mobile", identifier="0650000001").breaches
    assert (breach.metric, breach.limit) == ("call_hours", Decimal(40))


def test_cx_pack_5200_inbound_minutes():
    rows = [{"direction": "in", "calling": f"0612{i:06d}", "called": "0247000001", "duration": 100 * 60,
             "start": T0 + timedelta(hours=i)} for i in range(52)]
    result = rate(rows, "technicophone", "cx", {"pack": 1})
    assert result.explained[1].total == Decimal("4.00")


def test_mobile_robot_from_a_06_number():
    rows = [{"traffic": "automated", "calling": "0612345678", "start": T0 + timedelta(seconds=i)} for i in range(10)]
    [alert] = [a for a in rate(rows, "technicophone", "mobile", identifier="0650000001").alerts
               if a.kind == "automated_caller_id"]
    assert alert.penalty.total == Decimal("2000.20")


def test_ozone_voip_two_hours_per_call():
    """The Ozone sheet leaves the included destinations to the offer (unlimited to fixed lines)."""
    unlimited_fixed = Bundle(unlimited=True, destinations=("01", "02", "03", "04", "05", "09"))
    result = rate([{"duration": 3 * 3600}], "ozone", "voip", bundle=unlimited_fixed)
    assert result.explained[1].total == Decimal("1.20")
