"""Rules that count from lifecycle events recorded through the product, one scenario table per
schedule (tests/contracts/lifecycle/*.yaml): each row names the seed text it applies and says in
one sentence why the dates are expected. Real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from clausier.access.packs.service import open_pack
from clausier.access.periods.service import daily_tick
from clausier.billing.runs import service as billing_runs
from clausier.billing.models import Invoice
from clausier.contracts import service as contracts
from clausier.contracts.models import SubscriptionEvent
from clausier.contracts.service import LineInput
from tests import factories
from tests.access import builders

TABLES = Path(__file__).parent / "lifecycle"


def _rows(name: str, section: str = "scenarios"):
    table = yaml.safe_load((TABLES / name).read_text(encoding="utf-8"))
    return [pytest.param(row, id=row["name"]) for row in table[section]]


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _record(session, clock, actor, subscription, row) -> None:
    """The row's events, recorded as `clausier contract ship | deliver | receive | activate` do."""
    for field, event in (("shipped", "shipment"), ("delivered", "delivery"), ("received", "receipt"),
                         ("connected", "activation"), ("activated", "activation")):
        if row.get(field):
            contracts.record_event(session, clock, actor, subscription.id, event, _day(row[field]))


@pytest.mark.parametrize("row", _rows("rozoh-packs.yaml"))
def test_rozoh_pack_service_period_from_activation_or_shipment(session, clock, actor, row):
    subscription = builders.sold_pack(session, clock, actor, variant=row["variant"],
                                      signed_on=_day(row["signed"]), shipped_on=None)
    pack, _, _ = open_pack(session, clock, actor, subscription.id, kind="school")
    _record(session, clock, actor, subscription, row)
    days = [_day(d) for d in row.get("ticks", [])] or [_day(row["activated"])]
    for day in days:
        contracts.tick(session, clock, actor, day)
        daily_tick(session, clock, actor, day)
    expect = row["expect"]
    assert (pack.service_start, pack.service_end) == (_day(expect["service_start"]),
                                                      _day(expect["service_end"]))
    timeline = contracts.timeline(session, subscription.id, days[-1])
    assert (timeline.commitment_start, timeline.commitment_end) == (pack.service_start, pack.service_end)
    if "started_on_tick" in expect:
        started = session.scalars(select(SubscriptionEvent.on).where(
            SubscriptionEvent.subscription_id == subscription.id,
            SubscriptionEvent.kind == "service_started")).all()
        assert started == [_day(expect["started_on_tick"])]
        assert subscription.status == "ordered" and subscription.go_live_on is None


@pytest.fixture
def ozone_household(session, clock, actor):
    op = factories.operator(session, clock, actor, "ozone")
    factories.offer(session, op, "pack-fibre", "pack", "39.99")
    customer = factories.customer(session, clock, op, "Famille Roux", kind="household", employees=None)
    customer.billing_address = "3 rue Colbert, 37000 Tours"

    def subscribe(signed_on: date):
        [subscription] = factories.subscription(
            session, clock, actor, customer, [LineInput(customer.sites[0].id, "pack-fibre")],
            signed_on=signed_on, go_live_on=None, channel="distance")
        return subscription
    return subscribe


@pytest.mark.parametrize("row", _rows("ozone-goods.yaml", "withdrawal"))
def test_ozone_withdrawal_of_goods_runs_from_their_delivery(session, clock, actor, ozone_household, row):
    subscription = ozone_household(_day(row["signed"]))
    _record(session, clock, actor, subscription, row)
    for requested, allowed in row["requests"].items():
        decision = contracts.withdrawal_decision(session, subscription.ref, _day(requested))
        assert (decision.allowed, decision.deadline) == (allowed, _day(row["deadline"])), requested
        assert "CGV art. 5" in decision.clause
        if row.get("delivered"):
            assert "L172-173" in decision.clause


@pytest.mark.parametrize("row", _rows("ozone-goods.yaml", "billing"))
def test_ozone_first_invoice_at_the_latest_30_days_after_the_equipment_is_received(
        session, clock, actor, ozone_household, row):
    subscription = ozone_household(_day(row["signed"]))
    _record(session, clock, actor, subscription, row)
    for month, billed in row["billed"].items():
        billing_runs.bill_period(session, clock, actor, month, "ozone")
        labels = [line.label for invoice in session.scalars(select(Invoice).where(
            Invoice.customer_id == subscription.customer_id)) for line in invoice.lines]
        assert any(f"— {month}" in label for label in labels) is billed, (month, labels)
