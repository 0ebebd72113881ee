"""The seller's mandatory details: a bill run refuses to issue invoices without them, and the
PDF prints them with the payment details and the mentions French law requires."""

from __future__ import annotations

import io
import threading
from datetime import date

import pypdf
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from clausier.accounts import service as accounts
from clausier.billing.invoices import service as billing_invoices
from clausier.billing.runs import service as billing_runs
from clausier.billing.models import BillRun, Invoice
from clausier.billing.documents.pdf import invoice_pdf
from clausier.contracts.service import LineInput
from clausier.core.errors import NotAllowed
from clausier.db.session import transaction
from clausier.payments.sepa import service as sepa
from tests import factories


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _subscribed(session, clock, actor, op, offer: str, kind: str = "company"):
    customer = factories.customer(session, clock, op, f"Client {op.code}", kind=kind)
    factories.subscription(session, clock, actor, customer,
                           [LineInput(customer.sites[0].id, offer)],
                           signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    return customer


def test_a_bill_run_refuses_while_a_mandatory_seller_field_is_missing(session, clock, actor):
    """Rozoh's seed gives neither SIREN nor address (EN 16931 BR-CO-26, BR-S-02): no invoice is
    issued until they are configured; drafts may still be prepared, not issued."""
    rozoh = factories.operator(session, clock, actor, "rozoh")
    factories.offer(session, rozoh, "pack-50", "intercom_pack", "0", kind="pack",
                    one_off_price="1490.00")
    _subscribed(session, clock, actor, rozoh, "pack-50")
    rozoh.siren, rozoh.vat_number, rozoh.address_lines, rozoh.city = "", "", [], ""
    with pytest.raises(NotAllowed) as refused:
        billing_runs.bill_period(session, clock, actor, "2026-11", "rozoh")
    assert [str(problem) for problem in refused.value.problems] == [
        "rozoh.legal_identity: missing siren, vat_number, address_lines, city "
        "(set them in the operator's price list)"]
    assert (_count(session, BillRun), _count(session, Invoice)) == (0, 0)
    drafted = billing_runs.bill_period(session, clock, actor, "2026-11", "rozoh", draft_only=True)
    [draft] = session.scalars(select(Invoice)).all()
    assert drafted.billed == 1 and draft.number is None
    with pytest.raises(NotAllowed, match="rozoh.legal_identity: missing siren"):
        billing_invoices.issue_invoice(session, clock, actor, draft.id)
    rozoh.siren, rozoh.vat_number = "987654324", "FR14987654324"
    rozoh.address_lines, rozoh.city = ["1, rue de la Démonstration"], "La Roche-sur-Yon"
    issued = billing_invoices.issue_invoice(session, clock, actor, draft.id)
    # Issued with the seller as it is on that day, not as it was when drafted.
    assert (issued.number, issued.seller["siren"], issued.seller["city"]) == (
        "ROZ-2026-000001", "987654324", "La Roche-sur-Yon")


def test_the_cli_names_each_operator_that_cannot_invoice_and_bills_none(
        clean_engine, db_url, clock, actor, monkeypatch):
    with transaction(clean_engine) as s:
        tec = factories.operator(s, clock, actor, "technicophone")
        factories.offer(s, tec, "presel", "preselection", "10.00")
        _subscribed(s, clock, actor, tec, "presel")
        ozone = factories.operator(s, clock, actor, "ozone")
        tec.iban = tec.bic = ""
        ozone.postcode = ""
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    from clausier.cli.main import app

    result = CliRunner().invoke(app, ["billrun", "--period", "2026-11", "--today", "2026-11-24"])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "ozone.legal_identity: missing postcode" in output
    assert "technicophone.legal_identity: missing iban, bic" in output
    with transaction(clean_engine) as s:
        assert (_count(s, BillRun), _count(s, Invoice)) == (0, 0)


def test_the_api_refuses_a_bill_run_with_a_problem_naming_the_field_but_lets_it_draft(
        clean_engine, clock, actor):
    from fastapi.testclient import TestClient

    from tests.apps import app_for

    with transaction(clean_engine) as s:
        tec = factories.operator(s, clock, actor, "technicophone")
        tec.legal_name = ""
        user = accounts.create_user(s, clock, actor, email="billing@example.org", name="Billing",
                                    role="billing", password="long enough secret")
        s.flush()
        _, token = accounts.issue_token(s, clock, actor, user.id, "tests")
    client = TestClient(app_for(clean_engine, clock))
    headers = {"authorization": f"Bearer {token}"}
    refused = client.post("/api/v1/billruns", headers=headers,
                          json={"period": "2026-11", "operator": "technicophone"})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"] == [
        {"field": "technicophone.legal_identity",
         "reason": "missing legal_name (set them in the operator's price list)"}]
    drafted = client.post("/api/v1/billruns", headers=headers,
                          json={"period": "2026-11", "operator": "technicophone", "draft": True})
    assert drafted.status_code == 202
    # The drafting run goes on in a thread: it ends before the database is emptied.
    name = f"billrun-{drafted.json()['id']}"
    for worker in [t for t in threading.enumerate() if t.name == name]:
        worker.join(timeout=60)
    with transaction(clean_engine) as s:
        assert s.get(BillRun, drafted.json()["id"]).status == "completed"


def _pdf_text(invoice: Invoice, credited: Invoice | None = None) -> str:
    reader = pypdf.PdfReader(io.BytesIO(invoice_pdf(invoice, credited)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_a_business_invoice_prints_the_seller_the_transfer_details_and_the_mentions(
        session, clock, actor, tec, business):
    """TECHNICOPHONE CGV art. 2 L39-40 (identity), art. 10.4 L368-374 (25 days, no discount),
    art. 11.1 (late-payment penalties), C. com. art. L441-10, D441-5 (40 € indemnity)."""
    factories.subscription(session, clock, actor, business,
                           [LineInput(business.sites[0].id, "presel")],
                           signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    invoice = session.scalar(select(Invoice))
    text = _pdf_text(invoice)
    for printed in ("4, rue des Messagers", "ZA de Châtenay", "37210 Rochecorbon",
                    "SIREN 379341803 · SIRET 37934180300029",
                    "TVA intracommunautaire FR81379341803",
                    "Règlement : virement SEPA au compte de TECHNICOPHONE",
                    "IBAN FR76 3000 6000 0112 3456 7890 189 · BIC AGRIFRPPXXX",
                    f"Référence à rappeler : {invoice.number}",
                    "Pas d'escompte pour paiement anticipé",
                    "Indemnité forfaitaire pour frais de recouvrement : 40,00 €",
                    "Pénalités de retard"):
        assert printed in text, printed
    note = billing_invoices.credit_note(session, clock, actor, invoice.number, "Gesture",
                               amount=invoice.lines[0].amount)
    assert "Règlement" not in _pdf_text(note, invoice)          # a credit note asks no payment


def test_a_consumer_invoice_prints_the_direct_debit_mandate_and_creditor_identifier(
        session, clock, actor, ozone):
    """OZONE CGV art. 9.2 L262: monthly SEPA direct debit, in advance."""
    household = _subscribed(session, clock, actor, ozone, "pack-fibre", kind="household")
    sepa.set_creditor(session, clock, actor, "ozone", name="OZONE SAS",
                      iban="FR7630006000011234567890189", creditor_identifier="FR12ZZZ123456")
    sepa.add_mandate(session, clock, actor, household.ref, reference="RUM-OZ-0001",
                     signed_on=date(2026, 10, 1), iban="FR1420041010050500013M02606")
    billing_runs.bill_period(session, clock, actor, "2026-11", "ozone")
    invoice = session.scalar(select(Invoice))
    assert invoice.buyer["mandate_reference"] == "RUM-OZ-0001"
    text = _pdf_text(invoice)
    assert ("Règlement : prélèvement SEPA · Référence unique de mandat (RUM) : RUM-OZ-0001 · "
            "Identifiant créancier SEPA (ICS) : FR12ZZZ123456") in text
    assert "Prélevé à terme à échoir" in text and "IBAN" not in text


def test_business_terms_silent_on_a_discount_print_that_there_is_none(session, clock, actor):
    """Rozoh's terms say nothing of an early-payment discount: the invoice states there is none
    (C. com. art. L441-9), with the legal late-payment rate and the 40 € indemnity."""
    rozoh = factories.operator(session, clock, actor, "rozoh")
    factories.offer(session, rozoh, "pack-50", "intercom_pack", "0", kind="pack",
                    one_off_price="1490.00")
    _subscribed(session, clock, actor, rozoh, "pack-50")
    billing_runs.bill_period(session, clock, actor, "2026-11", "rozoh")
    mentions = {m["text"]: m["clause"] for m in session.scalar(select(Invoice)).mentions}
    assert mentions["Pas d'escompte pour paiement anticipé"] == "C. com. art. L441-9"
    assert mentions["Indemnité forfaitaire pour frais de recouvrement : 40,00\u00a0€"] == (
        "C. com. art. L441-10, D441-5")
