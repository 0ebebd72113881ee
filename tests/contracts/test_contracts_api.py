"""The contract lifecycle over the REST API and the CLI (issue "Contract lifecycle", Interfaces)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clausier.accounts import service as accounts
from clausier.cli.main import app as cli
from clausier.contracts.service import LineInput
from clausier.db.session import transaction
from tests import factories
from tests.apps import app_for


@pytest.fixture
def seeded(engine, clock, actor, session):
    """A Technicophone customer with a SIP trunk live since 2025-01-01, and an API token."""
    with transaction(engine) as s:
        op = factories.operator(s, clock, actor, "technicophone")
        factories.offer(s, op, "sip-10", "sip_trunk", "450.00", unit="trunk")
        customer = factories.customer(s, clock, op)
        [sub] = factories.subscription(s, clock, actor, customer, [LineInput(customer.sites[0].id, "sip-10")],
                                       signed_on=date(2024, 12, 1), go_live_on=date(2025, 1, 1))
        user = accounts.create_user(s, clock, actor, email="sales@example.fr", name="Sales", role="sales",
                                    password="a-long-password")
        s.flush()
        _, token = accounts.issue_token(s, clock, actor, user.id, "tests")
        return {"ref": sub.ref, "token": token, "customer_id": customer.id, "site_id": customer.sites[0].id}


def test_api_quote_termination_has_the_documented_shape(engine, clock, seeded):
    client = TestClient(app_for(engine, clock))
    headers = {"Authorization": f"Bearer {seeded['token']}"}
    response = client.get(f"/api/v1/subscriptions/{seeded['ref']}/quotes/termination",
                          params={"received": "2026-08-10"}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["effective_date"] == "2026-11-10" and body["total"] == "7650.00"   # CGV 8.2, 17 × 450 €
    assert {"label", "amount", "clause"} <= set(body["lines"][0])
    assert client.get(f"/api/v1/subscriptions/{seeded['ref']}", headers=headers).json()["timeline"][
        "commitment_end"] == "2027-12-31"


def test_api_refuses_a_bad_date_with_problem_json(engine, clock, seeded):
    client = TestClient(app_for(engine, clock))
    response = client.get(f"/api/v1/subscriptions/{seeded['ref']}/quotes/termination",
                          params={"received": "10/08/2026"},
                          headers={"Authorization": f"Bearer {seeded['token']}"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "received" in response.json()["detail"]


def test_api_creates_an_order_and_records_a_termination(engine, clock, seeded):
    client = TestClient(app_for(engine, clock))
    headers = {"Authorization": f"Bearer {seeded['token']}"}
    created = client.post("/api/v1/orders", headers=headers, json={
        "customer_id": seeded["customer_id"], "signed_on": "2026-01-05", "channel": "on_premises",
        "lines": [{"site_id": seeded["site_id"], "offer_code": "sip-10"}]})
    assert created.status_code == 201, created.text
    [ref] = created.json()["subscriptions"]
    assert client.post(f"/api/v1/subscriptions/{ref}/activation", headers=headers,
                       json={"on": "2026-02-01"}).json()["status"] == "active"
    recorded = client.post(f"/api/v1/subscriptions/{ref}/termination", headers=headers,
                           json={"received": "2026-03-15"})
    assert recorded.status_code == 200 and recorded.json()["effective_date"] == "2026-06-15"


def test_cli_quote_termination_json(db_url, seeded, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    result = CliRunner().invoke(cli, ["contract", "quote-termination", seeded["ref"], "--received",
                                      "2026-08-10", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["effective_date"], body["total"], body["currency"]) == ("2026-11-10", "7650.00", "EUR")
    assert [line["amount"] for line in body["lines"]] == ["1350.00", "6300.00"]


def test_cli_unknown_contract_is_a_clear_error(db_url, seeded, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    result = CliRunner().invoke(cli, ["contract", "show", "NOPE-1"])
    assert result.exit_code == 2
    assert "subscription: NOPE-1 not found" in result.output


def test_api_quote_gives_each_line_its_message_and_its_text_in_the_language_asked(engine, clock,
                                                                                  seeded):
    """TECHNICOPHONE CP IV §6.2 (seed 001 L3296-3315): leaving before the end of the initial
    period costs the months remaining in it × 100 % of the monthly fees, after a three-month
    notice whose months are billed as usual: 17 months from 2026-08-10 to 2027-12-31, 3 of them
    during the notice, 14 × 450 € as the fee. The API keeps the English texts and gives each its
    message id, parameters and the text in the language of ``Accept-Language`` (French from the
    explain catalogue)."""
    client = TestClient(app_for(engine, clock))
    headers = {"Authorization": f"Bearer {seeded['token']}", "Accept-Language": "fr-FR,fr;q=0.9"}
    body = client.get(f"/api/v1/subscriptions/{seeded['ref']}/quotes/termination",
                      params={"received": "2026-08-10"}, headers=headers).json()
    notice, line = body["lines"]
    assert notice["label_message"]["text"] == \
        "Redevances mensuelles pendant le préavis, facturées sur les factures habituelles"
    assert line["label"] == "Remaining months to the end of the initial period (2027-12-31)"
    assert line["label_message"] == {
        "id": "Remaining months to the end of the initial period ({date})",
        "params": {"date": {"date": "2027-12-31"}},
        "text": "Mois restant à courir jusqu'à la fin de la période initiale (2027-12-31)"}
    assert line["formula_message"]["id"] == "{n} months × {rest}"
    assert line["formula_message"]["params"]["n"] == 14
    assert line["formula_message"]["params"]["rest"]["params"]["fees"] == {"amount": "450.00"}
    assert line["formula_message"]["text"].replace("\u202f", " ").replace("\xa0", " ") == \
        "14 mois × 450,00 € de redevances mensuelles (17 mois à compter du 2026-08-10, " \
        "dont 3 facturés pendant le préavis)"
    english = client.get(f"/api/v1/subscriptions/{seeded['ref']}/quotes/termination",
                         params={"received": "2026-08-10"},
                         headers={"Authorization": headers["Authorization"]}).json()
    assert english["lines"][0]["formula_message"]["text"] == english["lines"][0]["formula"]


def test_api_refusals_carry_stable_codes(engine, clock, seeded):
    """Resuming is allowed from suspended or restricted only (the lifecycle's transitions); an
    unknown status filter is refused rather than read as an empty list."""
    client = TestClient(app_for(engine, clock))
    headers = {"Authorization": f"Bearer {seeded['token']}"}
    refused = client.post(f"/api/v1/subscriptions/{seeded['ref']}/resume", headers=headers,
                          json={"on": "2026-03-02"})
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "subscription_transition_not_allowed"
    listed = client.get("/api/v1/subscriptions", params={"status": "closed"}, headers=headers)
    assert (listed.status_code, listed.json()["code"]) == (422, "subscription_status_unknown")
