"""The official EN 16931 CII Schematron (CEN/TC 434 validation artefacts 1.3.16) accepts the
Factur-X XML of the invoices and credit notes of the three operators, billed through the product
on their built-in price lists and legal identities."""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree
from sqlalchemy import select

from clausier.billing.invoices import service as billing_invoices

from clausier.billing.runs import service as billing_runs
from clausier.billing.models import Invoice
from clausier.billing.documents.pdf import facturx_xml
from clausier.catalog import service as catalog
from clausier.contracts.service import LineInput
from clausier.payments.sepa import service as sepa
from clausier.terms import service as terms
from tests import factories
from tests.billing.conftest import EN16931_CII

ICS = "FR12ZZZ123456"       # a SEPA creditor identifier (the payments tests' and the demo's)
NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


@pytest.fixture
def built_in(session, clock, actor):
    """The three operators as shipped: term sheets and price lists (legal identity included)."""
    terms.load_built_in_sheets(session, clock, actor)
    catalog.load_built_in_catalogs(session, clock, actor)


def _bill_and_credit(session, clock, actor, operator: str, customer_kind: str, offer: str
                     ) -> tuple[Invoice, Invoice]:
    op = catalog.get_operator(session, operator)
    customer = factories.customer(session, clock, op, f"Client {operator}", kind=customer_kind)
    if customer_kind == "company":
        customer.siren, customer.vat_number = "552100554", "FR40552100554"
    customer.billing_address = "8 quai Paul Bert\n37100 Tours"
    if operator == "ozone":     # consumers pay by SEPA direct debit (OZONE CGV art. 9.2 L262)
        sepa.set_creditor(session, clock, actor, "ozone", name="OZONE SAS",
                          iban="FR7630006000011234567890189", creditor_identifier=ICS)
        sepa.add_mandate(session, clock, actor, customer.ref, reference=f"RUM-{customer.ref}",
                         signed_on=date(2026, 9, 20), iban="FR1420041010050500013M02606")
    factories.subscription(session, clock, actor, customer,
                           [LineInput(customer.sites[0].id, offer)],
                           signed_on=date(2026, 10, 1), go_live_on=date(2026, 10, 1))
    billing_runs.bill_period(session, clock, actor, "2026-11", operator)
    invoice = session.scalar(select(Invoice).where(Invoice.customer_id == customer.id))
    note = billing_invoices.credit_note(session, clock, actor, invoice.number, "Commercial gesture",
                               amount=invoice.lines[0].amount / 2)
    return invoice, note


@pytest.mark.parametrize(("operator", "customer_kind", "offer"), [
    ("technicophone", "company", "vga_analogue_line"),
    ("ozone", "household", "fibre_300m"),
    ("rozoh", "company", "intercom_pack_50"),
])
def test_invoices_and_credit_notes_pass_the_official_en16931_schematron(
        session, clock, actor, built_in, en16931_fatal, operator, customer_kind, offer):
    invoice, note = _bill_and_credit(session, clock, actor, operator, customer_kind, offer)
    assert en16931_fatal(facturx_xml(invoice)) == []
    assert en16931_fatal(facturx_xml(note, invoice)) == []


def _seller_and_payment(xml: bytes) -> dict:
    tree = etree.fromstring(xml)
    seller = tree.find(".//ram:SellerTradeParty", NS)
    settlement = tree.find(".//ram:ApplicableHeaderTradeSettlement", NS)
    address = seller.find("ram:PostalTradeAddress", NS)
    legal_id = seller.find("ram:SpecifiedLegalOrganization/ram:ID", NS)
    return {
        "name": seller.findtext("ram:Name", namespaces=NS),
        "siren": (legal_id.text, legal_id.get("schemeID")),
        "vat": seller.findtext("ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
                               namespaces=NS),
        "address": [address.findtext(f"ram:{tag}", namespaces=NS) for tag in
                    ("LineOne", "LineTwo", "PostcodeCode", "CityName", "CountryID")],
        "means": settlement.findtext("ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
                                     namespaces=NS),
        "iban": settlement.findtext(".//ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
                                    namespaces=NS),
        "bic": settlement.findtext(".//ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
                                   namespaces=NS),
        "creditor": settlement.findtext("ram:CreditorReferenceID", namespaces=NS),
        "mandate": settlement.findtext("ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID",
                                       namespaces=NS),
    }


def test_technicophone_invoices_carry_its_identity_from_the_cgv_and_a_transfer(
        session, clock, actor, built_in):
    """CGV art. 2 L39-40: « TECHNICOPHONE (RCS 379 341 803 00029) domiciliée 4, Rue des
    Messagers – ZA de Châtenay –37210 Rochecorbon »; the SIREN is the SIRET's first nine digits
    and the VAT number FR81 379341803 is computed from it. Paid by transfer (CGV art. 10.4)."""
    invoice, _note = _bill_and_credit(session, clock, actor, "technicophone", "company",
                                      "vga_analogue_line")
    assert _seller_and_payment(facturx_xml(invoice)) == {
        "name": "TECHNICOPHONE", "siren": ("379341803", "0002"), "vat": "FR81379341803",
        "address": ["4, rue des Messagers", "ZA de Châtenay", "37210", "Rochecorbon", "FR"],
        "means": "58", "iban": "FR7630006000011234567890189", "bic": "AGRIFRPPXXX",
        "creditor": None, "mandate": None}


def test_ozone_invoices_carry_the_mandate_and_the_creditor_identifier(session, clock, actor,
                                                                    built_in):
    """OZONE CGV art. 9.2 L262: paid by SEPA direct debit: code 59, the mandate reference
    (BT-89) and the creditor identifier (BT-90); the address of CGV art. 7.5 L213."""
    invoice, note = _bill_and_credit(session, clock, actor, "ozone", "household", "fibre_300m")
    found = _seller_and_payment(facturx_xml(invoice))
    assert (found["name"], found["address"]) == (
        "OZONE SAS", ["53, avenue de la Pierre Vallée", "ZA de l'Estuaire", "50220", "Poilley",
                      "FR"])
    assert (found["means"], found["mandate"], found["creditor"], found["iban"]) == (
        "59", f"RUM-{invoice.buyer['ref']}", ICS, None)
    assert _seller_and_payment(facturx_xml(note, invoice))["means"] is None   # nothing to pay


def test_the_schematron_harness_finds_a_broken_rule(en16931_fatal):
    """Positive control: the official example passes; without its seller VAT identifier (BT-31)
    its standard-rated lines break BR-S-02."""
    example = (EN16931_CII.parent / "CII_example1.xml").read_bytes()
    assert en16931_fatal(example) == []
    tree = etree.fromstring(example)
    seller = tree.find(".//ram:SellerTradeParty", NS)
    for registration in seller.findall("ram:SpecifiedTaxRegistration", NS):
        seller.remove(registration)
    assert {rule.split(":")[0] for rule in en16931_fatal(etree.tostring(tree))} == {"BR-S-02"}
