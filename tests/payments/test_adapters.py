"""The doors of collections: ``clausier sepa|payment|rate|collections|dunning`` commands, the
``/api/v1`` routes and the back-office pages, on the test database."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import xmlschema
from typer.testing import CliRunner

from clausier.audit.service import Actor
from clausier.cli.main import app
from clausier.core.clock import FixedClock
from clausier.db.session import transaction
from clausier.payments import daily
from clausier.payments.dunning import service as dunning
from clausier.payments.ledger import late_payment
from clausier.payments.sepa.files import PAIN008_SCHEMA
from tests.payments.helpers import billed_customer
from tests.payments.test_payments import technicophone_invoice
from tests.payments.test_sepa import IBAN_CUSTOMER, IBAN_OZONE
from tests.staff_fixtures import browser, staff_client  # noqa: F401  (shared fixtures)

SYSTEM = Actor.system("test")


@pytest.fixture
def run(db_url, clean_engine, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    monkeypatch.setenv("CLAUSIER_SMTP_PORT", "9")     # discard: e-mails fail fast, stay queued
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def test_direct_debit_from_the_command_line(run, clean_engine, tmp_path):
    with transaction(clean_engine) as s:
        ref = billed_customer(s, SYSTEM, "ozone", family="internet_fibre", monthly_fee="34.90",
                              go_live=date(2025, 10, 1), period="2025-10", issue_on=date(2025, 10, 3),
                              kind="household", name="Jeanne Durand").customer.ref
    assert run("sepa", "creditor", "ozone", "--name", "OZONE SAS", "--iban", IBAN_OZONE,
               "--creditor-id", "FR12ZZZ123456", "--prenotification-days", "2").exit_code == 0
    added = run("mandate", "add", ref, "--reference", "OZ-RUM-9", "--iban", IBAN_CUSTOMER,
                "--signed-on", "2025-09-20", "--today", "2025-10-03")
    assert added.exit_code == 0, added.output
    assert run("tick", "--today", "2025-10-03").exit_code == 0
    file = tmp_path / "collection.xml"
    exported = run("sepa", "export", "--collection-date", "2025-10-05", "-o", file,
                   "--today", "2025-10-05", "--json")
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)[0]["debits"] == 1
    xmlschema.XMLSchema(str(PAIN008_SCHEMA)).validate(file.read_text())
    assert run("tick", "--today", "2025-10-05").exit_code == 0

    returns = tmp_path / "returns.csv"
    returns.write_text("end_to_end_id,reason_code,returned_on\nOZO-2025-000001-P1,AM04,2025-10-08\n")
    imported = run("sepa", "returns", returns, "--today", "2025-10-08")
    assert imported.exit_code == 0 and "1 return(s) recorded" in imported.output
    shown = json.loads(run("collections", "show", ref, "--json", "--today", "2025-10-08").output)
    assert shown["owed"] == "42.90"           # 34.90 reopened + the 8.00 fee to come
    assert [d["status"] for d in shown["debits"]] == ["returned"]
    assert shown["cases"][0]["steps"][0]["step"] == "first_reminder"
    queue = json.loads(run("dunning", "queue", "--json", "--today", "2025-10-08").output)
    # Ozone CGV art. 9.6 L272: « coupure sous 5 jours » from the reminder of 8 October; the 5th
    # day is the 13th, the cut is allowed from the day after (reading OZ-DUNNING-CUT-START).
    assert queue[0]["next_step"]["step"] == "suspend" and queue[0]["next_step"]["due_on"] == "2025-10-14"

    paid = run("payment", "record", ref, "34.90", "--method", "card", "--on", "2025-10-09",
               "--today", "2025-10-09", "--json")
    assert paid.exit_code == 0, paid.output
    assert json.loads(paid.output)["allocations"][0]["amount"] == "34.90"
    assert json.loads(run("dunning", "queue", "--json", "--today", "2025-10-09").output) == []

    bad = run("sepa", "returns", _bad(tmp_path))
    assert bad.exit_code == 2 and "reason_code" in bad.output


def test_a_bank_reference_recorded_twice_from_the_command_line_is_one_payment(run, clean_engine):
    with transaction(clean_engine) as s:
        ref = billed_customer(s, SYSTEM, "ozone", family="internet_fibre", monthly_fee="34.90",
                              go_live=date(2025, 10, 1), period="2025-10",
                              issue_on=date(2025, 10, 3), kind="household").customer.ref
    args = ("payment", "record", ref, "34.90", "--on", "2025-10-09", "--reference",
            "VIR-20251009-0042", "--today", "2025-10-09")
    first = run(*args, "--json")
    again = run(*args)
    assert first.exit_code == 0 and again.exit_code == 0, again.output
    title = " ".join(again.output.split())          # the table's title wraps on narrow terminals
    assert f"Payment {json.loads(first.output)['id']}: 34,90 € by transfer (recorded before)" in title
    listed = json.loads(run("payment", "list", "--customer", ref, "--json").output)
    assert [p["reference"] for p in listed] == ["VIR-20251009-0042"]


def _bad(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("end_to_end_id;reason_code;returned_on\nOZO-2025-000001-P1;ZZ99;2025-10-08\n")
    return path


def test_rates_are_recorded_per_half_year(run):
    assert run("rate", "add", "legal-interest", "2025-H2", "2.76").exit_code == 0
    assert run("rate", "add", "legal-interest", "2025-H2", "2.76").exit_code == 0   # same: no-op
    conflict = run("rate", "add", "legal-interest", "2025-H2", "3.00")
    assert conflict.exit_code == 2 and "already recorded as 2.76" in conflict.output
    refused = run("rate", "add", "legal-interest", "2025-H3", "2.76")
    assert refused.exit_code == 2 and "half_year" in refused.output
    assert json.loads(run("rate", "list", "--json").output) == [
        {"source": "french_legal_rate", "half_year": "2025-H2", "percent": "2.76"}]


def _overdue_case(engine) -> str:
    with transaction(engine) as s:
        billed = technicophone_invoice(s, SYSTEM)
        late_payment.add_legal_rate(s, FixedClock.on(date(2025, 10, 3)), SYSTEM, "2025-H2", "2.76")
        # Due Friday 7 November 2025 (25 jours ouvrés, CGV art. 10.4 with art. 2): the first
        # notice of the 8th, received on the 10th, allows restriction from the 19th (CGV 8.4).
        daily.tick(s, FixedClock.on(date(2025, 11, 8)), SYSTEM, date(2025, 11, 8))
        case = dunning.open_case_of(s, billed.customer.id)
        letter = case.steps[0].letter_id
        dunning.record_letter_receipt(s, FixedClock.on(date(2025, 11, 10)), SYSTEM, letter, date(2025, 11, 10))
        daily.tick(s, FixedClock.on(date(2025, 11, 19)), SYSTEM, date(2025, 11, 19))
        return billed.customer.ref


def test_the_api_shows_the_queue_and_takes_decisions_and_payments(engine, staff_client):
    ref = _overdue_case(engine)
    api = staff_client("billing")
    (entry,) = api.get("/api/v1/dunning/queue").json()
    assert entry["customer"] == ref
    assert [p["step"] for p in entry["pending_approval"]] == ["restrict", "suspend"]
    suspend = entry["pending_approval"][1]["id"]
    decided = api.post(f"/api/v1/dunning/steps/{suspend}/decision", json={"approve": True,
                                                                          "on": "2025-11-19"})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    again = api.post(f"/api/v1/dunning/steps/{suspend}/decision", json={"approve": True})
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"

    collections = api.get(f"/api/v1/collections/{ref}", params={"on": "2025-11-19"}).json()
    # 8 to 19 November: 12 days × 8.28 % × 1 200 / 365 = 3.27
    assert collections["invoices"][0]["interest"]["total"] == "3.27"
    paid = api.post("/api/v1/payments", json={"customer": ref, "amount": "1200.00",
                                              "received_on": "2025-11-20"})
    assert paid.status_code == 201
    assert api.get("/api/v1/dunning/queue").json() == []
    assert staff_client("support").post("/api/v1/payments", json={
        "customer": ref, "amount": "1", "received_on": "2025-11-20"}).status_code == 403
    refused = api.post("/api/v1/mandates", json={"customer": ref, "reference": "R1",
                                                 "signed_on": "2025-09-01", "iban": "FR00"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "iban"


def test_a_refused_deposit_answers_problem_json_with_the_refusals_code_and_clause(engine,
                                                                                staff_client):
    """CGV art. 11.5 L421-430 lists the grounds on which a deposit may be asked; a « bad mood »
    is not one: the API says so with a stable code and the clause of the sheet."""
    with transaction(engine) as s:
        ref = technicophone_invoice(s, SYSTEM).customer.ref
    refused = staff_client("billing").post("/api/v1/deposits", json={
        "customer": ref, "amount": "500.00", "ground": "bad_mood", "due_on": "2025-10-10"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert (body["code"], body["clause"]) == ("deposit_ground_not_listed",
                                              "CGV art. 11.5 (L421-430)")
    assert body["errors"][0]["field"] == "ground"


def test_the_dunning_page_lists_the_case_and_approves_a_step(engine, browser):
    ref = _overdue_case(engine)
    page = browser.get("/payments/dunning")
    assert page.status_code == 200 and ref in page.text
    step_id = re.search(r'action="/payments/dunning/steps/(\d+)"', page.text).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = browser.post(f"/payments/dunning/steps/{step_id}", data={"csrf_token": token,
                                                                     "decision": "decline"},
                        follow_redirects=False)
    assert done.status_code == 303
    collections = browser.get(f"/payments/customers/{ref}")
    assert collections.status_code == 200 and "refusée" in collections.text
    letter = re.search(r'href="(/payments/letters/\d+\.pdf)"', collections.text).group(1)
    pdf = browser.get(letter)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "Mise en demeure" in browser.get("/payments/outbox").text


def test_a_mandate_reference_used_twice_answers_its_code(engine, staff_client):
    """A mandate's reference (*RUM*) is unique: the second one answers 409 with a stable code."""
    with transaction(engine) as s:
        ref = technicophone_invoice(s, SYSTEM).customer.ref
    api = staff_client("billing")
    mandate = {"customer": ref, "reference": "TEC-RUM-1", "signed_on": "2025-09-01",
               "iban": IBAN_CUSTOMER}
    assert api.post("/api/v1/mandates", json=mandate).status_code == 201
    again = api.post("/api/v1/mandates", json=mandate)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "mandate_reference_taken"
