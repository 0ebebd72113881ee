"""The API edge on the demo world (issue 17, §3, §4, §7): amounts, dates, text and pages are
checked before they reach a service, the same way on SQLite and PostgreSQL; refusals are 422
problem+json naming the field, a deletion that would break other rows is a 409 saying what uses
the row, and nothing stored is lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.billing.models import Invoice
from clausier.catalog.models import Offer
from clausier.contracts.models import Subscription
from clausier.core.clock import FixedClock
from clausier.customers.models import Contact, Customer, Site
from clausier.db.session import transaction
from clausier.payments.models import Payment
from clausier.support.models import Ticket
from tests.security.world import TODAY, world, world_app  # noqa: F401

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def staff(engine, world, world_app) -> Iterator[TestClient]:
    """An admin's API client; server errors come back as 500 answers, not as exceptions."""
    clock = FixedClock.on(TODAY)
    with transaction(engine) as s:
        user = accounts.create_user(s, clock, Actor.system("test"), email="edge@test.example",
                                    name="Edge", role="admin", password="edge-password-123")
        s.flush()
        token = accounts.issue_token(s, clock, Actor.system("test"), user.id, "edge")[1]
    with TestClient(world_app, raise_server_exceptions=False,
                    headers={"authorization": f"Bearer {token}"}) as client:
        yield client


def _refused(response, field: str, status: int = 422) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert field in [e["field"] for e in body.get("errors", [])] or body["detail"].startswith(
        f"{field}:"), body
    return body


def _count(engine, model, *where) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _customer_ref(engine, customer_id: int) -> str:
    with transaction(engine) as s:
        return s.get(Customer, customer_id).ref


# --------------------------------------------------------------------------- §3 money and dates


@pytest.mark.parametrize("amount", ["99999999999999999999999.99", "1e400", 1e30, "NaN",
                                    "100000000.01", "12.345", "0", "-5"])
def test_a_payment_amount_beyond_its_bounds_is_refused_naming_the_field(staff, engine, world,
                                                                         amount):
    before = _count(engine, Payment)
    response = staff.post("/api/v1/payments", json={
        "customer": _customer_ref(engine, world.customer_a), "amount": amount,
        "received_on": "2026-11-20"})
    _refused(response, "amount")
    assert _count(engine, Payment) == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1969-12-31", "2100-01-01"])
def test_a_payment_dated_out_of_a_plausible_window_is_refused(staff, engine, world, day):
    response = staff.post("/api/v1/payments", json={
        "customer": _customer_ref(engine, world.customer_a), "amount": "10.00",
        "received_on": day})
    body = _refused(response, "received_on")
    assert "between 1970-01-01 and 2099-12-31" in body["detail"]


def test_the_same_bank_reference_posted_again_returns_the_first_payment(staff, engine, world):
    payment = {"customer": _customer_ref(engine, world.customer_a), "amount": "12.34",
               "received_on": "2026-11-20", "reference": "VIR-2026-11-20-000123"}
    first = staff.post("/api/v1/payments", json=payment)
    again = staff.post("/api/v1/payments", json=payment)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _count(engine, Payment, Payment.reference == "VIR-2026-11-20-000123") == 1

    other_amount = staff.post("/api/v1/payments", json={**payment, "amount": "99.00"})
    body = _refused(other_amount, "reference", status=409)
    assert body["detail"].startswith(f"reference: already used by payment {first.json()['id']}")


def test_a_request_retried_with_its_idempotency_key_returns_the_first_payment(staff, engine,
                                                                             world):
    payment = {"customer": _customer_ref(engine, world.customer_b), "amount": "7.50",
               "method": "card", "received_on": "2026-11-21"}
    key = {"idempotency-key": "5b0f6d9e-retry-1"}
    before = _count(engine, Payment)
    first = staff.post("/api/v1/payments", json=payment, headers=key)
    again = staff.post("/api/v1/payments", json=payment, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _count(engine, Payment) == before + 1
    # Without the key, the same card payment is a second one (no bank reference to tell).
    assert staff.post("/api/v1/payments", json=payment).status_code == 201
    _refused(staff.post("/api/v1/payments", json={**payment, "amount": "8.00"}, headers=key),
             "Idempotency-Key", status=409)


# --------------------------------------------------------------------------- §4 server errors


def test_a_credit_note_with_an_unknown_vat_rate_is_refused_naming_it(staff, engine):
    with transaction(engine) as s:
        number = s.scalar(select(Invoice.number).where(Invoice.kind == "invoice",
                                                       Invoice.status == "issued").limit(1))
    response = staff.post(f"/api/v1/invoices/{number}/credit-notes",
                          json={"reason": "goodwill", "amount": "1.00", "vat_rate": "x"})
    body = _refused(response, "vat_rate")
    # CGI art. 278 ff.: the French rates are the only codes known.
    assert ("'x' is not one of normal, intermediate, reduced, super_reduced, exempt"
            in body["detail"])


def test_a_termination_quote_for_a_letter_received_in_9999_is_refused(staff, engine):
    with transaction(engine) as s:
        ref = s.scalar(select(Subscription.ref).where(Subscription.status == "active").limit(1))
    response = staff.get(f"/api/v1/subscriptions/{ref}/quotes/termination",
                         params={"received": "9999-12-31"})
    _refused(response, "query.received")


def test_a_lone_surrogate_in_a_text_field_is_refused(staff, engine):
    before = _count(engine, Customer)
    # Sent as JSON text: "\ud800" escapes half of a UTF-16 pair, which no database stores.
    body = ('{"operator": "technicophone", "kind": "company", "name": "Acme", '
            '"notes": "half a pair: \\ud800"}')
    response = staff.post("/api/v1/customers", content=body,
                          headers={"content-type": "application/json"})
    _refused(response, "notes")
    assert _count(engine, Customer) == before


def test_a_contact_still_reporting_a_ticket_is_not_deleted(staff, engine, world):
    with transaction(engine) as s:
        reporter = next(c.id for c in s.scalars(select(Contact).where(
            Contact.customer_id == world.customer_a).order_by(Contact.id))
            if "incident_reporter" in (c.roles or []))
        subscription = s.scalar(select(Subscription.ref).where(
            Subscription.customer_id == world.customer_a, Subscription.status == "active")
            .order_by(Subscription.id).limit(1))
        reported = s.scalar(select(func.count()).select_from(Ticket)
                            .where(Ticket.reporter_contact_id == reporter))
    ticket = staff.post("/api/v1/tickets", json={
        "subscription": subscription, "reporter_contact_id": reporter,
        "description": "no dial tone"})
    assert ticket.status_code == 201, ticket.text
    response = staff.delete(f"/api/v1/contacts/{reporter}")
    body = _refused(response, "contact_id", status=409)
    # The demo's own tickets may name the reporter already: this one adds one to them.
    assert body["detail"] == (f"contact_id: contact {reporter} is still used by tickets "
                              f"({reported + 1})")
    assert _count(engine, Contact, Contact.id == reporter) == 1


def test_a_site_still_holding_subscriptions_is_not_deleted(staff, engine):
    with transaction(engine) as s:
        only_sites = (select(Site.customer_id).group_by(Site.customer_id)
                      .having(func.count() == 1))
        site_id, subscriptions = s.execute(
            select(Subscription.site_id, func.count()).join(Site, Site.id == Subscription.site_id)
            .where(Site.customer_id.in_(only_sites)).group_by(Subscription.site_id)
            .order_by(Subscription.site_id).limit(1)).one()
    response = staff.delete(f"/api/v1/sites/{site_id}")
    body = _refused(response, "site_id", status=409)
    assert f"subscriptions ({subscriptions})" in body["detail"]
    assert _count(engine, Site, Site.id == site_id) == 1


def test_null_is_refused_for_a_field_that_cannot_be_empty(staff, engine):
    with transaction(engine) as s:
        offer = s.scalars(select(Offer).limit(1)).one()
        offer_id, fee = offer.id, offer.monthly_fee
        site_id = s.scalar(select(Site.id).limit(1))
    _refused(staff.patch(f"/api/v1/offers/{offer_id}", json={"monthly_fee": None}), "monthly_fee")
    _refused(staff.patch(f"/api/v1/sites/{site_id}", json={"is_central": None}), "is_central")
    with transaction(engine) as s:
        assert s.get(Offer, offer_id).monthly_fee == fee


# --------------------------------------------------------------------------- §7 one behaviour


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/api/v1/invoices", {"limit": -1}, "query.limit"),
    ("/api/v1/invoices", {"offset": -1}, "query.offset"),
    ("/api/v1/invoices", {"limit": 1001}, "query.limit"),
    ("/api/v1/subscriptions", {"limit": 0}, "query.limit"),
    ("/api/v1/numbers", {"offset": 10**12}, "query.offset"),
    ("/api/v1/equipment", {"limit": -1}, "query.limit"),
    ("/api/v1/customers", {"per_page": -1}, "query.per_page"),
    ("/api/v1/customers", {"page": 0}, "query.page"),
])
def test_pages_out_of_bounds_are_refused_alike_on_every_list(staff, path, params, field):
    _refused(staff.get(path, params=params), field)


def test_the_access_records_page_is_bounded_like_the_others(world_app, world):
    if world.sites is None:
        pytest.skip("the access room's demo sites are not built")
    with TestClient(world_app, raise_server_exceptions=False, headers={
            "authorization": f"Bearer {world.sites.tokens['admin']}"}) as admin:
        records = f"/api/v1/access/sites/{world.sites.site_a}/records"
        _refused(admin.get(records, params={"limit": -1}), "query.limit")
        _refused(admin.get(records, params={"offset": -1}), "query.offset")
        assert len(admin.get(records, params={"limit": 1}).json()) == 1


def test_a_megabyte_of_text_is_refused_on_both_databases(staff, engine):
    before = _count(engine, Customer)
    response = staff.post("/api/v1/customers", json={
        "operator": "technicophone", "kind": "company", "name": "Acme", "notes": "x" * 2**20})
    body = _refused(response, "notes")
    assert "at most 10000 characters" in body["detail"]
    assert _count(engine, Customer) == before


def test_a_text_longer_than_its_column_is_refused_on_both_databases(staff, engine, world):
    """``customers.name`` is VARCHAR(200): SQLite stored 201 characters, PostgreSQL refused."""
    with transaction(engine) as s:
        name = s.get(Customer, world.customer_b).name
    response = staff.patch(f"/api/v1/customers/{world.customer_b}", json={"name": "A" * 201})
    body = _refused(response, "name")
    assert body["detail"] == "name: at most 200 characters (got 201)"
    with transaction(engine) as s:
        assert s.get(Customer, world.customer_b).name == name


@pytest.mark.parametrize("path", ["/api/v1/invoices/\u00b9", "/api/v1/subscriptions/\u00b2",
                                  "/api/v1/payments?customer=\u00b3"])
def test_a_superscript_digit_is_not_taken_for_an_id(staff, path):
    """``"¹".isdigit()`` is true but ``int("¹")`` fails: ids are read from decimal digits."""
    response = staff.get(path)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == PROBLEM
