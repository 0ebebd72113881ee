"""The customer page gathers what every room holds of the customer (contracts, invoices,
payments, tickets, equipment) and records a signed order typed in by staff."""

from __future__ import annotations

from sqlalchemy import select

from clausier.billing.models import Invoice
from clausier.catalog import service as catalog
from clausier.contracts import service as contracts
from clausier.customers.models import Customer
from clausier.db.session import transaction
from tests.conftest import csrf_of, log_in
from tests.security.world import browser, world, world_app  # noqa: F401

ADMIN = ("admin@clausier.local", "clausier-admin")          # demo/service.py DEMO_USERS


def test_the_customer_page_shows_each_rooms_records_and_takes_an_order(world, engine, browser):
    """The order typed in goes through the contracts room as the API's does: accepted at once,
    one subscription per site and service family, waiting for its go-live ("ordered")."""
    with transaction(engine) as s:
        customer = s.get(Customer, world.customer_a)
        site = customer.sites[0]
        refs = [sub.ref for sub in contracts.list_subscriptions(s, customer.id)]
        numbers = [i.number for i in s.scalars(select(Invoice).where(
            Invoice.customer_id == customer.id, Invoice.number.is_not(None)))][:3]
        offer = next(o for o in catalog.list_offers(s, "technicophone") if o.kind == "service")
        other_refs = [sub.ref for sub in contracts.list_subscriptions(s, world.customer_b)]
    assert log_in(browser, *ADMIN).status_code == 303
    page = browser.get(f"/customers/{world.customer_a}")
    assert page.status_code == 200
    for title in ("Contrats", "Factures", "Paiements", "Tickets", "Équipements"):
        assert f">{title}</h2>" in page.text, title
    assert refs and all(ref in page.text for ref in refs)
    assert numbers and all(number in page.text for number in numbers)
    assert not any(ref in page.text for ref in other_refs)

    token = csrf_of(page.text)
    refused = browser.post(f"/customers/{world.customer_a}/orders", data={
        "csrf_token": token, "signed_on": "2026-11-24", "channel": "distance",
        "site_id": [str(site.id)], "offer_code": ["no-such-offer"], "quantity": ["1"]})
    assert refused.status_code == 200 and "no-such-offer" in refused.text
    placed = browser.post(f"/customers/{world.customer_a}/orders", data={
        "csrf_token": token, "signed_on": "2026-11-24", "channel": "distance",
        "site_id": [str(site.id), str(site.id)], "offer_code": [offer.code, ""],
        "quantity": ["2", "1"]}, follow_redirects=False)
    assert placed.status_code == 303 and "created=1" in placed.headers["location"]
    with transaction(engine) as s:
        new = [sub for sub in contracts.list_subscriptions(s, world.customer_a)
               if sub.ref not in refs]
        assert [(sub.family, sub.site_id, sub.status) for sub in new] == [
            (offer.family, site.id, "ordered")]
        assert sum(item.quantity for item in new[0].items if not item.is_option) == 2
    assert new[0].ref in browser.get(f"/customers/{world.customer_a}").text
