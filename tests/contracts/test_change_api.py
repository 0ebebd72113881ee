"""``/api/v1/subscriptions/{ref}/changes``: quote, then confirm (issue 19)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from clausier.accounts import service as accounts
from clausier.contracts.service import LineInput
from clausier.db.session import transaction
from tests import factories
from tests.apps import app_for


@pytest.fixture
def trunk(engine, clock, actor, session):
    """A Technicophone SIP trunk live since 2025-01-01, and a sales token."""
    with transaction(engine) as s:
        op = factories.operator(s, clock, actor, "technicophone")
        factories.offer(s, op, "sip_trunk_10", "sip_trunk", "90.00", unit="trunk")
        factories.offer(s, op, "sip_sda_block_10", "sip_trunk", "5.00", unit="sda_block",
                        kind="option")
        customer = factories.customer(s, clock, op)
        [sub] = factories.subscription(s, clock, actor, customer,
                                       [LineInput(customer.sites[0].id, "sip_trunk_10")],
                                       signed_on=date(2024, 12, 1), go_live_on=date(2025, 1, 1))
        user = accounts.create_user(s, clock, actor, email="sales@example.fr", name="Sales",
                                    role="sales", password="a-long-password")
        s.flush()
        _, token = accounts.issue_token(s, clock, actor, user.id, "tests")
        return sub.ref, {"Authorization": f"Bearer {token}"}


def test_an_sda_block_on_a_sip_trunk_is_quoted_then_confirmed(engine, clock, trunk):
    """CGV art. 7.4 L206-212: « ajout/suppression de SDA (lignes directes) » re-commits the trunk
    for 36 months from 2026-12-01, to 2029-11-30."""
    ref, headers = trunk
    client = TestClient(app_for(engine, clock))
    body = {"on": "2026-12-01",
            "changes": [{"action": "option_add", "offer": "sip_sda_block_10", "quantity": 1}]}
    quote = client.post(f"/api/v1/subscriptions/{ref}/changes/quote", json=body, headers=headers)
    assert quote.status_code == 200, quote.text
    assert (quote.json()["monthly"]["total"], quote.json()["commitment_end"]) == (
        "95.00", "2029-11-30")
    assert client.get(f"/api/v1/subscriptions/{ref}/changes", headers=headers).json() == []
    confirmed = client.post(f"/api/v1/subscriptions/{ref}/changes", json=body, headers=headers)
    assert confirmed.status_code == 201, confirmed.text
    assert (confirmed.json()["ref"], confirmed.json()["effective_on"]) == (
        f"{ref}-C001", "2026-12-01")
    shown = client.get(f"/api/v1/subscriptions/{ref}", params={"on": "2026-12-01"},
                       headers=headers).json()
    assert [(i["offer"], i["quantity"]) for i in shown["items"]] == [
        ("sip_trunk_10", 1), ("sip_sda_block_10", 1)]


def test_a_bad_change_is_a_422_naming_the_field(engine, clock, trunk):
    ref, headers = trunk
    client = TestClient(app_for(engine, clock))
    bad = client.post(f"/api/v1/subscriptions/{ref}/changes", headers=headers,
                      json={"on": "2026-12-01", "changes": [{"action": "add", "offer": "nope"}]})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "changes.0.offer" in bad.text
