"""The ticket and SLA doors: REST API, pages (HTMX board) and CLI, on a committed database."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clausier.accounts import service as accounts
from clausier.cli.main import app as cli
from clausier.core.clock import PARIS, FixedClock
from clausier.db.session import transaction

from tests.support import world as w
from tests.apps import app_for

NOW = datetime(2026, 5, 26, 12, 0, tzinfo=PARIS)


@pytest.fixture
def setup(clean_engine, actor):
    engine = clean_engine
    clock = FixedClock(datetime(2026, 1, 5, 9, tzinfo=PARIS))
    with transaction(engine) as session:
        world = w.build(session, clock, actor)
        isdn = w.service(session, clock, actor, world, "vga-isdn", option="gtr_6h_24x7")
        staff = accounts.create_user(session, clock, actor, email="support@op.example", name="Desk",
                                     role="support", password="long enough password")
        portal = accounts.create_user(session, clock, actor, email="claire@durand.example",
                                      name="Claire", role="customer", kind="customer",
                                      password="long enough password", customer_id=world.customer.id)
        session.flush()
        tokens = {"staff": accounts.issue_token(session, clock, actor, staff.id, "test")[1],
                  "portal": accounts.issue_token(session, clock, actor, portal.id, "test")[1]}
        ids = {"customer": world.customer.ref, "reporter": world.reporter.id,
               "stranger": world.stranger.id, "isdn": isdn.ref}
    return ids, tokens


def api(engine, token):
    client = TestClient(app_for(engine, FixedClock(NOW)))
    client.headers["authorization"] = f"Bearer {token}"
    return client


def test_api_ticket_lifecycle_and_claim_cp_i_5_2(engine, setup):
    # The Whit Monday case over HTTP: 24/7 option, Friday 16:00 → Tuesday 11:00 = 91 h > 12 h.
    ids, tokens = setup
    client = api(engine, tokens["staff"])
    response = client.post("/api/v1/tickets", json={
        "subscription": ids["isdn"], "reporter_contact_id": ids["reporter"],
        "description": "ISDN down", "called_at": "2026-05-22T16:00:00+02:00"})
    assert response.status_code == 201, response.text
    ref = response.json()["ref"]
    assert response.json()["clock"]["start_reason"] == "awaiting_confirmation"
    for action, at in (("confirm", "2026-05-22T16:10:00+02:00"), ("restore", "2026-05-26T11:00:00+02:00"),
                       ("close", "2026-05-26T11:05:00+02:00")):
        response = client.post(f"/api/v1/tickets/{ref}/{action}", json={"at": at})
        assert response.status_code == 200, response.text
    assert response.json()["clock"]["elapsed_seconds"] == 91 * 3600
    assert response.json()["target"]["breached"]
    report = client.get("/api/v1/sla/report", params={"month": "2026-05"}).json()
    assert report[0]["restoration"]["penalties"]["total"] == "-10.00"


def test_api_refuses_an_unauthorised_contact_as_problem_json_cp_i_5_7(engine, setup):
    ids, tokens = setup
    response = api(engine, tokens["staff"]).post("/api/v1/tickets", json={
        "subscription": ids["isdn"], "reporter_contact_id": ids["stranger"], "description": "Down"})
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "designated to report incidents" in response.json()["detail"]


def test_portal_opens_and_follows_its_ticket_but_not_staff_actions(engine, setup):
    ids, tokens = setup
    client = api(engine, tokens["portal"])
    response = client.post("/api/v1/tickets", json={
        "subscription": ids["isdn"], "reporter_contact_id": ids["reporter"], "description": "No tone"})
    assert response.status_code == 201, response.text
    ref = response.json()["ref"]
    assert client.get(f"/api/v1/tickets/{ref}").status_code == 200
    assert client.post(f"/api/v1/tickets/{ref}/restore", json={}).status_code == 404
    assert [t["ref"] for t in client.get("/api/v1/tickets").json()] == [ref]


def test_board_page_and_htmx_fragment_show_time_left(engine, setup):
    ids, tokens = setup
    client = api(engine, tokens["staff"])
    ref = client.post("/api/v1/tickets", json={
        "subscription": ids["isdn"], "reporter_contact_id": ids["reporter"], "description": "Down",
        "called_at": "2026-05-26T10:00:00+02:00"}).json()["ref"]
    client.post(f"/api/v1/tickets/{ref}/confirm", json={"at": "2026-05-26T10:05:00+02:00"})
    page = client.get("/support/tickets", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'hx-trigger="every 60s"' in page.text
    fragment = client.get("/support/tickets/board")
    assert ref in fragment.text and "4 h 00" in fragment.text      # 6 h − 2 h around the clock
    detail = client.get(f"/support/tickets/{ref}", params={"lang": "en"})
    assert detail.status_code == 200 and "Clock started" in detail.text and ": running" in detail.text
    assert "Horloge démarrée" in client.get(f"/support/tickets/{ref}").text
    sla = client.get("/support/sla", params={"month": "2026-05"})
    assert sla.status_code == 200 and ids["isdn"] in sla.text


def test_cli_ticket_and_sla_report_json(engine, db_url, setup, monkeypatch):
    ids, _ = setup
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    runner = CliRunner()
    opened = runner.invoke(cli, ["ticket", "open", ids["isdn"], "--reporter", str(ids["reporter"]),
                                 "--description", "ISDN down", "--at", "2026-03-02T09:00", "--json"])
    assert opened.exit_code == 0, opened.output
    ref = json.loads(opened.output)["ref"]
    for command, at in (("confirm", "2026-03-02T09:10"), ("pause", "2026-03-02T10:00"),
                        ("resume", "2026-03-02T11:00"), ("restore", "2026-03-02T17:00"),
                        ("close", "2026-03-02T17:05")):
        result = runner.invoke(cli, ["ticket", command, ref, "--at", at, "--json"])
        assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(cli, ["ticket", "show", ref, "--json"]).output)
    assert shown["clock"]["elapsed_seconds"] == 7 * 3600               # 8 h minus the 1 h pause
    report = runner.invoke(cli, ["sla", "report", "--month", "2026-03", "--customer", ids["customer"],
                                 "--json", "--at", "2026-04-01T09:00"])
    assert json.loads(report.output)[0]["restoration"]["penalties"]["total"] == "-2.00"
    claim = runner.invoke(cli, ["sla", "claim", ids["customer"], "--month", "2026-03",
                                "--at", "2026-04-01T09:00", "--json"])
    assert claim.exit_code == 0 and json.loads(claim.output)["total"] == "-2.00"
    again = runner.invoke(cli, ["sla", "claim", ids["customer"], "--month", "2026-03",
                                "--at", "2026-04-02T09:00"])
    assert again.exit_code == 2 and "already claimed" in again.output


def test_portal_pages_open_follow_and_report(engine, setup):
    ids, tokens = setup
    client = api(engine, tokens["portal"])
    page = client.get("/portal/tickets", params={"lang": "en"})
    assert page.status_code == 200 and ids["isdn"] in page.text and "Claire Durand" in page.text
    refused = client.post("/portal/tickets", data={"subscription": ids["isdn"],
                                                   "reporter_contact_id": ids["stranger"],
                                                   "description": "Down"})
    assert refused.status_code == 422 and "designated to report incidents" in refused.text
    opened = client.post("/portal/tickets", data={"subscription": ids["isdn"],
                                                  "reporter_contact_id": ids["reporter"],
                                                  "description": "Down"}, follow_redirects=False)
    assert opened.status_code == 303
    assert client.get(opened.headers["location"]).status_code == 200
    assert client.get("/portal/tickets/board").status_code == 200
    assert client.get("/portal/sla", params={"month": "2026-05"}).status_code == 200
    assert client.get("/support/tickets").status_code == 404     # staff pages stay hidden


def test_staff_ticket_page_records_actions_from_forms(engine, setup):
    ids, tokens = setup
    client = api(engine, tokens["staff"])
    ref = client.post("/api/v1/tickets", json={
        "subscription": ids["isdn"], "reporter_contact_id": ids["reporter"], "description": "Down",
        "called_at": "2026-05-26T10:00:00+02:00"}).json()["ref"]
    for action, at in (("confirm", "2026-05-26T10:05"), ("pause", "2026-05-26T10:30"),
                       ("resume", "2026-05-26T11:00")):
        assert client.post(f"/support/tickets/{ref}/{action}", data={"at": at},
                           follow_redirects=False).status_code == 303
    client.post(f"/support/tickets/{ref}/qualify", data={"in_scope": "yes", "anomaly": "major"})
    wrong = client.post(f"/support/tickets/{ref}/resume", data={"at": ""})
    assert wrong.status_code == 422 and "not waiting for site access" in wrong.text
    shown = client.get(f"/api/v1/tickets/{ref}").json()
    assert shown["clock"]["paused_seconds"] == 1800 and shown["qualification"]["anomaly"] == "major"


def test_ticket_page_says_in_french_why_a_notice_waits_and_when_it_is_tried_next_cp_i_5_7(
        engine, setup, actor, smtp_port):
    import html

    from clausier.support import service

    ids, tokens = setup      # nothing listens on the mail port
    client = api(engine, tokens["staff"])
    ref = client.post("/api/v1/tickets", json={
        "subscription": ids["isdn"], "reporter_contact_id": ids["reporter"], "description": "Down",
        "called_at": "2026-05-26T10:00:00+02:00",
        "keep_informed": [{"name": "Reception", "email": "accueil@durand.example"}]}).json()["ref"]
    with transaction(engine) as session:
        assert service.deliver_notifications(session, FixedClock(NOW), actor, NOW.date()) == {
            "sent": 0, "failed": 1}
    page = html.unescape(client.get(f"/support/tickets/{ref}").text)
    assert "Aucun serveur de messagerie ne répond à l'adresse configurée" in page
    assert "1 tentative échouée ; prochain essai le 26/05/2026 12:05." in page
    assert "ConnectionRefusedError" not in page and "Errno" not in page
