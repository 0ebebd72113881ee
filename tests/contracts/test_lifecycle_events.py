"""Shipment, delivery, receipt and activation recorded through the product (issue 18 §4): each
once, dated, audited and on the contract's timeline; bad input refused naming the field; an
item's journey dates its subscription's; the import format carries them. Real database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from clausier.audit.models import AuditEntry
from clausier.contracts import importing
from clausier.contracts import service as contracts
from clausier.contracts.models import SubscriptionEvent
from clausier.contracts.service import LineInput
from clausier.core.errors import Conflict, InvalidInput, NotFound
from clausier.equipment import service as equipment
from tests import factories
from tests.equipment.test_returns_and_penalties import kind


@pytest.fixture
def fibre(session, clock, actor):
    """An Ozone household's fibre line ordered at a distance on 2026-09-25 (not live yet)."""
    op = factories.operator(session, clock, actor, "ozone")
    factories.offer(session, op, "fibre-1g", "internet_fibre", "44.90")
    kind(session, op, "box_fibre", replacement="120.00")
    customer = factories.customer(session, clock, op, "Famille Roux", kind="household", employees=None)
    [subscription] = factories.subscription(session, clock, actor, customer,
                                            [LineInput(customer.sites[0].id, "fibre-1g")],
                                            signed_on=date(2026, 9, 25), go_live_on=None, channel="distance")
    return subscription


def _timeline(session, subscription) -> list[tuple[str, date]]:
    return [(e.kind, e.on) for e in session.scalars(select(SubscriptionEvent).where(
        SubscriptionEvent.subscription_id == subscription.id).order_by(SubscriptionEvent.id))]


def test_each_event_is_dated_on_the_timeline_and_audited(session, clock, actor, fibre):
    for event, day in (("shipment", date(2026, 9, 28)), ("delivery", date(2026, 10, 1)),
                       ("receipt", date(2026, 10, 1)), ("activation", date(2026, 10, 6))):
        contracts.record_event(session, clock, actor, fibre.ref, event, day)
    assert contracts.lifecycle(fibre) == contracts.rules.Lifecycle(
        date(2026, 9, 25), date(2026, 9, 28), date(2026, 10, 1), date(2026, 10, 1), date(2026, 10, 6))
    assert _timeline(session, fibre) == [("ordered", date(2026, 9, 25)), ("shipped", date(2026, 9, 28)),
                                         ("delivered", date(2026, 10, 1)), ("received", date(2026, 10, 1)),
                                         ("activate", date(2026, 10, 6))]
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == str(fibre.id))))
    assert {"subscription.shipment", "subscription.delivery", "subscription.receipt",
            "subscription.activate"} <= actions
    # CGV art. 4.1 L164: the initial period counts from the first connection.
    assert (fibre.status, fibre.commitment_start) == ("active", date(2026, 10, 6))


@pytest.mark.parametrize(("event", "day", "field", "reason"), [
    ("shipment", date(2026, 9, 24), "on", "shipment on 2026-09-24 is before the order signed on 2026-09-25"),
    ("activation", date(2026, 9, 1), "on", "activation on 2026-09-01 is before the order signed on 2026-09-25"),
    ("delivery", date(2026, 9, 27), "on", "delivery on 2026-09-27 is before the shipment recorded on 2026-09-28"),
    ("shipment", date(2026, 11, 25), "on", "2026-11-25 is in the future: an event is recorded once it happened"),
    ("arrival", date(2026, 10, 1), "event", "'arrival' is not one of shipment, delivery, receipt, activation"),
])
def test_bad_input_is_refused_naming_the_field(session, clock, actor, fibre, event, day, field, reason):
    if event != "shipment":
        contracts.record_event(session, clock, actor, fibre.ref, "shipment", date(2026, 9, 28))
    with pytest.raises(InvalidInput) as refused:
        contracts.record_event(session, clock, actor, fibre.ref, event, day)
    assert [(p.field, p.reason) for p in refused.value.problems] == [(field, reason)]


def test_an_event_is_recorded_once_and_an_unknown_subscription_is_named(session, clock, actor, fibre):
    contracts.record_event(session, clock, actor, fibre.ref, "delivery", date(2026, 10, 1))
    with pytest.raises(Conflict, match=f"delivery: {fibre.ref}: already recorded on 2026-10-01"):
        contracts.record_event(session, clock, actor, fibre.ref, "delivery", date(2026, 10, 2))
    with pytest.raises(NotFound, match="subscription: OZO-S999999 not found"):
        contracts.record_event(session, clock, actor, "OZO-S999999", "delivery", date(2026, 10, 1))
    # Received after a later delivery: the goods cannot be received before they arrive.
    with pytest.raises(InvalidInput, match="receipt on 2026-09-30 is before the delivery recorded on 2026-10-01"):
        contracts.record_event(session, clock, actor, fibre.ref, "receipt", date(2026, 9, 30))


def test_the_first_item_shipped_delivered_received_dates_the_subscription(session, clock, actor, fibre):
    equipment.register_item(session, clock, actor, fibre.operator_id, "box_fibre", "BOX-1")
    equipment.register_item(session, clock, actor, fibre.operator_id, "box_fibre", "BOX-2")
    equipment.ship(session, clock, actor, "BOX-1", fibre.ref, "loaned", date(2026, 9, 28))
    equipment.record_delivery(session, clock, actor, "BOX-1", date(2026, 10, 3))     # a Saturday
    equipment.record_receipt(session, clock, actor, "BOX-1", date(2026, 10, 5))
    assert (fibre.shipped_on, fibre.delivered_on,
            fibre.equipment_received_on) == (
        date(2026, 9, 28), date(2026, 10, 3), date(2026, 10, 5))
    # A second box keeps its own dates; the subscription's are those of the first.
    equipment.ship(session, clock, actor, "BOX-2", fibre.ref, "loaned", date(2026, 10, 8))
    assert fibre.shipped_on == date(2026, 9, 28)
    assert ("shipped", date(2026, 9, 28)) in _timeline(session, fibre)
    # Ozone CGV art. 5 L172-173: 14 days after the Saturday delivery is Saturday 17 October, so
    # the period runs to Monday 19 October (C. consom. L221-19 3°).
    assert contracts.withdrawal_decision(session, fibre.ref, date(2026, 10, 19)).deadline == date(2026, 10, 19)
    with pytest.raises(Conflict, match="receipt: BOX-1: already recorded on 2026-10-05"):
        equipment.record_receipt(session, clock, actor, "BOX-1", date(2026, 10, 6))
    with pytest.raises(InvalidInput, match="on: BOX-2: receipt on 2026-10-07 is before the shipment recorded on 2026-10-08"):
        equipment.record_receipt(session, clock, actor, "BOX-2", date(2026, 10, 7))


def test_the_import_records_the_lifecycle_of_each_order(session, clock, actor, tmp_path):
    from clausier.catalog import service as catalog
    from clausier.terms import service as terms
    terms.load_built_in_sheets(session, clock, actor)
    catalog.load_built_in_catalogs(session, clock, actor)
    good = tmp_path / "good.yaml"
    good.write_text("""customers:
  - external_ref: OLD-1
    operator: ozone
    kind: household
    name: Famille Roux
    sites: [{name: Maison, central: true}]
    orders:
      - external_ref: OLD-ORD-1
        signed_on: 2026-09-25
        channel: distance
        shipped_on: 2026-09-28
        delivered_on: 2026-10-03
        received_on: 2026-10-03
        lines: [{site: Maison, offer: fibre_1g}]
""", encoding="utf-8")
    importing.import_file(session, clock, actor, good)
    [subscription] = contracts.list_subscriptions(session)
    assert contracts.lifecycle(subscription) == contracts.rules.Lifecycle(
        date(2026, 9, 25), date(2026, 9, 28), date(2026, 10, 3), date(2026, 10, 3), None)
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("OLD-1", "OLD-2").replace("OLD-ORD-1", "OLD-ORD-2")
                   .replace("delivered_on: 2026-10-03", "delivered_on: 2026-09-27"), encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        importing.import_file(session, clock, actor, bad)
    [problem] = refused.value.problems
    assert (problem.field, problem.line) == ("orders.delivered_on", 8)
    assert problem.reason == "delivery on 2026-09-27 is before the shipment recorded on 2026-09-28"
