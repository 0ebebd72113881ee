"""Technicophone with its built-in term sheet, a customer with an authorised incident reporter and
another contact, and live services for the support tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.catalog.models import Operator
from clausier.contracts import service as contracts
from clausier.contracts.models import Subscription
from clausier.core.clock import Clock
from clausier.customers.models import Contact, Customer

from tests import factories


@dataclass
class World:
    operator: Operator
    customer: Customer
    reporter: Contact
    stranger: Contact


def build(session: Session, clock: Clock, actor: Actor) -> World:
    operator = factories.operator(session, clock, actor, "technicophone")
    factories.offer(session, operator, "vga-isdn", "vga", "100.00", unit="isdn_access")
    factories.offer(session, operator, "vga-analogue", "vga", "20.00", unit="analogue_line")
    factories.offer(session, operator, "internet-sdsl", "internet", "80.00", unit="access")
    factories.offer(session, operator, "hosting-vm", "hosting", "200.00", unit="vm")
    factories.offer(session, operator, "preselection", "preselection", "15.00", unit="line")
    customer = factories.customer(session, clock, operator, "Imprimerie Durand",
                                  sites=(("Tours", "37"), ("Blois", "41")))
    reporter = Contact(customer_id=customer.id, name="Claire Durand", email="claire@durand.example",
                       phone="0247000000", roles=["incident_reporter"])
    stranger = Contact(customer_id=customer.id, name="Paul Compta", email="paul@durand.example",
                       roles=["billing"])
    session.add_all([reporter, stranger])
    session.flush()
    return World(operator, customer, reporter, stranger)


def service(session: Session, clock: Clock, actor: Actor, world: World, offer_code: str, *,
            option: str = "standard", go_live: date = date(2026, 1, 5), quantity: int = 1) -> Subscription:
    [subscription] = factories.subscription(
        session, clock, actor, world.customer,
        [contracts.LineInput(factories.site_id(world.customer), offer_code, quantity)],
        signed_on=go_live, go_live_on=go_live)
    subscription.service_level_option = option
    session.flush()
    return subscription
