"""Lifecycle events through the CLI, the REST API and the contract page (issue 18 §4), on a
Rozoh pack: CP A art. 2 L224-227, « 120 mois à compter de la date d'activation … ou au plus tard
douze (12) mois à compter de l'expédition du pack »."""

from __future__ import annotations

import html
import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.cli.main import app as cli
from clausier.db.session import transaction
from tests.access import builders
from tests.conftest import csrf_of
from tests.apps import app_for

ACTOR = Actor(name="test@clausier.local")


def _pack(engine, clock) -> str:
    """A pack ordered on 2025-01-06, neither shipped nor activated."""
    with transaction(engine) as session:
        return builders.sold_pack(session, clock, ACTOR, signed_on=date(2025, 1, 6), shipped_on=None).ref


def test_cli_records_shipment_and_activation_and_refuses_bad_input(clean_engine, db_url, clock, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    ref = _pack(clean_engine, clock)
    runner = CliRunner()
    today = ["--today", "2026-11-24"]
    shipped = runner.invoke(cli, ["contract", "ship", ref, "--on", "2025-01-10", "--json", *today])
    assert shipped.exit_code == 0, shipped.output
    body = json.loads(shipped.output)
    # Shipped on 10 January 2025 and not activated: the service starts at the latest on
    # 10 January 2026 and runs 120 months.
    assert body["shipped_on"] == "2025-01-10"
    assert (body["timeline"]["commitment_start"], body["timeline"]["commitment_end"]) == (
        "2026-01-10", "2036-01-09")
    again = runner.invoke(cli, ["contract", "ship", ref, "--on", "2025-01-11", *today])
    assert again.exit_code == 2 and f"shipment: {ref}: already recorded on 2025-01-10" in " ".join(again.output.split())
    early = runner.invoke(cli, ["contract", "deliver", ref, "--on", "2025-01-09", *today])
    assert early.exit_code == 2
    assert "on: delivery on 2025-01-09 is before the shipment recorded on 2025-01-10" in " ".join(early.output.split())
    unknown = runner.invoke(cli, ["contract", "receive", "ROZ-S999999", "--on", "2025-01-12", *today])
    assert unknown.exit_code == 2 and "subscription: ROZ-S999999 not found" in " ".join(unknown.output.split())
    activated = runner.invoke(cli, ["contract", "activate", ref, "--on", "2025-06-02", *today])
    assert activated.exit_code == 0, activated.output
    assert (f"{ref}: activation recorded on 2025-06-02; commitment 2025-06-02 → 2035-06-01"
            in " ".join(activated.output.split()))


@pytest.fixture
def api(clean_engine, clock):
    with transaction(clean_engine) as s:
        user = accounts.create_user(s, clock, ACTOR, email="ops@example.fr", name="Ops", role="admin",
                                    password="a-long-password")
        s.flush()
        _, token = accounts.issue_token(s, clock, ACTOR, user.id, "tests")
    client = TestClient(app_for(clean_engine, clock))
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_api_records_each_event_once_with_problem_json_refusals(api, clean_engine, clock):
    ref = _pack(clean_engine, clock)
    shipped = api.post(f"/api/v1/subscriptions/{ref}/shipment", json={"on": "2025-01-10"})
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["timeline"]["commitment_start"] == "2026-01-10"
    delivered = api.post(f"/api/v1/subscriptions/{ref}/delivery", json={"on": "2025-01-13"})
    assert delivered.json()["delivered_on"] == "2025-01-13"
    early = api.post(f"/api/v1/subscriptions/{ref}/receipt", json={"on": "2025-01-12"})
    assert early.status_code == 422
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["detail"] == "on: receipt on 2025-01-12 is before the delivery recorded on 2025-01-13"
    assert api.post(f"/api/v1/subscriptions/{ref}/delivery", json={"on": "2025-01-14"}).status_code == 409
    assert api.post("/api/v1/subscriptions/ROZ-S999999/receipt", json={"on": "2025-01-14"}).status_code == 404
    assert api.post(f"/api/v1/subscriptions/{ref}/receipt", json={"on": "14/01/2025"}).status_code == 422
    # Activated 13 months after the shipment: too late to move the start (12-month limit).
    activated = api.post(f"/api/v1/subscriptions/{ref}/activation", json={"on": "2026-02-10"})
    assert activated.status_code == 200, activated.text
    assert (activated.json()["go_live_on"], activated.json()["timeline"]["commitment_start"]) == (
        "2026-02-10", "2026-01-10")
    assert api.post(f"/api/v1/subscriptions/{ref}/activation", json={"on": "2026-02-11"}).status_code == 409


def test_contract_page_records_an_event_and_shows_a_refusal(staff_client, clean_engine, clock):
    ref = _pack(clean_engine, clock)
    page = staff_client.get(f"/contracts/{ref}").text
    form = {"event": "shipment", "on": "2025-01-10", "csrf_token": csrf_of(page)}
    recorded = staff_client.post(f"/contracts/{ref}/events", data=form, follow_redirects=False)
    assert recorded.status_code == 303
    assert recorded.headers["location"] == f"/contracts/{ref}?recorded=shipment#lifecycle"
    after = html.unescape(staff_client.get(recorded.headers["location"]).text)
    assert "Expédition" in after and "10/01/2025" in after            # French by default
    assert '<option value="shipment">' not in after                    # recorded once
    refused = staff_client.post(f"/contracts/{ref}/events",
                                data={**form, "event": "activation", "on": "2024-12-31"},
                                follow_redirects=False)
    shown = html.unescape(staff_client.get(refused.headers["location"]).text)
    assert "on: activation on 2024-12-31 is before the order signed on 2025-01-06" in shown
