"""A small operator for the support tests: a term sheet whose service levels are the seed's
(``tests.support.levels``), a customer with an authorised incident reporter, and live services."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.catalog.models import Operator
from clausier.contracts import service as contracts
from clausier.contracts.models import Subscription
from clausier.core.clock import Clock
from clausier.customers.models import Contact, Customer
from clausier.terms import service as terms

from tests import factories
from tests.support import levels

SHEET_ID = "testphone"


def _levels(block) -> dict:
    return block.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


def sheet_document() -> dict:
    family = {"commitment": {"initial_months": {"value": 36, "src": "CGV art. 7 L190-194"}}}
    return {
        "id": SHEET_ID, "version": 1, "valid_from": "2020-01-01",
        "title": "Test operator with the Technicophone service levels",
        "operator": {"name": "TESTPHONE"}, "source": {"seed": "001_742b69a7556570e9.txt"},
        "customer_kind": "business", "price_basis": "HT",
        "families": {
            "vga": {"title": "VGA", "src": "CP I L917-1038", **family,
                    "service_levels": _levels(levels.vga())},
            "internet": {"title": "Internet", "src": "CP III L2125-2172", **family,
                         "service_levels": _levels(levels.internet())},
            "hosting": {"title": "Hosting", "src": "CP XI L8153-8162", **family,
                        "service_levels": _levels(levels.internet(probation_months=3))},
            "preselection": {"title": "Présélection", "src": "CP II L1967-1983", **family,
                             "service_levels": _levels(levels.preselection())},
        },
    }


@dataclass
class World:
    operator: Operator
    customer: Customer
    reporter: Contact
    stranger: Contact


def build(session: Session, clock: Clock, actor: Actor, tmp_path: Path) -> World:
    path = tmp_path / "testphone.yaml"
    path.write_text(json.dumps(sheet_document()), encoding="utf-8")
    terms.load_sheet_file(session, clock, actor, path)
    operator = Operator(code=SHEET_ID, name="TESTPHONE", sheet_id=SHEET_ID, customer_kind="business",
                        price_basis="HT", invoice_prefix="TST")
    session.add(operator)
    session.flush()
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
