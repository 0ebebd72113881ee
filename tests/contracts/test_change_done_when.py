"""Issue 19, done when: licences added to and removed from an Office 365 subscription from the
CLI, the API and the contract page, each quoted with its clause, re-committed per CGV art. 7.4
and billed from the change date by the next bill run — October having been billed in advance
before the changes (CP VIII §6.2 L5872-5888: monthly in advance)."""

from __future__ import annotations

import html
import json
from datetime import date

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.cli.main import app
from clausier.contracts.service import LineInput
from clausier.db.session import transaction
from tests import factories
from tests.conftest import csrf_of
from tests.apps import app_for

RECOMMIT = "CGV art. 7.4 (L206-212)"


def _office365(engine, clock) -> str:
    """Twenty Microsoft 365 Business Standard licences at 11,70 €, live from 2026-09-01."""
    actor = Actor(name="test@clausier.local")
    with transaction(engine) as session:
        op = factories.operator(session, clock, actor, "technicophone")
        factories.offer(session, op, "o365_business_standard", "office365", "11.70",
                        unit="licence")
        customer = factories.customer(session, clock, op)
        [sub] = factories.subscription(session, clock, actor, customer, [LineInput(
            customer.sites[0].id, "o365_business_standard", 20)],
            signed_on=date(2026, 8, 1), go_live_on=date(2026, 9, 1))
        return sub.ref


def test_licences_added_then_removed_from_the_cli_and_corrected_by_the_next_bill_run(
        clean_engine, db_url, clock, monkeypatch):
    """5 licences added on 12 October (20/31 days of October at 25 licences instead of 20), 3
    removed on 20 October (12/31 days at 22 instead of 25); the November run issues those
    corrections and bills November for 22 licences; re-running it bills nothing twice."""
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    ref = _office365(clean_engine, clock)
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    run("billrun", "--period", "2026-10", "--operator", "technicophone", "--today", "2026-10-01")
    added = json.loads(run("contract", "change", ref, "--add", "o365_business_standard=5",
                           "--on", "2026-10-12", "--json"))
    assert (added["change_order"], added["commitment_end"], added["recommit_clause"]) == (
        f"{ref}-C001", "2029-10-11", RECOMMIT)
    run("contract", "change", ref, "--remove", "o365_business_standard=3", "--on", "2026-10-20")
    run("billrun", "--period", "2026-11", "--operator", "technicophone", "--today", "2026-11-01")
    run("billrun", "--period", "2026-11", "--operator", "technicophone", "--today", "2026-11-02")
    invoices = json.loads(run("invoice", "list", "--json"))
    assert len(invoices) == 2
    november = json.loads(run("invoice", "show", next(i["number"] for i in invoices
                                                        if i["period"] == "2026-11"), "--json"))
    lines = [(line["label"], line["amount"], line["clause"]) for line in november["lines"]]
    label = "O365_Business_Standard"
    assert lines == [
        (f"{label} — 2026-11", "257.40", "CP VIII §6.2 (L5872-5888)"),       # 22 × 11,70
        (f"{label} — 2026-10-12 to 2026-10-31 credited: no longer billed from the change",
         "-150.97", RECOMMIT),                                          # −20/31 × 20 × 11,70
        (f"{label} — 2026-10-12 to 2026-10-31 charged: billed from the change",
         "188.71", RECOMMIT),                                           # 20/31 × 25 × 11,70
        (f"{label} — 2026-10-20 to 2026-10-31 credited: no longer billed from the change",
         "-113.23", RECOMMIT),                                          # −12/31 × 25 × 11,70
        (f"{label} — 2026-10-20 to 2026-10-31 charged: billed from the change",
         "99.64", RECOMMIT)]                                            # 12/31 × 22 × 11,70


def test_licences_removed_through_the_api_are_quoted_with_the_clause(clean_engine, clock, actor):
    ref = _office365(clean_engine, clock)
    with transaction(clean_engine) as s:
        user = accounts.create_user(s, clock, actor, email="sales@example.fr", name="Sales",
                                    role="sales", password="a-long-password")
        s.flush()
        _, token = accounts.issue_token(s, clock, actor, user.id, "tests")
    headers = {"Authorization": f"Bearer {token}"}
    client = TestClient(app_for(clean_engine, clock))
    body = {"on": "2026-12-01", "changes": [
        {"action": "remove", "offer": "o365_business_standard", "quantity": 4}]}
    quote = client.post(f"/api/v1/subscriptions/{ref}/changes/quote", json=body,
                        headers=headers).json()
    assert (quote["monthly"]["total"], quote["commitment_end"], quote["recommit_clause"]) == (
        "187.20", "2029-11-30", RECOMMIT)                               # 16 × 11,70
    assert quote["one_off"]["lines"][0]["clause"] == f"{RECOMMIT}, reading T-CHANGE-REMOVAL"
    confirmed = client.post(f"/api/v1/subscriptions/{ref}/changes", json=body, headers=headers)
    assert confirmed.status_code == 201, confirmed.text


def test_licences_quoted_on_the_contract_page_with_their_clause(staff_client, clean_engine,
                                                               clock):
    ref = _office365(clean_engine, clock)
    staff_client.get("/lang/en")
    page = staff_client.get(f"/contracts/{ref}").text
    form = {"on": "2026-12-01", "action": "add", "offer": "o365_business_standard",
            "quantity": "5", "csrf_token": csrf_of(page)}
    quote = html.unescape(staff_client.post(f"/contracts/{ref}/change-quote", data=form).text)
    assert f"New commitment end: <strong>30 Nov 2029</strong> (36 months, {RECOMMIT})" in quote
    monthly = quote[quote.index("Monthly fees from the change"):]
    assert "<td>25 × 11,70\xa0€</td>" in monthly                 # price list, 25 licences
    # the offer's code marked up as an identifier (the French crawl reads no code as text)
    assert "order / price list (<code>o365_business_standard</code>)" in monthly
