"""Forms a user may not use are not shown (issue 21, "Screens"): each staff role sees the forms of
what its role changes (``accounts.rules.WRITE_PERMISSIONS``), and the route refuses the others
all the same."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from clausier.accounts import service as accounts
from clausier.core.clock import PARIS, FixedClock
from clausier.db.session import transaction

from tests.apps import app_for

CLOCK = FixedClock(datetime(2026, 11, 24, 9, tzinfo=PARIS))


@pytest.fixture
def clients(clean_engine, actor):
    tokens = {}
    with transaction(clean_engine) as session:
        for role in ("billing", "sales", "support"):
            user = accounts.create_user(session, CLOCK, actor, email=f"{role}@op.example",
                                        name=role.title(), role=role,
                                        password="long enough password")
            session.flush()
            tokens[role] = accounts.issue_token(session, CLOCK, actor, user.id, "test")[1]
    made = {}
    for role, token in tokens.items():
        client = TestClient(app_for(clean_engine, CLOCK))
        client.headers["authorization"] = f"Bearer {token}"
        made[role] = client
    return made


def test_only_the_roles_that_bill_see_the_bill_run_form(clients):
    assert 'action="/billing/runs"' in clients["billing"].get("/billing/runs").text
    page = clients["sales"].get("/billing/runs")
    assert page.status_code == 200 and 'action="/billing/runs"' not in page.text
    refused = clients["sales"].post("/api/v1/billruns", json={"period": "2026-12", "operator": "technicophone"})
    assert refused.status_code == 403


def test_only_the_roles_that_handle_tickets_see_the_ticket_form(clients):
    assert 'action="/support/tickets"' in clients["support"].get("/support/tickets").text
    assert 'action="/support/tickets"' not in clients["sales"].get("/support/tickets").text

