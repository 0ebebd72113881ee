"""Fraud and compliance checks: alerts with evidence and the penalties of the sheets."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from clausier.rating.month.rules import rate_month
from tests.rating.conftest import DEMO_TARIFFS, T0, plan, records


def alerts(rows, the_plan):
    return {a.kind: a for a in rate_month(records(rows), [the_plan], DEMO_TARIFFS).alerts}


def test_robot_calling_from_a_06_number_gets_an_alert_and_the_penalty():
    """Mobile CP IX §5.5.2 L6520-6538: automated systems never present a 06/07 number;
    §11.3 L6828-6832: 2 000 € per calling number + 0.02 € per call, cumulative."""
    rows = [{"traffic": "automated", "calling": "0612345678", "called": f"0145{i:06d}",
             "start": T0 + timedelta(seconds=i)} for i in range(100)]
    found = alerts(rows, plan("mobile", identifier="0650000001"))["automated_caller_id"]
    assert found.numbers == ("0612345678",) and found.calls == 100
    assert found.penalty.total == Decimal("2002.00")
    assert [l.clause for l in found.penalty.lines] == ["CP IX §11.3 (L6828-6829)", "CP IX §11.3 (L6831-6832)"]
    assert "CP IX §5.5.2 (L6531-6534)" in found.clause


def test_robot_presenting_a_verified_prefix_is_compliant():
    rows = [{"traffic": "automated", "calling": "0162000000", "start": T0 + timedelta(seconds=i)} for i in range(5)]
    assert "automated_caller_id" not in alerts(rows, plan("mobile", identifier="0650000001"))


def test_technical_platform_outside_0937_0938_09390_09394():
    """SIP trunk CP IV §8.1.4.2 L3487-3490."""
    rows = [{"traffic": "platform", "calling": "0939412345"}, {"traffic": "platform", "calling": "0939512345"}]
    found = alerts(rows, plan("sip_trunk", units={"channel": 2}))["platform_caller_id"]
    assert found.numbers == ("0939512345",) and found.penalty.total == Decimal("2000.02")


def test_burst_of_12_call_setups_in_one_second():
    """CP IX §20 L7246-7247: at most 10 call set-ups per second per account."""
    twelve = [{"called": f"0145{i:06d}", "start": T0} for i in range(12)]
    found = alerts(twelve, plan("mobile"))["setup_burst"]
    assert (found.calls, found.evidence["peak"], found.evidence["limit"]) == (12, 12, 10)
    assert found.evidence["seconds"] == ["2026-10-05T07:00:00Z"]
    assert found.clause == "CP IX §20 (L7246-7247)"
    ten = [{"called": f"0145{i:06d}", "start": T0} for i in range(10)]
    assert "setup_burst" not in alerts(ten, plan("mobile"))


def test_caller_id_089b_is_flagged_for_rewriting():
    """VGA CP I §11 L1826-1827: a presented number of the form 089B is rewritten."""
    found = alerts([{"calling": "0891234567"}], plan("vga", units={"analogue_line": 1}))["caller_id_rewrite"]
    assert found.numbers == ("0891234567",) and found.penalty is None


def test_calling_country_not_matching_the_presented_number_is_rerated_at_unknown_origin():
    """Mobile CP IX §11.3 L6837-6840: re-rated at the "origine indéterminée" tariff."""
    rows = [{"calling": "0145000001", "origin_country": "MA", "called": "0612345678", "duration": 120}]
    result = rate_month(records(rows), [plan("mobile", identifier="0650000001")], DEMO_TARIFFS)
    assert result.rated["rate_dest"].cast(str).to_list() == ["unknown_origin"]
    assert result.explained[1].total == Decimal("1.80")       # 2 min × 0.90 €
    [found] = [a for a in result.alerts if a.kind == "origin_mismatch"]
    assert found.clause == "CP IX §11.3 (L6837-6840)"
