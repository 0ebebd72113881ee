"""The application shell: health, OpenAPI, security headers, bearer tokens, problem+json,
portal users kept out of staff routes, and an audit entry for every write."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient
from tests.conftest import STAFF_EMAIL, create_user
from sqlalchemy import select

from clausier.accounts import service as accounts
from clausier.api.app import create_app
from clausier.audit.models import AuditEntry
from clausier.db.session import transaction

PROBLEM = "application/problem+json"


def _token(engine, clock, actor, user_id: int, name: str = "integration") -> str:
    with transaction(engine) as s:
        return accounts.issue_token(s, clock, actor, user_id, name)[1]


def _bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_is_served_and_lists_the_rooms_routes(client):
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Clausier"
    for path in ("/api/v1/me", "/api/v1/tokens", "/api/v1/terms", "/api/v1/terms/lint",
                 "/api/v1/terms/{sheet_id}/families/{family}", "/api/v1/audit"):
        assert path in spec["paths"], path
    assert not any(path.startswith("/terms") for path in spec["paths"])   # pages are not API


def test_security_headers_on_pages_and_api(client):
    for path in ("/", "/api/v1/health"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_a_bearer_token_authenticates_the_api(client, clean_engine, clock, actor):
    user_id = create_user(clean_engine, clock, actor)
    me = client.get("/api/v1/me", headers=_bearer(_token(clean_engine, clock, actor, user_id)))
    assert me.status_code == 200
    assert me.json() == {"id": user_id, "email": STAFF_EMAIL, "name": "Ada Admin",
                         "kind": "staff", "role": "admin", "customer_id": None}


def test_an_invalid_or_revoked_token_is_refused_with_problem_json(
        client, clean_engine, clock, actor):
    user_id = create_user(clean_engine, clock, actor)
    token = _token(clean_engine, clock, actor, user_id)
    invalid = client.get("/api/v1/me", headers=_bearer(token[:-4] + "AAAA"))
    assert invalid.status_code == 401
    assert invalid.headers["content-type"] == PROBLEM
    assert invalid.headers["www-authenticate"] == "Bearer"
    assert invalid.json()["detail"] == "authorization: invalid or revoked API token"

    listed = client.get("/api/v1/tokens", headers=_bearer(token)).json()
    revoked = client.delete(f"/api/v1/tokens/{listed[0]['id']}", headers=_bearer(token))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    refused = client.get("/api/v1/me", headers=_bearer(token))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == PROBLEM


def test_no_credentials_is_a_401_problem(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Not authenticated"


def test_unknown_routes_and_bad_input_are_problem_json(client, clean_engine, clock, actor):
    assert client.get("/api/v1/nothing-here").headers["content-type"] == PROBLEM
    token = _token(clean_engine, clock, actor, create_user(clean_engine, clock, actor))
    bad = client.post("/api/v1/tokens", json={}, headers=_bearer(token))
    assert bad.status_code == 422
    assert bad.headers["content-type"] == PROBLEM
    assert bad.json()["errors"] == [{"field": "name", "reason": "Field required"}]


def test_a_customer_user_gets_404_on_staff_routes(client, clean_engine, clock, actor):
    user_id = create_user(clean_engine, clock, actor, email="client@test.local",
                          kind="customer", role="customer", name="Client")
    headers = _bearer(_token(clean_engine, clock, actor, user_id))
    assert client.get("/api/v1/me", headers=headers).json()["kind"] == "customer"
    for path in ("/api/v1/terms", "/api/v1/audit", "/terms", "/audit"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
    page = client.get("/audit", headers={**headers, "accept": "text/html"})
    assert page.status_code == 404 and "<h1>404" in page.text


def test_every_write_leaves_an_audit_entry(client, clean_engine, clock, actor):
    user_id = create_user(clean_engine, clock, actor)
    token = _token(clean_engine, clock, actor, user_id)
    headers = _bearer(token)
    issued = client.post("/api/v1/tokens", json={"name": "billing export"}, headers=headers)
    client.delete(f"/api/v1/tokens/{issued.json()['id']}", headers=headers)
    with transaction(clean_engine) as s:
        entries = [(e.actor, e.action, e.entity_type)
                   for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert entries == [
        (actor.name, "user.create", "users"),
        (actor.name, "token.issue", "api_tokens"),
        (STAFF_EMAIL, "token.issue", "api_tokens"),
        (STAFF_EMAIL, "token.revoke", "api_tokens"),
    ]
    trail = client.get("/api/v1/audit", params={"actor": STAFF_EMAIL}, headers=headers).json()
    assert [e["action"] for e in trail] == ["token.revoke", "token.issue"]


def test_a_served_app_leaves_what_it_started_with_out_of_the_collectors_walks(engine, clock):
    gc.unfreeze()
    try:
        with TestClient(create_app(engine=engine, clock=clock, daily_tick=False,
                                   freeze_heap=True)) as served:
            assert gc.get_freeze_count() > 0
            assert served.get("/api/v1/health").json() == {"status": "ok"}
    finally:
        gc.unfreeze()
