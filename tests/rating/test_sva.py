"""Premium-rate numbers (SVA): payouts, caps, claims and sanctions (CP XII)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from clausier.core.calendar import BusinessCalendar, DayKind, OpeningHours
from clausier.core.clock import PARIS
from clausier.rating.month.rules import rate_month
from clausier.rating.price.rules import Tariff
from clausier.rating.sva.rules import sva_claimable, sva_sanction, sva_uncured
from tests.rating.conftest import plan, records, usage

TARIFFS = {"demo": [
    Tariff("sva_payout", "voice", Decimal("0.30"), source="number tariff v1"),
    Tariff("sva_payout", "voice", Decimal("0.60"), valid_from=date(2026, 10, 15), source="number tariff v2"),
    Tariff("sva_caller", "voice", Decimal("0.80"), basis="TTC", source="caller price"),
]}


def calls(*rows):
    return records([{"direction": "in", "called": "0891000000", **row} for row in rows])


def payouts(*rows):
    return rate_month(calls(*rows), [plan("sva", identifier="0891000000")], TARIFFS).payouts


def test_payout_per_second_at_the_tariff_in_force_when_the_call_arrived():
    """CP XII §12 L10081-10086: per second from the first second, the tariff of the call's day."""
    found = payouts({"calling": "0145000000", "duration": 61},
                    {"calling": "0145000001", "duration": 61, "start": datetime(2026, 10, 20, 9, tzinfo=PARIS)})
    assert found["amount_micro"].to_list() == [305_000, 610_000]     # 61 s × 0.30 €/60, then 0.60 €/60


def test_no_payout_for_calls_from_outside_metropolitan_france():
    """CP XII §12 L10086-10088: only calls from metropolitan French fixed and mobile networks."""
    found = payouts({"calling": "0262123456", "duration": 60}, {"calling": "0044207946", "duration": 60},
                    {"calling": "0145000000", "duration": 60, "origin_country": "BE"})
    assert found["amount_micro"].to_list() == [0] and found["calls"].to_list() == [3]


def test_30_minute_limit_above_020_per_minute_and_24_euro_cap():
    """CP XII §7.4 L9793-9796: 24 € TTC per call; 30 minutes above 0.20 € TTC/min."""
    found = payouts({"calling": "0145000000", "duration": 3600})
    assert found["seconds"].to_list() == [1800]                       # the caller pays 0.80 €/min
    assert found["amount_micro"].to_list() == [9_000_000]             # 30 min × 0.30 €


def test_hyper_short_calls_raise_an_abnormal_traffic_alert():
    """CP XII §1 L9441-9443: calls shorter than 2 seconds."""
    result = rate_month(calls({"calling": "0145000000", "duration": 1}), [plan("sva", identifier="0891000000")],
                        TARIFFS)
    [alert] = result.alerts
    assert (alert.kind, alert.calls, alert.clause) == ("sva_abnormal_traffic", 1, "CP XII §1 (L9441-9443)")


def test_calls_59_and_61_business_days_old_only_the_older_is_claimable():
    """CP XII §12 L10090-10094: payouts of calls more than 60 days old ("jours": business days,
    CGV definitions)."""
    calendar = BusinessCalendar(OpeningHours.heures_ouvrees())
    claim_day = date(2026, 12, 15)
    day_61 = next(d for d in (claim_day - timedelta(days=n) for n in range(80, 100))
                  if calendar.count_days(d, claim_day, DayKind.OUVRES) == 61)
    day_59 = next(d for d in (claim_day - timedelta(days=n) for n in range(80, 100))
                  if calendar.count_days(d, claim_day, DayKind.OUVRES) == 59)
    age = lambda d, on: calendar.count_days(d, on, DayKind.OUVRES)   # noqa: E731
    explained, days = sva_claimable([(day_59, Decimal("3.10")), (day_61, Decimal("2.50"))], claim_day,
                                    usage("sva"), age)
    assert days == [day_61] and explained.total == Decimal("2.50")
    assert explained.lines[0].clause == "CP XII §12 (L10090-10094)"


def test_sanction_per_number_and_repeat_within_a_year():
    """CP XII §13.1 L10140-10148: 5 000 € per number, +10 000 € when repeated within a year."""
    assert sva_sanction(usage("sva"), 1, repeated=False).total == Decimal("5000.00")
    assert sva_sanction(usage("sva"), 1, repeated=True).total == Decimal("15000.00")
    assert sva_uncured(usage("sva")).total == Decimal("10000.00")


def test_traffic_concentrated_on_few_calling_numbers_is_abnormal():
    """CP XII §1 L9437-9439 (concentrated traffic; figures of the sheet's reading): 100 calls,
    the 3 most frequent callers make 70 of them (> 50 %)."""
    rows = ([{"calling": f"01450000{i % 3:02d}", "duration": 60} for i in range(70)]
            + [{"calling": f"0146{i:06d}", "duration": 60} for i in range(30)])
    [alert] = rate_month(calls(*rows), [plan("sva", identifier="0891000000")], TARIFFS).alerts
    assert (alert.kind, alert.calls, alert.clause) == ("sva_abnormal_traffic", 70, "CP XII §1 (L9437-9439)")
    assert alert.evidence["patterns"] == ["concentrated_traffic"]
    assert alert.evidence["top_callers"] == [{"number": "0145000000", "calls": 24},
                                             {"number": "0145000001", "calls": 23},
                                             {"number": "0145000002", "calls": 23}]
    assert alert.evidence["share_percent"] == "70.0"
    spread = rows[:45] + [{"calling": f"0147{i:06d}", "duration": 60} for i in range(55)]  # 45 %
    assert rate_month(calls(*spread), [plan("sva", identifier="0891000000")], TARIFFS).alerts == []
    few = rows[:70]                                      # all concentrated but fewer than 100 calls
    assert rate_month(calls(*few), [plan("sva", identifier="0891000000")], TARIFFS).alerts == []


def test_automated_calls_to_a_premium_number_are_abnormal_with_hyper_short_calls():
    """CP XII §9.3 L9954-9956 (automatic dialling to an SVA number) and §1 L9441-9443: one
    alert per number listing both patterns."""
    rows = [{"calling": "0145000000", "duration": 1, "traffic": "automated"},
            {"calling": "0145000001", "duration": 30, "traffic": "automated"}]
    [alert] = rate_month(calls(*rows), [plan("sva", identifier="0891000000")], TARIFFS).alerts
    assert alert.evidence["patterns"] == ["hyper_short_calls", "automated_calls"]
    assert (alert.evidence["hyper_short_calls"], alert.evidence["automated_calls"]) == (1, 2)
    assert alert.clause == "CP XII §1 (L9441-9443); CP XII §9.3 (L9954-9956)"
