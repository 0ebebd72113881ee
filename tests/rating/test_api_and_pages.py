"""The REST API and the back-office pages of rating, over HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from clausier.accounts import service as accounts
from tests.rating.conftest import csv_row, write_csv
from tests.apps import app_for


@pytest.fixture
def api(session, clock, actor, subscribe, engine, tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CLAUSIER_SECRET_KEY", "test-secret")
    user = accounts.create_user(session, clock, actor, email="billing@example.org", name="Billing",
                                role="billing", password="correct horse battery")
    _, token = accounts.issue_token(session, clock, actor, user.id, "tests")
    line = subscribe("sip_trunk", "0247000002", unit="channel", quantity=2)
    subscribe("sva", "0891000000")
    session.commit()          # the app reads through its own connection
    client = TestClient(app_for(engine, clock))
    client.headers["authorization"] = f"Bearer {token}"
    return client, line


def test_import_rate_show_and_decide_over_the_api(api, tmp_path):
    client, line = api
    rows = [csv_row(f"R{i}", "0247000002", calling="0612345678", traffic="automated",
                    start=f"2026-10-06T10:00:{i:02d}+02:00") for i in range(3)]
    rows.append(csv_row("BAD", "0247000002", duration="-5"))
    path = write_csv(tmp_path / "api.csv", rows)
    with path.open("rb") as handle:
        created = client.post("/api/v1/usage/imports", files={"file": ("api.csv", handle, "text/csv")})
    assert created.status_code == 201, created.text
    assert (created.json()["imported"], created.json()["rejected"]) == (3, 1)
    detail = client.get(f"/api/v1/usage/imports/{created.json()['id']}").json()
    assert detail["rejects"] == [{"line": 5, "record_id": "BAD", "reason": "duration: not a whole number of seconds"}]

    report = client.post("/api/v1/usage/rating", json={"month": "2026-10"}).json()
    assert report["records"] == 3 and report["alerts"] == 1
    usage = client.get("/api/v1/usage/services/0247000002", params={"month": "2026-10"}).json()
    assert usage["alerts"][0]["kind"] == "automated_caller_id"
    [alert] = client.get("/api/v1/usage/fraud-alerts", params={"status": "open"}).json()
    assert client.post(f"/api/v1/usage/fraud-alerts/{alert['id']}/decision",
                       json={"decision": "confirm"}).json()["status"] == "confirmed"
    [proposal] = client.get("/api/v1/usage/penalties").json()
    assert Decimal(proposal["amount"]) == Decimal("2000.06")        # CP IV §10.3: 2 000 € + 3 × 0.02 €
    decided = client.post(f"/api/v1/usage/penalties/{proposal['id']}/decision", json={"decision": "confirm"})
    assert decided.json()["status"] == "confirmed" and decided.json()["charge_id"]
    summaries = client.get("/api/v1/usage/summaries", params={"customer_id": line.customer_id,
                                                              "up_to_month": "2026-10"}).json()
    assert [s["usage_period"] for s in summaries] == ["2026-10"]
    bad = client.post("/api/v1/usage/rating", json={"month": "October"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"

    for page in ("/usage/imports", f"/usage/imports/{created.json()['id']}", "/usage/breaches",
                 "/usage/alerts?status=", "/usage/services/0247000002?month=2026-10"):
        response = client.get(page, headers={"accept": "text/html"})
        assert response.status_code == 200, page
    assert "Imports de CDR" in client.get("/usage/imports").text


def test_alerts_page_shows_the_evidence_of_concentrated_premium_traffic(api, tmp_path):
    """CP XII §1 L9437-9439: the alerts queue shows the pattern and the most frequent callers."""
    client, _ = api
    rows = [csv_row(f"P{i}", "0891000000", direction="in", calling=f"01450000{i % 2:02d}", called="0891000000",
                    start=f"2026-10-07T10:{i // 60:02d}:{i % 60:02d}+02:00") for i in range(100)]
    with write_csv(tmp_path / "sva.csv", rows).open("rb") as handle:
        assert client.post("/api/v1/usage/imports", files={"file": ("sva.csv", handle, "text/csv")}).status_code == 201
    assert client.post("/api/v1/usage/rating", json={"month": "2026-10"}).json()["alerts"] == 1
    page = client.get("/usage/alerts?status=", headers={"accept": "text/html"}).text
    assert "Motifs: concentrated_traffic" in page
    assert "Appelants les plus fréquents" in page and "0145000000 (50), 0145000001 (50)" in page
