"""Demo subscriptions: each demo customer's offers ordered, accepted and live (idempotent)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.billing.demo import first_demo_period
from clausier.catalog import facts as catalog_facts
from clausier.contracts import service
from clausier.contracts.models import Order
from clausier.core.clock import Clock
from clausier.customers import service as customers
from clausier.demo.service import demo_customer_entries

FIRST_SIGNATURE = date(2024, 3, 4)


def load_demo(session: Session, clock: Clock, actor: Actor) -> str:
    # Before the demo's first bill run, the operators' old system billed (billing.demo).
    migrated_until = first_demo_period(clock.today()) - timedelta(days=1)
    orders = subscriptions = 0
    for operator, entries in demo_customer_entries().items():
        for index, entry in enumerate(entries):
            customer = customers.get_customer_by_ref(session, entry["ref"], operator)
            external_ref = f"DEMO-{entry['ref']}"
            if session.scalar(select(Order).where(Order.external_ref == external_ref)):
                continue
            site = next((s for s in customer.sites if s.is_central), customer.sites[0])
            wanted = entry.get("offers", [])
            offers = catalog_facts.offers_by_code(session, customer.operator_id, wanted)
            codes = [code for code in wanted
                     if code in offers and offers[code].kind != "extension"]
            if not codes:
                continue
            signed = FIRST_SIGNATURE + timedelta(days=37 * index)
            order = service.create_order(session, clock, actor, service.OrderInput(
                customer_id=customer.id, signed_on=signed, channel="on_premises",
                lines=[service.LineInput(site.id, code) for code in codes], external_ref=external_ref))
            session.flush()
            created = service.accept_order(session, clock, actor, order.id)
            orders += 1
            subscriptions += len(created)
            for subscription in created:
                if signed <= migrated_until:
                    service.record_billed_until(session, clock, actor, subscription.id, migrated_until)
                if subscription.family.endswith("_pack"):
                    shipped = signed + timedelta(days=7)
                    if shipped > clock.today():
                        continue
                    service.record_event(session, clock, actor, subscription.id, "shipment", shipped)
                    if index % 4 == 3:
                        continue            # one pack in four never activated: starts 12 months after shipment
                go_live = signed + timedelta(days=21)
                if operator == "ozone" and go_live <= clock.today():
                    # The box shipped, delivered and received before the first connection.
                    for event, days in (("shipment", 3), ("delivery", 6), ("receipt", 6)):
                        service.record_event(session, clock, actor, subscription.id, event,
                                             signed + timedelta(days=days), source="demo")
                if go_live <= clock.today():
                    service.activate(session, clock, actor, subscription.id, go_live,
                                     f"DEMO{subscription.id:06d}")
    return f"{orders} orders, {subscriptions} subscriptions"
