"""Bundles and fair use (*usage raisonnable*): thresholds from the sheets' usage blocks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from clausier.rating import detail
from clausier.rating.month.rules import rate_month
from clausier.rating.plans.rules import Bundle
from tests.rating.conftest import DEMO_TARIFFS, T0, distinct_calls, plan, records


def rate(rows, the_plan):
    return rate_month(records(rows), [the_plan], DEMO_TARIFFS)


def test_analogue_line_calling_151_distinct_numbers_is_rerated_per_minute():
    """VGA CP I §8 L1738-1739: more than 150 distinct numbers a month per analogue line."""
    vga = plan("vga", units={"analogue_line": 1})
    within = rate(distinct_calls(150), vga)
    assert within.breaches == [] and within.explained[1].total == Decimal("0.00")
    over = rate(distinct_calls(151), vga)
    [breach] = over.breaches
    assert (breach.metric, breach.limit, breach.measured, breach.clause) == (
        "distinct_numbers", Decimal(150), Decimal(151), "CP I §8 (L1738-1739)")
    assert len(breach.evidence["numbers"]) == 151 and breach.evidence["numbers"][0] == "0100000000"
    # Retroactively, the whole month per minute: 151 calls of 1 min × 0.02 € = 3.02 €.
    assert over.explained[1].total == Decimal("3.02")
    assert over.rated["rerated"].all()
    [line] = over.explained[1].lines
    assert "re-rated after a fair-use breach" in line.label and "CP I §8 (L1738-1739)" in line.clause


def test_each_line_says_its_records_calls_duration_and_price():
    """The wording of the explained lines (VGA CP I §8): included calls with their duration,
    re-rated calls with the billed duration and the price (151 × 3 725 s = 156 h 14 min 35 s,
    × 0,02 €/min = 187,49 €)."""
    vga = plan("vga", units={"analogue_line": 1})
    [included] = rate(distinct_calls(3, duration=125), vga).explained[1].lines
    assert (included.label, included.formula, included.amount, included.clause) == (
        "Calls — fixed, included in the bundle", "3 record(s), 6 min 15 s included", Decimal("0.00"),
        "CP I §8 (L1716-1726)")
    [rerated] = rate(distinct_calls(151, duration=3725), vga).explained[1].lines
    assert (rerated.label, rerated.formula, rerated.amount, rerated.clause) == (
        "Calls — fixed, re-rated after a fair-use breach",
        "151 record(s), 151 call(s), 156 h 14 min 35 s billed × 0,02 € HT/min", Decimal("187.49"),
        "demo list; CP I §8 (L1738-1739)")


def test_the_month_per_destination_class_sums_its_lines():
    """The usage annex's figures (VGA CP I §8 L1716-1726: fixed and mobile numbers in the bundle):
    3 fixed calls of 125 s included; 2 calls abroad of 90 s out of it, per second at the demo
    list's 0,30 €/min = 0,90 €. Each class cites its lines' clauses once."""
    vga = plan("vga", units={"analogue_line": 1})
    rows = distinct_calls(3, duration=125) + [
        {"called": f"00493012345{i}", "duration": 90, "start": T0 + timedelta(hours=1, minutes=i)}
        for i in range(2)]
    month = rate(rows, vga)
    fixed, abroad = month.detail[1].destinations
    assert fixed == detail.DestinationUsage("Calls — fixed", 3, 375, 375, 0, Decimal("0.00"),
                                            "CP I §8 (L1716-1726)")
    assert (abroad.calls, abroad.seconds, abroad.included_seconds, abroad.charged_seconds,
            abroad.amount, abroad.clause) == (2, 180, 0, 180, Decimal("0.90"), "demo list")
    assert month.detail[1].total == month.explained[1].total == Decimal("0.90")
    assert detail.UsageDetail.from_dict(month.detail[1].as_dict()) == month.detail[1]


def test_isdn_threshold_does_not_apply_to_a_line_without_isdn_access():
    """The 400-number threshold is per ISDN (T0) access: none here, only the analogue rule counts."""
    vga = plan("vga", units={"analogue_line": 3})
    assert rate(distinct_calls(420), vga).breaches == []          # 420 ≤ 3 × 150


def test_mobile_line_with_41_hours_of_calls_breaches_the_40_hours():
    """Mobile CP IX §15 L7085-7086: not more than 40 h of calls a month."""
    mobile = plan("mobile", identifier="0650000001")
    forty = [{"called": "0612345678", "duration": 3600, "start": T0 + timedelta(hours=2 * i)} for i in range(40)]
    assert rate(forty, mobile).breaches == []
    over = rate(forty + [{"called": "0612345678", "duration": 3600, "start": T0 + timedelta(days=5)}], mobile)
    [breach] = over.breaches
    assert (breach.metric, breach.measured, breach.limit) == ("call_hours", Decimal("41.00"), Decimal(40))
    assert over.explained[1].total == Decimal("196.80")        # 41 × 60 min × 0.08 €


def test_sip_trunk_of_10_channels_at_2999_and_3001_distinct_numbers():
    """SIP trunk CP IV §8 L3415-3416: 300 distinct numbers per channel (10 channels: 3 000)."""
    trunk = plan("sip_trunk", units={"channel": 10})
    assert rate(distinct_calls(2999), trunk).breaches == []
    [breach] = rate(distinct_calls(3001), trunk).breaches
    assert (breach.limit, breach.measured, breach.per, breach.units) == (Decimal(3000), Decimal(3001), "channel", 10)


def test_centrex_user_with_four_simultaneous_calls():
    """Centrex CP V §8 L4239-4241: at most 3 simultaneous calls per user."""
    centrex = plan("centrex", units={"user": 1})
    three = [{"called": f"0145{i:06d}", "duration": 600, "start": T0} for i in range(3)]
    assert rate(three, centrex).breaches == []
    [breach] = rate(three + [{"called": "0145999999", "duration": 600, "start": T0}], centrex).breaches
    assert (breach.metric, breach.measured) == ("simultaneous_calls", Decimal(4))


def test_permanent_call_forwarding_is_never_included():
    """VGA CP I §8 L1729-1741: permanent call forwarding is outside the unlimited bundle."""
    result = rate([{"forwarded": True, "duration": 120}], plan("vga", units={"analogue_line": 1}))
    assert result.explained[1].total == Decimal("0.04")       # 2 min × 0.02 €


def test_ozone_voip_call_longer_than_two_hours_pays_its_excess():
    """Ozone CPV Téléphonie fixe art. 8.1 L700: unlimited up to 2 h per call; beyond, out of plan."""
    voip = plan("voip")
    result = rate([{"duration": 3 * 3600}], voip)
    assert result.explained[1].total == Decimal("1.20")       # 60 min beyond 2 h × 0.02 €


def test_minutes_allowance_is_used_in_call_order():
    capped = plan("vga", units={"analogue_line": 1}, bundle=Bundle(minutes=2))
    rows = [{"duration": 60, "start": T0 + timedelta(minutes=i), "called": f"014500000{i}"} for i in range(4)]
    result = rate(rows, capped)
    assert result.rated.sort("start")["charged_s"].to_list() == [0, 0, 60, 60]
    assert result.explained[1].total == Decimal("0.04")


def test_off_network_surcharge_above_five_percent_of_fixed_traffic():
    """VGA CP I §7.4 L1685-1689: +10 % when more than 5 % of fixed traffic ends off the incumbent."""
    metered = plan("vga", units={"analogue_line": 1}, bundle=Bundle())
    rows = ([{"duration": 600, "terminating_operator": "FT"}] * 18
            + [{"duration": 600, "terminating_operator": "SFR"}] * 2)
    result = rate(rows, metered)
    surcharge = [line for line in result.explained[1].lines if line.label.startswith("Off-network")]
    assert surcharge[0].amount == Decimal("0.04")             # 10 % × (2 × 10 min × 0.02 €)
    assert "10.00 % > 5 %" in surcharge[0].label
    exactly_five = ([{"duration": 600, "terminating_operator": "FT"}] * 19
                    + [{"duration": 600, "terminating_operator": "SFR"}])
    assert not [l for l in rate(exactly_five, metered).explained[1].lines if l.label.startswith("Off-network")]


def test_data_over_the_allowance_throttles_unlimited_and_meters_pay_as_you_go():
    """Mobile CP IX §15 L7101-7107."""
    rows = [{"type": "data", "duration": 0, "bytes": 600_000_000, "called": "",
             "start": T0 + timedelta(hours=i)} for i in range(2)]
    unlimited = plan("mobile", bundle=Bundle(unlimited=True, data_mb=1000, data_plan="unlimited"))
    [event] = rate(rows, unlimited).data_events
    assert (event.kind, event.record_id, event.clause) == ("throttle", "r1", "CP IX §15 (L7101-7103)")
    metered = plan("mobile", bundle=Bundle(data_mb=1000, data_plan="metered"))
    line = [l for l in rate(rows, metered).explained[1].lines if l.label == "Data beyond the allowance"][0]
    assert line.amount == Decimal("2.00")                     # 200 MB × 0.01 €
