"""The privacy API, CLI and pages, and the customer portal's export guarded by customer."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.cli.main import app as cli
from clausier.db.session import transaction
from tests.privacy import world
from tests.apps import app_for


@pytest.fixture
def customers(engine, clock, session, tmp_path, monkeypatch):
    """Two Technicophone customers with a contact each, committed."""
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path))
    actor = Actor.system("test")
    with transaction(engine) as s:
        op = world.technicophone(s, clock, actor)
        first = world.customer_with_contacts(s, clock, actor, op, "Alpha SARL")
        second = world.customer_with_contacts(s, clock, actor, op, "Beta SAS")
        world.live_service(s, clock, actor, first)
        return first.id, second.id


def test_api_purge_requests_export_and_register(customers, staff_client):
    first, _ = customers
    api = staff_client("admin")
    purge = api.post("/api/v1/privacy/purges", json={"day": "2026-08-01"})
    assert purge.status_code == 200, purge.text
    assert {"cdr", "recordings", "billing_data"} <= {l["data"] for l in purge.json()["lines"]}
    assert api.get("/api/v1/privacy/purges/latest").json()["day"] == "2026-08-01"

    opened = api.post("/api/v1/privacy/requests", json={
        "kind": "portability", "received_on": "2026-11-02", "requester": "Jeanne Martin",
        "customer_id": first})
    assert opened.status_code == 201, opened.text
    assert (opened.json()["due_on"], opened.json()["clause"]) == (
        "2026-12-02", "Annexe 1 B.1.e (L10656-10658)")
    answered = api.post(f"/api/v1/privacy/requests/{opened.json()['ref']}/answer",
                        json={"answered_on": "2026-11-20"})
    assert answered.json()["status"] == "answered"

    export = api.get(f"/api/v1/privacy/customers/{first}/export")
    assert export.headers["content-type"] == "application/zip"
    assert "contacts.csv" in zipfile.ZipFile(io.BytesIO(export.content)).namelist()

    register = api.get("/api/v1/privacy/register").json()
    processor = next(e for e in register if e["role"] == "processor")
    assert processor["data_categories"] == ["identity", "contact", "identification",
                                            "connection_and_usage"]   # Annexe 1 A.1 L10275-10287


def test_api_refuses_writes_to_roles_without_privacy(customers, staff_client):
    refused = staff_client("sales").post("/api/v1/privacy/purges", json={"day": "2026-08-01"})
    assert refused.status_code == 403


def test_portal_export_gives_the_signed_in_customer_its_own_data_only(customers, engine, clock):
    first, second = customers
    with transaction(engine) as s:
        user = accounts.create_user(s, clock, Actor.system("test"), email="jeanne@alpha.example",
                                    name="Jeanne", role="customer", password="long-password-1",
                                    kind="customer", customer_id=first)
        _, token = accounts.issue_token(s, clock, Actor.system("test"), user.id, "portal")
    with TestClient(app_for(engine, clock),
                    headers={"authorization": f"Bearer {token}"}) as portal:
        response = portal.get("/api/v1/portal/privacy/export")
        assert response.status_code == 200
        index = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("index.json"))
        assert index["id"] == first
        customers_rows = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("customers.json"))
        assert [c["id"] for c in customers_rows] == [first]
        # staff routes, with another customer's id, are not found for a portal user
        assert portal.get(f"/api/v1/privacy/customers/{second}/export").status_code == 404


def test_cli_purge_register_and_requests(customers, db_url, monkeypatch):
    first, _ = customers
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    runner = CliRunner()
    purged = runner.invoke(cli, ["privacy", "purge", "--today", "2026-08-01", "--json"])
    assert purged.exit_code == 0, purged.output
    assert json.loads(purged.output)["day"] == "2026-08-01"
    opened = runner.invoke(cli, ["privacy", "requests", "open", "erasure", "--requester", "J. M.",
                                 "--customer", str(first), "--received", "2026-11-02", "--json"])
    assert json.loads(opened.output)["due_on"] == "2026-12-02"
    listed = json.loads(runner.invoke(cli, ["privacy", "requests", "list", "--json"]).output)
    assert [r["kind"] for r in listed] == ["erasure"]
    register = json.loads(runner.invoke(cli, ["privacy", "register", "--json"]).output)
    assert {e["operator"] for e in register} == {"technicophone"}
    refused = runner.invoke(cli, ["privacy", "erase", "999"])
    assert refused.exit_code == 2 and "no customer with id 999" in refused.output


def test_privacy_pages(customers, client, clean_engine, clock):
    from tests.conftest import STAFF_EMAIL, STAFF_PASSWORD, create_user, log_in, csrf_of
    create_user(clean_engine, clock, Actor.system("test"))
    log_in(client, STAFF_EMAIL, STAFF_PASSWORD)
    page = client.get("/privacy")
    assert page.status_code == 200 and "Rapport de purge" in page.text
    ran = client.post("/privacy/purge", data={"csrf_token": csrf_of(page.text)},
                      follow_redirects=True)
    assert "CGV art. 10.6 (L382-390)" in ran.text
    register = client.get("/privacy/register").text
    assert "Registre des activités de traitement" in register
    # in words, with the terms of sale's clauses (not the tables of the schema)
    assert "Relation client : commandes, contrats" in register
    assert "Exécution du contrat et obligations légales" in register
    assert "contacts des clients" in register and "sous-traitants ultérieurs" in register
    assert "Factures, écritures comptables et pièces justificatives :" in register
    assert '<div class="clause">Annexe 1 A.2.a (L10364-10365)</div>' in register
    assert "tables:" not in register and "_" not in re.sub(r"<[^>]+>", "", register)
    english = client.get("/privacy/register?lang=en").text
    assert "Customer relationship: orders, contracts" in english


def test_back_office_forms_for_holds_sub_processors_audits_and_breaches(customers, client,
                                                                        clean_engine, clock):
    """The pages where only the API and the CLI wrote before: legal holds placed and lifted, a
    sub-processor change announced and an objection recorded (Annexe 1 A.2.c: objections
    within 10 business days, 30 business days of talks), an audit request (A.2.g), a breach
    logged and its notifications recorded (A.2.a); each write is in the audit trail, and a form
    without its CSRF token is refused."""
    from sqlalchemy import select

    from clausier.audit.models import AuditEntry
    from clausier.privacy.models import BreachNotification, Objection
    from tests.conftest import STAFF_EMAIL, STAFF_PASSWORD, create_user, csrf_of, log_in
    first, second = customers
    create_user(clean_engine, clock, Actor.system("test"))
    log_in(client, STAFF_EMAIL, STAFF_PASSWORD)
    token = csrf_of(client.get("/privacy").text)

    def post(path: str, **data):
        response = client.post(path, data={"csrf_token": token, **data}, follow_redirects=True)
        assert response.status_code == 200, response.text
        return response.text

    assert client.post("/privacy/holds", data={"customer_id": second, "reason": "x",
                                               "on": "2026-11-24"}).status_code == 403
    page = post("/privacy/holds", customer_id=second, reason="tax audit", on="2026-11-24")
    assert "Gels juridiques" in page and "tax audit" in page
    page = post(f"/privacy/holds/{second}/lift", reason="audit closed")
    assert "Aucun gel juridique en cours." in page

    processor = client.get("/privacy/processor").text
    assert "Obligations du sous-traitant" in processor
    page = post("/privacy/sub-processor-changes", operator="technicophone", name="CloudCo",
                purpose="hosting", country="fr", essential="true", announced_on="2026-11-24",
                planned_on="2027-01-04")
    assert "CloudCo" in page and "Enregistrer une opposition" in page
    change_id = page.split('action="/privacy/sub-processor-changes/')[1].split("/")[0]
    post(f"/privacy/sub-processor-changes/{change_id}/objections", customer_id=first,
         received_on="2026-11-30", reason="data leave the EU")
    objection_id = client.get("/privacy/processor").text.split(
        'action="/privacy/objections/')[1].split("/")[0]
    page = post(f"/privacy/objections/{objection_id}/close", outcome="withdrawn",
                on="2026-12-02", note="customer agreed")
    assert "Clore l’opposition" not in page and "withdrawn" in page
    page = post("/privacy/audits", customer_id=first, letter_received_on="2026-11-24",
                starts_on="2027-03-01", days="2", auditor="Audit & Co", registered_letter="true")
    assert "Audit &amp; Co" in page
    page = post("/privacy/breaches", operator="technicophone", detected_at="2026-11-20T10:30",
                nature="mailbox exposed", likely_consequences="phishing",
                measures_taken_or_proposed="passwords reset", data_categories="contact",
                people_affected="12")
    assert "mailbox exposed" in page and "Aucune notification envoyée." in page
    breach_id = page.split('action="/privacy/breaches/')[1].split("/")[0]
    page = post(f"/privacy/breaches/{breach_id}/notifications", customer_ids="",
                channel="registered_letter")
    assert "Aucune notification envoyée." not in page

    with transaction(clean_engine) as s:
        [objection] = s.scalars(select(Objection)).all()
        assert (objection.customer_id, objection.talks_end_on.isoformat()) == (first, "2027-01-13")
        assert (objection.status, objection.closed_on.isoformat()) == ("withdrawn", "2026-12-02")
        assert [(n.customer_id, n.channel) for n in s.scalars(select(BreachNotification))] == [
            (first, "registered_letter")]          # the business customer served, only
        actions = set(s.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("privacy.%"))))
    assert {"privacy.hold.place", "privacy.hold.lift", "privacy.subprocessor.announce",
            "privacy.objection", "privacy.objection.close", "privacy.audit.request", "privacy.breach.record",
            "privacy.breach.notify"} <= actions
