"""SEPA direct debit for Ozone (CGV art. 9.2 and 9.6): mandates, a pain.008 file valid against
the ISO 20022 schema, an AM04 return that reopens the invoice, adds the 8.00 € fee and sends the
first reminder by SMS and e-mail — delivered to a real SMTP server — then the suspension and the
second presentation one month after the first."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes
from email.policy import default

import pytest
import xmlschema
from lxml import etree

from clausier.billing.invoices import service as billing_invoices

from clausier.billing.runs import service as billing_runs
from clausier.billing.ledger.charges import pending_charges
from clausier.contracts import service as contracts
from clausier.core.clock import FixedClock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed
from clausier.notifications import outbox
from clausier.payments import daily, overview
from clausier.payments import invoices as invoice_reads
from clausier.payments.dunning import service as dunning
from clausier.payments.ledger import service as ledger
from clausier.notifications.models import OutboxMessage
from clausier.payments.sepa.files import PAIN008_SCHEMA
from clausier.payments.sepa import service as sepa
from tests.payments.helpers import billed_customer

IBAN_OZONE = "FR7630006000011234567890189"
IBAN_CUSTOMER = "FR1420041010050500013M02606"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


def ozone_customer(session, actor):
    """An Ozone household, fibre at 34.90 € TTC a month, debited in advance (CGV art. 9.2):
    the October invoice is due on its issue date, 3 October 2025."""
    billed = billed_customer(session, actor, "ozone", family="internet_fibre", monthly_fee="34.90",
                             go_live=date(2025, 10, 1), period="2025-10", issue_on=date(2025, 10, 3),
                             kind="household", name="Jeanne Durand", email="jeanne@example.org")
    clock = FixedClock.on(date(2025, 10, 3))
    sepa.set_creditor(session, clock, actor, "ozone", name="OZONE SAS", iban=IBAN_OZONE,
                      creditor_identifier="FR12ZZZ123456", prenotification_days=2)
    sepa.add_mandate(session, clock, actor, billed.customer.ref, reference="OZ-RUM-000001",
                     signed_on=date(2025, 9, 20), iban=IBAN_CUSTOMER)
    assert billed.invoice.total_ttc == Decimal("34.90") and billed.invoice.due_date == date(2025, 10, 3)
    return billed


def run_tick(session, actor, day: date) -> dict:
    return daily.tick(session, FixedClock.on(day), actor, day)


def export(session, actor, day: date) -> bytes:
    (collection,) = sepa.export_collections(session, FixedClock.on(day), actor, day)
    return collection.xml.encode("utf-8")


def test_mandate_iban_and_bic_are_checked_and_the_reference_is_unique(session, actor):
    billed = ozone_customer(session, actor)
    clock = FixedClock.on(date(2025, 10, 3))
    mandate = sepa.list_mandates(session, billed.customer.id)[0]
    assert mandate.bic == "PSSTFRPP"      # derived from the bank code 20041 (La Banque Postale)
    with pytest.raises(InvalidInput, match="iban: 'FR7630006000011234567890188' is not a valid IBAN"):
        sepa.add_mandate(session, clock, actor, billed.customer.ref, reference="OZ-RUM-2",
                         signed_on=date(2025, 9, 20), iban="FR7630006000011234567890188")
    with pytest.raises(Conflict, match="OZ-RUM-000001 already exists"):
        sepa.add_mandate(session, clock, actor, billed.customer.ref, reference="OZ-RUM-000001",
                         signed_on=date(2025, 9, 20), iban=IBAN_CUSTOMER)


def test_a_pain008_file_valid_against_the_schema_first_then_recurrent(session, actor):
    billed = ozone_customer(session, actor)
    assert run_tick(session, actor, date(2025, 10, 3))["scheduled"] == 1
    prenotification = outbox.list_messages(session, billed.customer.id)[0]
    assert prenotification.kind == "prenotification" and "05/10/2025" in prenotification.body
    xml = export(session, actor, date(2025, 10, 5))
    xmlschema.XMLSchema(str(PAIN008_SCHEMA)).validate(xml.decode())    # raises if invalid
    document = etree.fromstring(xml)
    assert document.findtext(".//p:SeqTp", namespaces=NS) == "FRST"
    assert document.findtext(".//p:MndtId", namespaces=NS) == "OZ-RUM-000001"
    assert document.findtext(".//p:DrctDbtTxInf/p:InstdAmt", namespaces=NS) == "34.90"
    assert document.findtext(".//p:ReqdColltnDt", namespaces=NS) == "2025-10-05"
    # exporting the same date again makes no second file
    assert export(session, actor, date(2025, 10, 5)) == xml
    run_tick(session, actor, date(2025, 10, 5))
    assert billing_invoices.get_invoice(session, billed.invoice.number).status == "paid"

    # November: the mandate has been presented, the sequence is recurrent
    billing_runs.bill_period(session, FixedClock.on(date(2025, 11, 3)), actor, "2025-11", "ozone",
                        customer_ids=[billed.customer.id])
    run_tick(session, actor, date(2025, 11, 3))
    xml = export(session, actor, date(2025, 11, 5))
    xmlschema.XMLSchema(str(PAIN008_SCHEMA)).validate(xml.decode())
    assert etree.fromstring(xml).findtext(".//p:SeqTp", namespaces=NS) == "RCUR"


@pytest.fixture
def smtp_server(smtp_inbox, monkeypatch):
    """A real SMTP server on a free local port, the one Clausier's settings point to."""
    monkeypatch.setenv("CLAUSIER_MAIL_FROM", "recouvrement@ozone.example")
    return smtp_inbox


def test_an_am04_return_reopens_the_invoice_adds_8_euros_and_sends_the_ozone_reminder(
        session, actor, tmp_path, smtp_server):
    billed = ozone_customer(session, actor)
    customer = billed.customer
    run_tick(session, actor, date(2025, 10, 3))
    export(session, actor, date(2025, 10, 5))
    run_tick(session, actor, date(2025, 10, 5))
    assert billing_invoices.get_invoice(session, billed.invoice.number).status == "paid"

    returns = tmp_path / "returns.csv"
    returns.write_text("end_to_end_id;reason_code;returned_on;amount\n"
                       f"{billed.invoice.number}-P1;AM04;2025-10-08;34,90\n", encoding="utf-8")
    clock = FixedClock.on(date(2025, 10, 8))
    report = sepa.import_returns(session, clock, actor, returns.read_bytes(), str(returns))
    assert report.accepted == 1 and report.ok

    # The invoice is open again, 8.00 € per rejection goes to the next invoice (CGV 9.2)
    invoice = billing_invoices.get_invoice(session, billed.invoice.number)
    assert invoice.status == "overdue" and invoice.amount_paid == 0
    (fee,) = pending_charges(session, customer.id)
    assert fee.source == "rejected_debit" and fee.amount == Decimal("8.00")
    assert "CGV art. 9.2" in fee.explanation["lines"][0]["clause"]

    # First reminder the same day by SMS and e-mail announcing a cut within 5 days (CGV 9.6)
    reminders = [m for m in outbox.list_messages(session, customer.id) if m.kind == "reminder"]
    assert sorted(m.channel for m in reminders) == ["email", "sms"]
    assert all(m.created_on == date(2025, 10, 8) for m in reminders)
    assert "5 jours" in reminders[0].body and "suspendre" in reminders[0].body

    # Delivered: the e-mail to the real SMTP server, the SMS through the default adapter
    counts = outbox.deliver(session, clock, actor)
    assert counts["failed"] == 0
    received = [(e.rcpt_tos, message_from_bytes(e.content, policy=default)) for e in smtp_server.messages]
    (to, mail), = [(to, m) for to, m in received if m["Subject"] == "OZONE : facture impayée"]
    assert to == ["jeanne@example.org"] and mail["From"] == "recouvrement@ozone.example"
    assert "prélèvement du 05/10/2025 a été rejeté" in mail.get_content()
    sms = next(m for m in reminders if m.channel == "sms")
    assert sms.status == "sent" and sms.provider_ref == "outbox" and sms.recipient == "+33612345678"

    # Importing the same file again changes nothing
    assert sepa.import_returns(session, clock, actor, returns.read_bytes()).accepted == 1
    assert len(pending_charges(session, customer.id)) == 1

    # Unpaid once the 5 days after the reminder of 8 October have run (they end on the 13th):
    # suspended from the 14th until paid (CGV 9.6 L272-274, reading OZ-DUNNING-CUT-START)
    for day in range(9, 14):
        run_tick(session, actor, date(2025, 10, day))
    assert contracts.get_subscription(session, billed.subscription_id).status == "active"
    run_tick(session, actor, date(2025, 10, 14))
    assert contracts.get_subscription(session, billed.subscription_id).status == "suspended"

    # One month after the first presentation, the debit is presented again (recurrent)
    for offset in range(1, 24):
        run_tick(session, actor, date(2025, 10, 14) + timedelta(days=offset))
    xml = export(session, actor, date(2025, 11, 5))
    document = etree.fromstring(xml)
    assert document.findtext(".//p:EndToEndId", namespaces=NS) == f"{billed.invoice.number}-P2"
    assert document.findtext(".//p:SeqTp", namespaces=NS) == "RCUR"

    # A new rejection brings the second reminder
    clock = FixedClock.on(date(2025, 11, 7))
    run_tick(session, actor, date(2025, 11, 6))       # collected…
    assert contracts.get_subscription(session, billed.subscription_id).status == "active"
    pain002 = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>R1</MsgId><CreDtTm>2025-11-07T08:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>X</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>X</OrgnlPmtInfId><TxInfAndSts>
<OrgnlEndToEndId>{billed.invoice.number}-P2</OrgnlEndToEndId><TxSts>RJCT</TxSts>
<StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf>
<OrgnlTxRef><Amt><InstdAmt Ccy="EUR">34.90</InstdAmt></Amt></OrgnlTxRef>
</TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>""".encode()
    assert sepa.import_returns(session, clock, actor, pain002).ok
    kinds = [m.kind for m in session.query(OutboxMessage).filter_by(customer_id=customer.id, channel="sms")]
    assert kinds == ["reminder", "reminder"]
    assert sorted(c.amount for c in pending_charges(session, customer.id)) == [Decimal("8.00"), Decimal("8.00")]


def test_a_returns_file_with_unknown_debits_is_reported_line_by_line(session, actor):
    ozone_customer(session, actor)
    report = sepa.import_returns(session, FixedClock.on(date(2025, 10, 8)), actor,
                                 b"end_to_end_id;reason_code;returned_on\nNOPE;AM04;2025-10-08\n"
                                 b"NOPE;AM04;08/10/2025\n")
    assert [str(p) for p in report.problems] == [
        "line 3: returned_on: '08/10/2025' is not YYYY-MM-DD", "line 2: end_to_end_id: no debit NOPE"]


def test_reconnecting_a_contract_terminated_for_unpaid_bills_rebills_its_access_fees(session, actor):
    """Ozone CGV art. 9.6 L280, reading OZ-RECONNECTION: after the account is settled."""
    billed = billed_customer(session, actor, "ozone", family="internet_fibre", monthly_fee="34.90",
                             go_live=date(2025, 10, 1), period="2025-10", issue_on=date(2025, 10, 3),
                             kind="household", name="Paul Martin", access_fee="49.00")
    clock = FixedClock.on(date(2025, 12, 1))
    ref = contracts.terminate_now(session, clock, actor, billed.subscription_id, date(2025, 12, 1),
                                  "unpaid").ref
    with pytest.raises(NotAllowed, match="still owed"):
        dunning.charge_reconnection(session, clock, actor, ref)
    ledger.record_payment(session, clock, actor, billed.customer.ref,
                          invoice_reads.owed(session, billed.customer.id), "card", date(2025, 12, 1))
    fees = dunning.charge_reconnection(session, clock, actor, ref)
    assert fees.total == Decimal("49.00")
    (charge,) = pending_charges(session, billed.customer.id)
    assert charge.source == "reconnection" and charge.amount == Decimal("49.00")


def test_an_invoice_paid_by_transfer_before_its_collection_is_not_debited(session, actor):
    billed = ozone_customer(session, actor)
    run_tick(session, actor, date(2025, 10, 3))
    clock = FixedClock.on(date(2025, 10, 4))
    ledger.record_payment(session, clock, actor, billed.customer.ref, "34.90", "transfer", date(2025, 10, 4))
    assert sepa.export_collections(session, FixedClock.on(date(2025, 10, 5)), actor, date(2025, 10, 5)) == []
    (debit,) = overview.collections(session, billed.customer.ref, date(2025, 10, 5)).debits
    assert debit.status == "cancelled"
