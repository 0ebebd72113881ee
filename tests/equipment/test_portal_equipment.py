"""The customer portal's "equipment to return" page, through the web client: a customer's user
sees its own items with their deadline, the penalty and its clause, and where to send them;
another customer's user sees none of them; staff are not on the portal."""

from __future__ import annotations

from datetime import date

import pytest

from clausier.accounts import service as accounts
from clausier.contracts import service as contracts
from clausier.contracts.service import LineInput
from clausier.core.clock import FixedClock
from clausier.db.session import transaction
from clausier.equipment import service as equipment
from tests import factories
from tests.conftest import STAFF_EMAIL, STAFF_PASSWORD, create_user, log_in
from tests.equipment.test_returns_and_penalties import kind

PASSWORD = "correct horse battery"


@pytest.fixture
def household(clean_engine, client, clock, actor):
    """An Ozone household whose fibre line ended on 20 November 2026 (box due back by 5 December)
    and whose CinéTime option ended on 1 November (box due 11 November, penalised on the 12th and
    still owed); a neighbour with a portal user of its own; today is 1 December 2026."""
    with transaction(clean_engine) as s:
        op = factories.operator(s, clock, actor, "ozone")
        factories.offer(s, op, "fibre-1g", "internet_fibre", "29.99", commitment_months=12)
        factories.offer(s, op, "cinetime", "tv", "9.99", commitment_months=1)
        kind(s, op, "box_fibre", replacement="150.00")
        kind(s, op, "tv_box", replacement="95.00")
        cust = factories.customer(s, clock, op, "Famille Martin", kind="household", employees=None)
        fibre, tv = factories.subscription(s, clock, actor, cust, [
            LineInput(factories.site_id(cust), "fibre-1g"), LineInput(factories.site_id(cust), "cinetime")],
            signed_on=date(2026, 1, 5), go_live_on=date(2026, 1, 5))
        for serial, code, sub in (("FBX-1", "box_fibre", fibre), ("VF-9", "tv_box", tv)):
            equipment.register_item(s, clock, actor, op.id, code, serial)
            equipment.ship(s, clock, actor, serial, sub.id, "loaned", date(2026, 1, 5))
        contracts.terminate_now(s, clock, actor, tv.id, date(2026, 11, 1), "option ended")
        equipment.tick(s, clock, actor, date(2026, 11, 1))
        equipment.tick(s, clock, actor, date(2026, 11, 12))
        contracts.terminate_now(s, clock, actor, fibre.id, date(2026, 11, 20), "end")
        equipment.tick(s, clock, actor, date(2026, 11, 20))
        other = factories.customer(s, clock, op, "Voisins", kind="household", employees=None)
        for who, customer_id in (("mine", cust.id), ("theirs", other.id)):
            accounts.create_user(s, clock, actor, email=f"{who}@home.test", name=who, role="customer",
                                 kind="customer", password=PASSWORD, customer_id=customer_id)
    clock.instant = FixedClock.on(date(2026, 12, 1)).instant
    return client


def test_a_customer_user_sees_its_equipment_to_return_with_deadline_penalty_and_clause(household):
    # CGV art. 11.1 (L307): back within 15 days of the effective termination, to OZONE at Poilley,
    # else the annex 2 amount — fibre box 120 € TTC (L1232). CPV CinéTime art. 8 (L1080-1082): the
    # TV box within 10 days, else 80 € TTC and the customer must still return it.
    client = household
    assert log_in(client, "mine@home.test", PASSWORD).status_code == 303
    home = client.get("/portal")
    assert 'href="/portal/equipment"' in home.text and "Équipements à restituer" in home.text
    page = client.get("/portal/equipment")
    assert page.status_code == 200
    fibre_row = page.text[page.text.index("FBX-1"):page.text.index("</tr>", page.text.index("FBX-1"))]
    assert "05/12/2026" in fibre_row and "120,00" in fibre_row and "TTC" in fibre_row
    assert "Annexe 2 (L1232)" in fibre_row and "Poilley" in fibre_row
    assert "devient alors votre propriété" in fibre_row
    tv_row = page.text[page.text.index("VF-9"):page.text.index("</tr>", page.text.index("VF-9"))]
    assert "11/11/2026" in tv_row and "délai dépassé" in tv_row
    assert "Facturé le 12/11/2026" in tv_row and "80,00" in tv_row
    assert "vous devez toujours le restituer" in tv_row
    english = client.get("/portal/equipment?lang=en")
    assert "Equipment to return" in english.text and "and you must still return it" in english.text


def test_another_customers_user_sees_none_of_it_and_staff_are_not_on_the_portal(household, clean_engine,
                                                                                 clock, actor):
    client = household
    assert log_in(client, "theirs@home.test", PASSWORD).status_code == 303
    page = client.get("/portal/equipment")
    assert page.status_code == 200
    assert "FBX-1" not in page.text and "VF-9" not in page.text
    assert "Vous n’avez aucun équipement à restituer." in page.text
    client.cookies.clear()
    create_user(clean_engine, clock, actor)
    assert log_in(client, STAFF_EMAIL, STAFF_PASSWORD).status_code == 303
    assert client.get("/portal/equipment").status_code == 404
