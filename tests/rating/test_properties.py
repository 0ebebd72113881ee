"""Invariants of the rating engine (Hypothesis)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausier.rating.month.rules import rate_in_slices, rate_month
from clausier.rating.store import EMPTY_AS_NULL
from tests.rating.conftest import DEMO_TARIFFS, T0, plan, records

NUMBERS = st.sampled_from(["0145000000", "0612345678", "0044207946", "0891234567", "3949", "15",
                           "0970000001", "+33 1 45 00 00 01", "0162000000"])
RECORD = st.fixed_dictionaries({
    "called": NUMBERS, "calling": st.sampled_from(["0247000001", "0612345678", "0891234567"]),
    "duration": st.integers(0, 9000), "direction": st.sampled_from(["out", "in"]),
    "type": st.sampled_from(["voice", "sms", "callback"]),
    "origin_country": st.sampled_from(["", "", "ES", "MA"]), "forwarded": st.booleans(),
    "traffic": st.sampled_from(["interpersonal", "automated"]),
    "terminating_operator": st.sampled_from(["FT", "SFR", ""]),
    "start": st.integers(0, 30 * 86400).map(lambda s: T0 + timedelta(seconds=s)),
})
PLANS = [plan("vga", 1, units={"analogue_line": 1}), plan("mobile", 2, identifier="0612345678"),
         plan("cx", 3, units={"pack": 1}), plan("voip", 4), plan("sva", 5, identifier="0891234567")]


def _rate(rows, subscription_id):
    frame = records(rows, subscription_id=subscription_id)
    result = rate_month(frame, [p for p in PLANS if p.subscription_id == subscription_id], DEMO_TARIFFS)
    return result, result.rated.sort("record_id")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(RECORD, min_size=1, max_size=40), subscription_id=st.sampled_from([1, 2, 3, 4, 5]))
def test_rating_the_same_input_twice_gives_identical_output(rows, subscription_id):
    first, first_rated = _rate(rows, subscription_id)
    second, second_rated = _rate(rows, subscription_id)
    assert first_rated.equals(second_rated)
    assert first.explained == second.explained
    assert first.breaches == second.breaches and first.alerts == second.alerts
    # The order of the input does not change the amounts or their explanation.
    reversed_result, _ = _rate(list(reversed(rows)), subscription_id)
    assert reversed_result.explained == first.explained


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(RECORD, min_size=1, max_size=30))
def test_each_price_line_is_its_records_rounded_to_the_cent(rows):
    """No amount is lost or invented between the priced records and the explained lines."""
    result, rated = _rate(rows, 1)
    lines = [l for l in result.explained[1].lines if l.label.split(" — ")[0] in ("Calls", "SMS", "MMS", "Data")]
    exact = Decimal(int(rated["amount_micro"].sum())) / 1_000_000
    assert abs(sum(l.amount for l in lines) - exact) <= Decimal("0.005") * len(lines)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(RECORD, min_size=1, max_size=30), subscription_id=st.sampled_from([1, 2, 3, 4, 5]))
def test_empty_optional_text_stored_as_null_rates_as_empty(rows, subscription_id):
    """The store keeps an empty origin country, terminating operator or forwarding target as
    null (``store.EMPTY_AS_NULL``): the rating is the same as with empty text."""
    plans = [p for p in PLANS if p.subscription_id == subscription_id]
    frame = records(rows, subscription_id=subscription_id)
    as_null = frame.with_columns(pl.col(name).replace("", None) for name in EMPTY_AS_NULL)
    empty = rate_month(frame, plans, DEMO_TARIFFS)
    null = rate_month(as_null, plans, DEMO_TARIFFS)
    assert null.rated.sort("record_id").equals(empty.rated.sort("record_id"))
    assert null.explained == empty.explained
    assert (null.breaches, null.alerts) == (empty.breaches, empty.alerts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(RECORD.flatmap(lambda row: st.sampled_from([1, 2, 3, 4, 5]).map(
           lambda subscription_id: {**row, "subscription_id": subscription_id})),
                     min_size=1, max_size=60),
       slices=st.sampled_from([2, 3, 5]))
def test_a_month_rated_in_slices_of_its_subscriptions_is_rated_the_same(rows, slices):
    """The service rates each bucket in slices of its subscriptions (``RATING_SLICES``), to hold
    less at once: every amount, explanation, breach, alert and priced record is the same."""
    frame = records(rows)
    whole = rate_month(frame, PLANS, DEMO_TARIFFS)
    sliced = rate_in_slices(frame, PLANS, DEMO_TARIFFS, slices=slices)
    assert sliced.rated.sort("record_id").equals(whole.rated.sort("record_id"))
    assert sliced.explained == whole.explained and sliced.detail == whole.detail
    assert sliced.breaches == whole.breaches and sliced.unpriced == whole.unpriced
    assert sorted(sliced.alerts, key=lambda a: (a.subscription_id, a.kind)) == whole.alerts
    assert sliced.payouts.sort(sliced.payouts.columns).equals(whole.payouts.sort(whole.payouts.columns))
