"""API writes keep working while a bill run started from the web writes on SQLite (a real
database file, the run in its background thread, the writes from the test's thread): before,
they failed with "database is locked" — a request's transaction that had read before the run
committed could not become a writer after it (SQLite WAL: SQLITE_BUSY_SNAPSHOT, not retried)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from clausier.accounts import service as accounts
from clausier.billing.models import BillRun
from clausier.contracts.service import LineInput
from clausier.db.session import transaction
from tests import factories
from tests.conftest import TEST_DB
from tests.apps import app_for

CUSTOMERS = 120      # three batches of a web bill run (50 customers each)
WRITES_AT_LEAST = 5


@pytest.mark.skipif(TEST_DB != "sqlite", reason="the SQLite write lock")
def test_api_writes_succeed_while_a_web_bill_run_writes(clean_engine, clock, actor):
    """The run bills 120 customers (seed TECHNICOPHONE CG art. 7: monthly invoices) while the
    staff adds contacts through the API: every write answers 201."""
    assert clean_engine.url.database not in (None, "", ":memory:")
    with transaction(clean_engine) as s:
        op = factories.operator(s, clock, actor, "technicophone")
        factories.offer(s, op, "presel", "preselection", "10.00")
        for n in range(CUSTOMERS):
            customer = factories.customer(s, clock, op, f"Client {n:02d}")
            factories.subscription(s, clock, actor, customer, [LineInput(customer.sites[0].id, "presel")],
                                   signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
        customer_id = customer.id
        user = accounts.create_user(s, clock, actor, email="billing@test.local", name="Bill",
                                    role="billing", password="correct horse battery")
        s.flush()
        _, token = accounts.issue_token(s, clock, actor, user.id, "concurrency")
    app = app_for(clean_engine, clock)
    with TestClient(app, headers={"authorization": f"Bearer {token}"}) as api:
        started = api.post("/api/v1/billruns", json={"period": "2026-11", "operator": "technicophone"})
        assert started.status_code == 202, started.text
        run_id = started.json()["id"]
        statuses, during_run = [], 0
        # Write until the run is over (and a few writes more if it ended very fast).
        while len(statuses) < WRITES_AT_LEAST or api.get(f"/api/v1/billruns/{run_id}").json()["status"] == "running":
            running = api.get(f"/api/v1/billruns/{run_id}").json()["status"] == "running"
            response = api.post(f"/api/v1/customers/{customer_id}/contacts",
                                json={"name": f"Contact written during the run {len(statuses)}"})
            statuses.append((response.status_code, response.text[:200]))
            during_run += running
            assert len(statuses) < 10_000, "the bill run never ended"
    failed = [s for s in statuses if s[0] != 201]
    assert not failed, failed
    assert during_run >= 1, "no write happened while the run was going: the test proved nothing"
    with transaction(clean_engine) as s:
        run = s.get(BillRun, run_id)
        assert run.status == "completed" and run.invoices == CUSTOMERS
