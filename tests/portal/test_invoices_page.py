"""The portal's invoices: the customer's issued invoices and credit notes, each downloadable as a
Factur-X PDF (its XML inside) or as the XML alone — its own only, never a draft."""

from __future__ import annotations

import io
from datetime import date

from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader

from clausier.billing.models import Invoice
from clausier.db.session import transaction
from clausier.portal import service
from tests.conftest import log_in
from tests.security.world import PASSWORD, as_customer_a, browser, world, world_app  # noqa: F401

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def _numbers(engine, customer_id: int) -> tuple[list[str], list[str]]:
    with transaction(engine) as s:
        documents = (s.query(Invoice).filter(Invoice.customer_id == customer_id)
                     .order_by(Invoice.id).all())
        return ([i.number for i in documents if i.status != "draft"],
                [i.number for i in documents if i.status == "draft" and i.number])


def test_the_customer_lists_and_downloads_its_own_invoices_only(world, engine, browser):
    """A Technicophone invoice is due 25 days after its issue (CGV art. 10.4 L368-372); the PDF
    carries the Factur-X XML of that invoice, which the factur-x library validates."""
    own, _drafts = _numbers(engine, world.customer_a)
    others, _ = _numbers(engine, world.customer_b)
    assert own and others, "the demo customers have no issued invoice: the test would prove nothing"
    assert log_in(browser, world.user_a_email, PASSWORD).status_code == 303
    page = browser.get("/portal/invoices")
    assert page.status_code == 200 and "Mes factures" in page.text
    assert all(number in page.text for number in own)
    assert not any(number in page.text for number in others)
    assert "/portal/invoices" in browser.get("/portal").text        # in the portal's navigation

    with transaction(engine) as s:
        invoice, _credited = service.invoice_of_customer(s, world.customer_a, own[0])
        if invoice.seller.get("name", "").upper().startswith("TECHNICOPHONE"):
            # The demo's first bill run is on 1 September 2026; 25 jours ouvrés after it (CGV
            # art. 10.4, art. 2: Monday to Friday, no public holiday in between): 6 October.
            assert (invoice.issue_date, invoice.due_date) == (date(2026, 9, 1), date(2026, 10, 6))
        due = invoice.due_date
    pdf = browser.get(f"/portal/invoices/{own[0]}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    _name, xml = get_facturx_xml_from_pdf(pdf.content)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    # Issue 21: the download follows the page's language; the Factur-X XML stays the same.
    browser.get("/lang/en")
    english = browser.get(f"/portal/invoices/{own[0]}/pdf").content
    assert "Total incl. VAT to pay" in PdfReader(io.BytesIO(english)).pages[0].extract_text()
    assert get_facturx_xml_from_pdf(english)[1] == xml
    browser.get("/lang/fr")
    tree = etree.fromstring(xml)
    assert tree.xpath("string(rsm:ExchangedDocument/ram:ID)", namespaces=NS) == own[0]
    assert due.strftime("%Y%m%d") in xml.decode()
    alone = browser.get(f"/portal/invoices/{own[0]}/facturx.xml")
    assert alone.status_code == 200 and alone.content == xml

    for number in others[:3]:
        assert browser.get(f"/portal/invoices/{number}/pdf").status_code == 404
        assert browser.get(f"/portal/invoices/{number}/facturx.xml").status_code == 404
    assert browser.get(f"/portal/invoices/{own[0]}/other").status_code == 404


def test_the_portal_api_lists_the_customers_invoices_only(world, engine, as_customer_a):
    own, _ = _numbers(engine, world.customer_a)
    others, _ = _numbers(engine, world.customer_b)
    listed = as_customer_a.get("/api/v1/portal/invoices").json()
    assert sorted(i["number"] for i in listed) == sorted(own)
    assert as_customer_a.get(f"/api/v1/portal/invoices/{others[0]}/pdf").status_code == 404
    assert as_customer_a.get(f"/api/v1/portal/invoices/{own[0]}/pdf").content.startswith(b"%PDF-")
