"""The invoice as a document and through its doors: PDF with Factur-X, CLI, REST API, pages."""

from __future__ import annotations

import io
import json
import subprocess
import threading
import time
from datetime import date
from decimal import Decimal

import facturx
import pypdf
from lxml import etree
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from clausier.accounts import service as accounts
from clausier.billing.invoices import service as billing_invoices
from clausier.billing.runs import service as billing_runs
from clausier.billing.models import Invoice
from clausier.billing.documents.pdf import facturx_xml, invoice_pdf
from clausier.contracts.service import LineInput
from clausier.db.session import transaction
from tests import factories

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def _billed(session, clock, actor, business) -> Invoice:
    head_office, workshop = business.sites
    factories.subscription(session, clock, actor, business, [
        LineInput(workshop.id, "vga-analogue", 3), LineInput(workshop.id, "vga-management"),
        LineInput(head_office.id, "presel")], signed_on=date(2026, 10, 1), go_live_on=date(2026, 10, 15))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    return session.scalar(select(Invoice))


def test_the_pdf_embeds_a_factur_x_en16931_xml_that_the_library_validates(
        session, clock, actor, tec, business, tmp_path):
    """EN 16931 via Factur-X; the PDF renders to a legible page (checked as a PNG)."""
    invoice = _billed(session, clock, actor, business)
    document = invoice_pdf(invoice)
    _name, xml = facturx.get_facturx_xml_from_pdf(document, check_xsd=True)
    tree = etree.fromstring(xml)
    assert facturx.get_level(tree) == "en16931"
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    summation = tree.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    assert summation.findtext("ram:GrandTotalAmount", namespaces=NS) == str(invoice.total_ttc)
    line_totals = [Decimal(t.text) for t in tree.iterfind(".//ram:LineTotalAmount", NS)]
    assert sum(line_totals[:-1]) == Decimal(line_totals[-1]) == invoice.total_ht   # BR-CO-10
    assert tree.findtext(".//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID",
                         namespaces=NS) == "379341803"
    notes = [n.text for n in tree.iterfind(".//rsm:ExchangedDocument/ram:IncludedNote/ram:Content", NS)]
    assert any("40,00" in note for note in notes)
    pdf_path = tmp_path / "invoice.pdf"
    pdf_path.write_bytes(document)
    subprocess.run(["/usr/bin/pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf_path),
                    str(tmp_path / "page")], check=True)
    [png] = list(tmp_path.glob("page*.png"))
    page = Image.open(png).convert("L")
    dark = sum(page.histogram()[:128])
    assert page.width > 300 and dark > 2000          # text was drawn, the page is not blank
    text = subprocess.run(["/usr/bin/pdftotext", str(pdf_path), "-"], capture_output=True,
                          text=True).stdout
    # The prorata cites its clause, then the reading (the cell may wrap between the two).
    assert invoice.number in text and "CP I §7.2 (L1677-1679)" in text
    assert "T-PRORATA-FIRST-MONTH" in text
    # The document is French, its explanations too: go-live on 15 October, 17 of 31 days billed.
    assert "17/31 jours × 3 × 20,00 €" in text and "Vga Analogue — 2026-10 au prorata" in text
    # A Factur-X PDF/A-3: the XML is the catalogue's associated file (Data), and the XMP metadata
    # declares the Factur-X conformance level.
    reader = pypdf.PdfReader(io.BytesIO(document))
    [associated] = reader.trailer["/Root"]["/AF"]
    assert associated.get_object()["/AFRelationship"] == "/Data"
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert _pdfa_identification(xmp) == {"part": "3", "conformance": "B"}


def _pdfa_identification(xmp: bytes) -> dict[str, str]:
    """The PDF/A identification (pdfaid:) of an XMP packet, written as elements or attributes."""
    pdfaid = "http://www.aiim.org/pdfa/ns/id/"
    tree = etree.fromstring(xmp.split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0])
    found = {etree.QName(e).localname: e.text for e in tree.iter() if etree.QName(e).namespace == pdfaid}
    for element in tree.iter():
        found.update({etree.QName(name).localname: value for name, value in element.attrib.items()
                      if etree.QName(name).namespace == pdfaid})
    return found


def test_a_credit_note_references_its_invoice_in_factur_x(session, clock, actor, tec, business):
    invoice = _billed(session, clock, actor, business)
    note = billing_invoices.credit_note(session, clock, actor, invoice.number, "wrong quantity",
                               amount=Decimal("20"))
    session.flush()
    tree = etree.fromstring(facturx_xml(note, invoice))
    assert tree.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    assert tree.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
                         namespaces=NS) == invoice.number


def test_the_cli_bills_lists_shows_and_writes_the_pdf(clean_engine, db_url, clock, actor,
                                                     monkeypatch, tmp_path):
    from clausier.cli.main import app

    with transaction(clean_engine) as s:
        op = factories.operator(s, clock, actor, "technicophone")
        factories.offer(s, op, "presel", "preselection", "10.00")
        customer = factories.customer(s, clock, op, "Garage Moreau")
        factories.subscription(s, clock, actor, customer, [LineInput(customer.sites[0].id, "presel")],
                               signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    runner = CliRunner()
    result = runner.invoke(app, ["billrun", "--period", "2026-11", "--operator", "technicophone",
                                 "--today", "2026-11-24", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["first_number"] == "TEC-2026-000001"
    listed = json.loads(runner.invoke(app, ["invoice", "list", "--json"]).output)
    assert [i["number"] for i in listed] == ["TEC-2026-000001"]
    shown = json.loads(runner.invoke(app, ["invoice", "show", "TEC-2026-000001", "--json"]).output)
    assert shown["lines"][0]["clause"] == "CP II §7 (L2063-2064)"
    out = tmp_path / "f.pdf"
    assert runner.invoke(app, ["invoice", "pdf", "TEC-2026-000001", "-o", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b"%PDF")
    # Issue 21: the same document for an English reader; a language it is not written in is refused.
    english = tmp_path / "en.pdf"
    assert runner.invoke(app, ["invoice", "pdf", "TEC-2026-000001", "-o", str(english),
                               "--lang", "en"]).exit_code == 0
    from pypdf import PdfReader

    text = PdfReader(english).pages[0].extract_text()
    assert "Total incl. VAT to pay" in text and "Total TTC à payer" not in text
    refused = runner.invoke(app, ["invoice", "pdf", "TEC-2026-000001", "-o", str(english),
                                  "--lang", "de"])
    assert refused.exit_code == 2 and "--lang" in refused.output
    # Issue 21, "Ids instead of names": without -o the document is written under its number in
    # the current folder, and amounts print with the euro as everywhere else.
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["invoice", "pdf", "TEC-2026-000001"]).exit_code == 0
    assert (tmp_path / "TEC-2026-000001.pdf").read_bytes().startswith(b"%PDF")
    shown_text = runner.invoke(app, ["invoice", "show", "TEC-2026-000001"]).output
    assert "Total HT 10,00\u00a0€ · VAT 2,00\u00a0€ · TTC 12,00\u00a0€" in shown_text
    assert runner.invoke(app, ["index", "add", "001565192", "2026-12", "132.4"]).exit_code == 0
    bad = runner.invoke(app, ["billrun", "--period", "2026-13"])
    assert bad.exit_code == 2 and "period" in bad.output
    csv_text = runner.invoke(app, ["invoice", "export-csv"]).output
    assert csv_text.splitlines()[1].startswith("TEC-2026-000001;invoice;2026-11-24")


def test_the_pdfs_command_renders_a_period_in_parallel_processes(clean_engine, db_url, clock, actor,
                                                                monkeypatch, tmp_path):
    """``clausier invoice pdfs``: one Factur-X file per issued document, two worker processes."""
    from clausier.cli.main import app

    with transaction(clean_engine) as s:
        op = factories.operator(s, clock, actor, "technicophone")
        factories.offer(s, op, "presel", "preselection", "10.00")
        for name in ("Garage Moreau", "Boulangerie Roux", "Cabinet Lenoir"):
            customer = factories.customer(s, clock, op, name)
            factories.subscription(s, clock, actor, customer, [LineInput(customer.sites[0].id, "presel")],
                                   signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
        billing_runs.bill_period(s, clock, actor, "2026-11", "technicophone")
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["invoice", "pdfs", "--period", "2026-11", "-o",
                                      str(tmp_path / "pdfs"), "--workers", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["written"] == 3
    files = sorted(p.name for p in (tmp_path / "pdfs").iterdir())
    assert files == ["TEC-2026-000001.pdf", "TEC-2026-000002.pdf", "TEC-2026-000003.pdf"]
    _name, xml = facturx.get_facturx_xml_from_pdf((tmp_path / "pdfs" / files[2]).read_bytes(),
                                                  check_xsd=True)
    assert etree.fromstring(xml).findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NS) == files[2][:-4]
    none = CliRunner().invoke(app, ["invoice", "pdfs", "--period", "2026-10", "-o", str(tmp_path / "x")])
    assert none.exit_code == 2 and "no issued document" in none.output


def test_the_api_lists_invoices_serves_the_pdf_and_runs_a_bill_run(clean_engine, clock, actor):
    from fastapi.testclient import TestClient

    from tests.apps import app_for

    with transaction(clean_engine) as s:
        op = factories.operator(s, clock, actor, "technicophone")
        factories.offer(s, op, "presel", "preselection", "10.00")
        for name in ("Garage Moreau", "Cabinet Petit"):
            customer = factories.customer(s, clock, op, name)
            factories.subscription(s, clock, actor, customer, [LineInput(customer.sites[0].id, "presel")],
                                   signed_on=date(2026, 10, 1), go_live_on=date(2026, 11, 1))
        user = accounts.create_user(s, clock, actor, email="billing@example.org", name="Billing",
                                    role="billing", password="long enough secret")
        s.flush()
        _, token = accounts.issue_token(s, clock, actor, user.id, "tests")
    client = TestClient(app_for(clean_engine, clock))
    headers = {"authorization": f"Bearer {token}"}
    started = client.post("/api/v1/billruns", json={"period": "2026-11", "operator": "technicophone"},
                          headers=headers)
    assert started.status_code == 202
    # Wait for the background run (a token request writes, which SQLite would make wait).
    name = f"billrun-{started.json()['id']}"
    for _ in range(500):
        workers = [t for t in threading.enumerate() if t.name == name]
        if workers:
            workers[0].join(timeout=60)
            break
        time.sleep(0.01)
    run = client.get(started.json()["href"], headers=headers).json()
    assert (run["status"], run["invoices"], run["customers_done"]) == ("completed", 2, 2)
    invoices = client.get("/api/v1/invoices", headers=headers).json()
    assert sorted(i["number"] for i in invoices) == ["TEC-2026-000001", "TEC-2026-000002"]
    detail = client.get("/api/v1/invoices/TEC-2026-000001", headers=headers).json()
    assert detail["lines"][0]["explanation"]["lines"][0]["clause"] == "CP II §7 (L2063-2064)"
    pdf = client.get("/api/v1/invoices/TEC-2026-000001/pdf", headers=headers)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    english = client.get("/api/v1/invoices/TEC-2026-000001/pdf?lang=en", headers=headers)
    from pypdf import PdfReader

    assert "Total incl. VAT to pay" in PdfReader(io.BytesIO(english.content)).pages[0].extract_text()
    credit = client.post("/api/v1/invoices/TEC-2026-000001/credit-notes", headers=headers,
                         json={"reason": "duplicate"})
    assert credit.status_code == 201 and credit.json()["number"] == "TEC-AV-2026-000001"
    missing = client.get("/api/v1/invoices/NOPE", headers=headers)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    page = client.get("/billing/invoices/TEC-2026-000002", headers=headers)
    assert page.status_code == 200 and "CP II §7 (L2063-2064)" in page.text
    assert "<td>20 %</td>" in page.text.replace("\u202f", " ").replace("\xa0", " ")   # the line's VAT rate
    listing = client.get("/billing/invoices?status=cancelled", headers=headers)
    assert "TEC-2026-000001" in listing.text and "TEC-2026-000002" not in listing.text
    progress = client.get(f"/billing/runs/{run['id']}/progress", headers=headers)
    assert "hx-get" not in progress.text          # finished: the page stops polling
    exported = client.get("/billing/invoices.csv", headers=headers)
    assert "TEC-AV-2026-000001;credit_note" in exported.text


def test_the_demo_bills_every_operator_and_its_invoices_make_valid_factur_x(demo_session, clock,
                                                                           actor, en16931_fatal):
    """The demo's bill runs (three months) on the demo customers; loading again bills nothing.
    The first invoice of each operator passes the official EN 16931 Schematron; Ozone's are paid
    by SEPA direct debit (OZONE CGV art. 9.2 L262), with the household's mandate."""
    from clausier.billing.demo import load_demo as load_billing

    count = len(_all(demo_session))
    assert load_billing(demo_session, clock, actor) == "0 invoice(s)"
    invoices = _all(demo_session)
    assert len(invoices) == count and {i.series for i in invoices} >= {"TEC", "OZO"}
    for invoice in (invoices[0], next(i for i in invoices if i.price_basis == "TTC")):
        assert sum(line.amount for line in invoice.lines) == (
            invoice.total_ht if invoice.price_basis == "HT" else invoice.total_ttc)
        assert facturx.xml_check_xsd(facturx_xml(invoice), flavor="factur-x", level="en16931")
    for series in sorted({i.series for i in invoices}):
        first = next(i for i in invoices if i.series == series)
        assert en16931_fatal(facturx_xml(first)) == [], first.number
    ozone = next(i for i in invoices if i.series == "OZO")
    settlement = etree.fromstring(facturx_xml(ozone)).find(
        ".//ram:ApplicableHeaderTradeSettlement", NS)
    assert settlement.findtext("ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
                               namespaces=NS) == "59"
    assert settlement.findtext("ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID",
                               namespaces=NS) == f"RUM-{ozone.buyer['ref']}"


def _all(session) -> list[Invoice]:
    return list(session.scalars(select(Invoice).order_by(Invoice.id)))


def test_a_control_character_pasted_in_a_name_still_renders(session, clock, actor, tec, business,
                                                            tmp_path):
    """A character XML forbids (a vertical tab pasted in a customer's name) reaches the page
    through JSON: the name still prints, its two words legible (on a draft's page: the Factur-X
    XML of an issued invoice cannot carry it)."""
    invoice = _billed(session, clock, actor, business)
    assert invoice.lines
    session.expunge(invoice)
    invoice.number, invoice.buyer = None, {**invoice.buyer, "name": "Dupont\x0bSARL"}
    path = tmp_path / "page.pdf"
    path.write_bytes(invoice_pdf(invoice))
    text = subprocess.run(["/usr/bin/pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "Dupont" in text and "SARL" in text


def test_a_french_pdf_renders_the_lines_from_their_message_ids(session, clock, actor, tec, business):
    """TECHNICOPHONE CP I §7.2 (seed 001 L1677-1679): « La première facture du Service sur un
    Site inclura les abonnements au prorata temporis » — three VGA analogue lines live from
    15 October: 17 of October's 31 days. The stored line keeps its message ids; the French
    document renders them from the explain catalogue, the English one is the stored text."""
    from clausier.billing.documents.page import invoice_page

    def page_text(language: str) -> str:
        return json.dumps(invoice_page(invoice, None, language, "Facture", {}),
                          ensure_ascii=False)
    invoice = _billed(session, clock, actor, business)
    session.flush()
    prorata = next(line for line in invoice.lines if line.label == "Vga Analogue — 2026-10 prorata")
    assert prorata.explanation["label_message"] == {
        "id": "{label} — {when} prorata", "params": {"label": "Vga Analogue", "when": "2026-10"}}
    assert prorata.explanation["lines"][0]["formula"] == "17/31 days × 3 × 20,00\xa0€"
    french = page_text("fr")
    assert "Vga Analogue — 2026-10 au prorata" in french
    assert "17/31 jours × 3 × 20,00\xa0€ — CP I §7.2 (L1677-1679)" in french
    assert "2026-10 prorata" not in french and "days ×" not in french
    english = page_text("en")
    assert "Vga Analogue — 2026-10 prorata" in english and "17/31 days × 3 × 20,00" in english


def test_an_invoice_issued_at_a_fraction_of_a_second_renders(session, clock, actor, tec, business):
    """An invoice issued by a bill run from the web app is stamped with the clock's microseconds;
    the PDF is dated to the second, as a PDF date is written."""
    invoice = _billed(session, clock, actor, business)
    assert invoice.lines
    session.expunge(invoice)                 # an issued invoice is not changed in the database
    invoice.issued_at = (invoice.issued_at or invoice.created_at).replace(microsecond=123456)
    assert invoice_pdf(invoice).startswith(b"%PDF-")
