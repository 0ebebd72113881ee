"""Contact centre (CX) rating: inbound minute packs, unmanaged lines, web call-back, transfers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from clausier.rating.month.rules import rate_month
from clausier.rating.plans.rules import Bundle
from tests.rating.conftest import DEMO_TARIFFS, T0, plan, records


def inbound(minutes: int, **extra) -> list[dict]:
    """Inbound calls of 100 minutes each to the CX number (the last one shorter)."""
    rows, left, index = [], minutes, 0
    while left > 0:
        length = min(100, left)
        rows.append({"direction": "in", "calling": f"0612{index:06d}", "called": "0247000001",
                     "duration": length * 60, "start": T0 + timedelta(hours=index), **extra})
        left -= length
        index += 1
    return rows


def test_cx_pack_at_5200_inbound_minutes_pays_200_minutes():
    """CX CP X §2 L7429-7431: 5 000 inbound minutes per pack, then 0.02 € HT per minute."""
    result = rate_month(records(inbound(5200)), [plan("cx", units={"pack": 1})], DEMO_TARIFFS)
    [line] = [l for l in result.explained[1].lines if l.label.startswith("CX inbound")]
    assert line.amount == Decimal("4.00")
    assert "5000" in line.formula and "200.00 min" in line.formula
    assert line.clause == "CP X §2 (L7429-7431); CP X §2 (L7429-7431)"
    two_packs = rate_month(records(inbound(5200)), [plan("cx", units={"pack": 2})], DEMO_TARIFFS)
    assert two_packs.explained[1].total == Decimal("0.00")


def test_cx_lines_not_managed_by_the_operator_pay_from_the_first_minute():
    """CX CP X §2 L7432-7433: 0.10 € HT per minute from the first minute."""
    result = rate_month(records(inbound(5200)), [plan("cx", units={"pack": 1}, lines_managed=False)],
                        DEMO_TARIFFS)
    assert result.explained[1].total == Decimal("520.00")


def test_transferred_call_counts_until_hang_up():
    """CX CP X §2 L7427-7428: a transferred inbound call counts until it is fully hung up."""
    rows = inbound(5000) + [{"direction": "in", "calling": "0612999999", "called": "0247000001",
                             "duration": 30 * 60, "forwarded": True, "start": T0 + timedelta(days=3)}]
    result = rate_month(records(rows), [plan("cx", units={"pack": 1})], DEMO_TARIFFS)
    assert result.explained[1].total == Decimal("0.60")       # the 30 transferred minutes × 0.02 €


def test_web_call_back_is_rated_as_two_calls():
    """CX CP X §3.5 L7533-7537: a web call-back sets up two calls, both rated."""
    rows = [{"type": "callback", "called": "0612345678", "duration": 120}]
    result = rate_month(records(rows), [plan("cx", units={"pack": 1}, bundle=Bundle())],
                        DEMO_TARIFFS)
    assert result.rated["calls"].to_list() == [2]
    assert result.explained[1].total == Decimal("0.32")       # 2 calls × 2 min × 0.08 €


def test_calls_redirected_to_a_number_not_managed_by_the_operator_pay_from_the_first_minute():
    """CX CP X §2 L7434-7435: inbound calls redirected to a number the operator does not manage
    pay 0.10 € HT per minute from the first minute, outside the pack's 5 000 minutes."""
    def redirected(target: str) -> list[dict]:
        return inbound(5000) + [{"direction": "in", "calling": "0612999999", "called": "0247000001",
                                 "duration": 30 * 60, "forwarded": True, "forwarded_to": target,
                                 "start": T0 + timedelta(days=3)}]
    managed = {"0247000001", "0247000002"}
    cx = [plan("cx", units={"pack": 1})]
    outside = rate_month(records(redirected("06 12 34 56 78")), cx, DEMO_TARIFFS, managed)
    [line] = [l for l in outside.explained[1].lines if l.label.startswith("CX inbound calls redirected")]
    assert (line.amount, line.clause) == (Decimal("3.00"), "CP X §2 (L7434-7435)")
    assert outside.explained[1].total == Decimal("3.00")           # the pack still covers 5 000 min
    inside = rate_month(records(redirected("+33 2 47 00 00 02")), cx, DEMO_TARIFFS, managed)
    assert inside.explained[1].total == Decimal("0.60")            # counted in the pack: 30 min × 0.02 €
