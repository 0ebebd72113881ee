"""The equipment item page and API: an item shipped, delivered and received from its page, each
step dating its subscription's (issue 18 §4); Ozone CGV art. 5 L172-173 and art. 9.1 L258 count
from those dates."""

from __future__ import annotations

import html
from datetime import date

from fastapi.testclient import TestClient

from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.contracts import service as contracts
from clausier.contracts.service import LineInput
from clausier.db.session import transaction
from clausier.equipment import service as equipment
from tests import factories
from tests.conftest import csrf_of
from tests.equipment.test_returns_and_penalties import kind
from tests.apps import app_for

ACTOR = Actor(name="test@clausier.local")


def _fibre_and_box(engine, clock, serial: str) -> str:
    """An Ozone household's fibre line signed on 2026-09-25, and a fibre box in stock."""
    with transaction(engine) as session:
        op = factories.operator(session, clock, ACTOR, "ozone")
        factories.offer(session, op, "fibre-1g", "internet_fibre", "44.90")
        kind(session, op, "box_fibre", replacement="120.00")
        customer = factories.customer(session, clock, op, "Famille Roux", kind="household", employees=None)
        [subscription] = factories.subscription(
            session, clock, ACTOR, customer, [LineInput(customer.sites[0].id, "fibre-1g")],
            signed_on=date(2026, 9, 25), go_live_on=None, channel="distance")
        equipment.register_item(session, clock, ACTOR, op.id, "box_fibre", serial)
        return subscription.ref


def test_item_page_ships_delivers_and_receives_dating_the_subscription(staff_client, clean_engine, clock):
    ref = _fibre_and_box(clean_engine, clock, "BOX-9")
    page = staff_client.get("/equipment/item/BOX-9").text
    token = csrf_of(page)
    shipped = staff_client.post("/equipment/item/BOX-9/shipment", follow_redirects=False, data={
        "subscription": ref, "provision_mode": "loaned", "on": "2026-09-28", "csrf_token": token})
    assert shipped.headers["location"] == "/equipment/item/BOX-9?recorded=shipment#journey"
    staff_client.post("/equipment/item/BOX-9/delivery", data={"on": "2026-10-03", "csrf_token": token})
    refused = staff_client.post("/equipment/item/BOX-9/receipt", follow_redirects=False,
                                data={"on": "2026-10-02", "csrf_token": token})
    shown = html.unescape(staff_client.get(refused.headers["location"]).text)
    assert "on: BOX-9: receipt on 2026-10-02 is before the delivery recorded on 2026-10-03" in shown
    staff_client.post("/equipment/item/BOX-9/receipt", data={"on": "2026-10-05", "csrf_token": token})
    after = html.unescape(staff_client.get("/equipment/item/BOX-9").text)
    assert "Acheminement jusqu'au client" in after and "05/10/2026" in after
    with transaction(clean_engine) as session:
        subscription = contracts.get_subscription(session, ref)
        assert (
            subscription.shipped_on, subscription.delivered_on, subscription.equipment_received_on) == (
            date(2026, 9, 28), date(2026, 10, 3), date(2026, 10, 5))
        # Delivered on Saturday 3 October: 14 days later is Saturday 17 October, so the
        # consumer may withdraw until Monday 19 October (C. consom. L221-19 3°).
        assert contracts.withdrawal_decision(session, ref, date(2026, 10, 20)).deadline == date(2026, 10, 19)
    contract_page = html.unescape(staff_client.get(f"/contracts/{ref}").text)
    assert "Livraison" in contract_page and "03/10/2026" in contract_page


def test_equipment_api_records_delivery_and_receipt(clean_engine, clock):
    ref = _fibre_and_box(clean_engine, clock, "BOX-10")
    with transaction(clean_engine) as s:
        user = accounts.create_user(s, clock, ACTOR, email="ops@example.fr", name="Ops", role="admin",
                                    password="a-long-password")
        s.flush()
        _, token = accounts.issue_token(s, clock, ACTOR, user.id, "tests")
    api = TestClient(app_for(clean_engine, clock))
    api.headers["Authorization"] = f"Bearer {token}"
    shipped = api.post("/api/v1/equipment/BOX-10/shipment", json={
        "subscription": ref, "provision_mode": "loaned", "on": "2026-09-28"})
    assert shipped.status_code == 200, shipped.text
    received = api.post("/api/v1/equipment/BOX-10/receipt", json={"on": "2026-10-02"})
    assert received.json()["received_on"] == "2026-10-02"
    assert api.post("/api/v1/equipment/BOX-10/receipt", json={"on": "2026-10-03"}).status_code == 409
    late = api.post("/api/v1/equipment/BOX-10/delivery", json={"on": "2026-10-04"})
    assert late.status_code == 422
    assert late.json()["detail"] == "on: BOX-10: delivery on 2026-10-04 is after the receipt recorded on 2026-10-02"
    subscription = api.get(f"/api/v1/subscriptions/{ref}").json()
    assert (subscription["shipped_on"], subscription["equipment_received_on"]) == ("2026-09-28", "2026-10-02")


def test_customer_page_names_each_item_by_its_catalogue_kind(staff_client, clean_engine, clock):
    """The customer page's equipment section reads the kind's name from the catalogue
    (``catalog.facts.equipment_kinds``), equipment keeping only the kind's id."""
    ref = _fibre_and_box(clean_engine, clock, "BOX-12")
    with transaction(clean_engine) as session:
        equipment.ship(session, clock, ACTOR, "BOX-12", ref, "loaned", date(2026, 9, 28))
        customer_id = contracts.get_subscription(session, ref).customer_id
    page = html.unescape(staff_client.get(f"/customers/{customer_id}").text)
    section = page[page.index('id="equipment"'):]
    assert '<th scope="row">box fibre</th><td>BOX-12</td>' in section
