"""The equipment and numbers rooms through their doors: REST API, pages and CLI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from clausier.accounts import service as accounts
from clausier.cli.main import app as cli
from clausier.contracts import service as contracts
from clausier.contracts.service import LineInput
from clausier.core.clock import FixedClock
from clausier.db.session import transaction
from clausier.equipment import service as equipment
from clausier.numbers import rules
from tests import factories
from tests.equipment.test_returns_and_penalties import kind


@pytest.fixture
def world(clean_engine, client, clock, actor, monkeypatch):
    """Committed data the app sees: an Ozone household with a fibre line, its box terminated and
    due back, a mobile line; the test browser with a staff API token, on 1 December 2026."""
    monkeypatch.setenv("CLAUSIER_SECRET_KEY", "test-secret")
    with transaction(clean_engine) as s:
        op = factories.operator(s, clock, actor, "ozone")
        factories.offer(s, op, "fibre-1g", "internet_fibre", "29.99", commitment_months=12)
        factories.offer(s, op, "mobile-24", "mobile", "19.99", unit="line", commitment_months=24)
        kind(s, op, "box_fibre", replacement="150.00")
        cust = factories.customer(s, clock, op, "Famille Martin", kind="household", employees=None)
        fibre, mobile = factories.subscription(s, clock, actor, cust, [
            LineInput(factories.site_id(cust), "fibre-1g"), LineInput(factories.site_id(cust), "mobile-24")],
            signed_on=date(2026, 1, 5), go_live_on=date(2026, 1, 5))
        equipment.register_item(s, clock, actor, op.id, "box_fibre", "FBX-1")
        equipment.ship(s, clock, actor, "FBX-1", fibre.id, "loaned", date(2026, 1, 5))
        contracts.terminate_now(s, clock, actor, fibre.id, date(2026, 11, 20), "end")
        equipment.tick(s, clock, actor, date(2026, 11, 20))          # due 2026-12-05
        user = accounts.create_user(s, clock, actor, email="ops@ozone.test", name="Ops", role="admin",
                                    password="correct horse battery")
        s.flush()
        _, token = accounts.issue_token(s, clock, actor, user.id, "tests")
        mobile_ref, operator_id = mobile.ref, op.id
        other = factories.customer(s, clock, op, "Voisins", kind="household", employees=None)
        tokens = {}
        for who, customer_id in (("mine", cust.id), ("theirs", other.id)):
            portal = accounts.create_user(s, clock, actor, email=f"{who}@home.test", name=who, role="customer",
                                          kind="customer", password="correct horse battery",
                                          customer_id=customer_id)
            s.flush()
            tokens[who] = accounts.issue_token(s, clock, actor, portal.id, "portal")[1]
    clock.instant = FixedClock.on(date(2026, 12, 1)).instant
    client.headers["authorization"] = f"Bearer {token}"
    return client, mobile_ref, operator_id, tokens


def test_api_returns_due_this_week_show_the_penalty_about_to_be_billed(world):
    client, _, _, _ = world
    [row] = client.get("/api/v1/equipment/returns/due").json()
    assert row["serial"] == "FBX-1" and row["return_due_on"] == "2026-12-05"
    assert row["penalty"]["total"] == "120.00" and row["basis"] == "TTC"     # annexe 2 L1232
    page = client.get("/equipment/returns", headers={"accept": "text/html"})
    assert page.status_code == 200 and "FBX-1" in page.text and "Annexe 2 (L1232)" in page.text
    row = page.text[page.text.index("FBX-1"):page.text.index("</tr>", page.text.index("FBX-1"))]
    assert "Famille Martin" in row and "120,00" in row and "la propriété passe au client" in row
    assert "FBX-1" not in client.get("/equipment/returns?on=2026-12-08").text    # the next week
    inventory = client.get("/equipment?state=installed")
    assert inventory.status_code == 200 and "FBX-1" not in inventory.text        # shipped, not installed
    assert "FBX-1" in client.get("/equipment?state=shipped").text


def test_portal_shows_a_customer_only_its_own_equipment_to_return(world):
    client, _, _, tokens = world
    mine = client.get("/api/v1/equipment/returns/due",
                      headers={"authorization": f"Bearer {tokens['mine']}"}).json()
    theirs = client.get("/api/v1/equipment/returns/due",
                        headers={"authorization": f"Bearer {tokens['theirs']}"}).json()
    assert [(r["serial"], r["return_due_on"]) for r in mine] == [("FBX-1", "2026-12-05")]
    assert theirs == []


# The returns as the API gives them (equipment.shapes.return_dict): the item, then its obligation.
ITEM_KEYS = ["id", "serial", "kind", "kind_name", "state", "provision_mode", "owner", "customer_id",
             "subscription_id", "site_id", "replacement_value", "sale_price", "monthly_rent",
             "price_basis", "shipped_on", "delivered_on", "received_on", "paid_in_full_on",
             "ownership_passed_on", "return_reason", "return_due_on", "return_to",
             "overdue_action", "returned_on", "return_condition", "sim"]
OBLIGATION_KEYS = ["penalty", "on_overdue", "clause", "basis", "ownership_passes",
                   "still_to_return", "penalty_billed_on"]


def test_api_returns_due_keep_their_keys_for_staff_and_for_the_customer(world):
    client, _, _, tokens = world
    [row] = client.get("/api/v1/equipment/returns/due").json()
    assert list(row) == ITEM_KEYS + OBLIGATION_KEYS
    assert (row["kind"], row["on_overdue"], row["clause"]) == ("box_fibre", "invoice", "Annexe 2 (L1232)")
    [mine] = client.get("/api/v1/equipment/returns/due",
                        headers={"authorization": f"Bearer {tokens['mine']}"}).json()
    assert list(mine) == ITEM_KEYS + OBLIGATION_KEYS + ["send_to"]
    assert list(mine["send_to"]) == ["to", "name", "address"] and mine["send_to"]["to"] == "operator"


def test_api_port_in_refusal_and_port_out_quote(world):
    client, mobile_ref, operator_id, _ = world
    refused = client.post("/api/v1/ports/in", json={
        "subscription": mobile_ref, "number": "0611223344", "rio": "01PQW12ERAAA",
        "mandate_signed_on": "2026-11-30", "requested_on": "2026-12-01"}).json()
    assert refused["status"] == "refused" and refused["refusal_reasons"][0]["reason"] == "incomplete_or_no_rio"
    client.post("/api/v1/numbers", json={"operator_id": operator_id, "numbers": ["0655443322"], "kind": "mobile"})
    assert client.post("/api/v1/numbers/0655443322/assignment",
                       json={"subscription": mobile_ref, "on": "2026-01-05"}).status_code == 200
    out = client.post("/api/v1/ports/out", json={"number": "0655443322", "received_on": "2026-12-01"}).json()
    assert out["direction"] == "out" and Decimal(out["quote"]["total"]) > 0
    assert out["quote"]["effective_date"] == "2026-12-11"
    page = client.get("/ports", headers={"accept": "text/html"})
    assert "0655443322" in page.text and "0611223344" in page.text and "Famille Martin" in page.text
    refused_row = page.text[page.text.index("0611223344"):page.text.index("</tr>", page.text.index("0611223344"))]
    assert "wrong control key" in refused_row             # CPV mobile art. 6.2 (L879-884)
    out_row = page.text[page.text.index("0655443322"):page.text.index("</tr>", page.text.index("0655443322"))]
    assert "59,97" in out_row and "OZ-CHATEL" in out_row     # the exit quote and its clause


def test_api_sda_of_15_is_a_problem_json(world):
    client, mobile_ref, _, _ = world
    response = client.post("/api/v1/numbers/sda", json={"subscription": mobile_ref, "first": "0233000000",
                                                        "count": 15, "on": "2026-12-01"})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"


def test_cli_port_in_over_the_holiday(world, db_url, monkeypatch):
    _, mobile_ref, _, _ = world
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    rio = rules.make_rio("02", "P", "ABC123", "0677889900")
    result = CliRunner().invoke(cli, ["port", "in", "0677889900", "--subscription", mobile_ref, "--rio", rio,
                                      "--mandate", "2026-04-28", "--today", "2026-04-29", "--json"])
    assert result.exit_code == 0, result.output
    assert '"porting_date": "2026-05-05"' in result.output     # CPV mobile art. 6.2 (L886), 1 May skipped
    result = CliRunner().invoke(cli, ["equipment", "returns-due", "--today", "2026-12-01", "--json"])
    assert result.exit_code == 0 and '"serial": "FBX-1"' in result.output


def test_api_puk_is_shown_to_staff_and_its_customer_only_and_no_pin_is_taken(world, clean_engine, clock, actor):
    # Ozone CPV mobile art. 1 (L762-764): PUK of 8 digits, shown to the customer (Espace Client).
    client, mobile_ref, operator_id, tokens = world
    with transaction(clean_engine) as s:
        kind(s, factories.operator(s, clock, actor, "ozone"), "sim")
    assert client.post("/api/v1/equipment/sims", json={"operator_id": operator_id, "iccid": "8933000000000000077",
                                                       "msisdn": "0677001122"}).status_code == 201
    assert client.post("/api/v1/equipment/8933000000000000077/shipment", json={
        "subscription": mobile_ref, "provision_mode": "loaned", "on": "2026-01-05"}).status_code == 200
    with_pin = client.put("/api/v1/equipment/sims/8933000000000000077/puk", json={"puk": "73194528", "pin": "1234"})
    assert with_pin.status_code == 422
    assert client.put("/api/v1/equipment/sims/8933000000000000077/puk",
                      json={"puk": "73194528"}).json()["stored"] == "sealed"
    assert client.get("/api/v1/equipment/sims/0677001122/puk").json()["puk"] == "73194528"
    mine = client.get("/api/v1/equipment/sims/0677001122/puk", headers={"authorization": f"Bearer {tokens['mine']}"})
    theirs = client.get("/api/v1/equipment/sims/0677001122/puk",
                        headers={"authorization": f"Bearer {tokens['theirs']}"})
    assert (mine.status_code, mine.json()["puk"]) == (200, "73194528")
    assert theirs.status_code == 404
