"""Deposits (Technicophone CGV art. 11.5) and disputes of usage invoices (CGV art. 11.3, 11.4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clausier.billing.invoices import service as billing_invoices

from clausier.billing.runs import service as billing_runs
from clausier.billing.ledger.charges import pending_charges
from clausier.contracts import service as contracts
from clausier.core.clock import FixedClock
from clausier.core.errors import InvalidInput, NotAllowed
from clausier.notifications import outbox
from clausier.payments import daily
from clausier.payments import invoices as invoice_reads
from clausier.payments.deposits import service as deposits
from clausier.payments.disputes import service as disputes
from clausier.payments.dunning import service as dunning
from clausier.payments.ledger import late_payment
from clausier.payments.ledger import service as ledger
from clausier.notifications.models import OutboxMessage
from tests.payments.helpers import billed_customer
from tests.payments.test_dunning import letter_text
from tests.payments.test_payments import technicophone_invoice


def test_a_deposit_suspends_until_provided_is_drawn_after_8_days_and_released_2_months_after_the_end(
        session, actor):
    billed = technicophone_invoice(session, actor)
    customer, ref = billed.customer, billed.customer.ref
    clock = FixedClock.on(date(2025, 10, 3))
    late_payment.add_legal_rate(session, clock, actor, "2025-H2", "2.76")
    with pytest.raises(InvalidInput, match="ground: 'bad_mood' is not one of"):
        deposits.request_deposit(session, clock, actor, ref, amount="500", ground="bad_mood",
                                 due_on=date(2025, 10, 10))
    deposit = deposits.request_deposit(session, clock, actor, ref, amount="500.00",
                                       ground="payment_incident_or_delay", due_on=date(2025, 10, 10))
    assert deposit.clause == "CGV art. 11.5 (L421-430)"

    # Not provided by its date: the service is suspended until it is (CGV 11.5 L424-427)
    daily.tick(session, FixedClock.on(date(2025, 10, 11)), actor, date(2025, 10, 11))
    assert contracts.get_subscription(session, billed.subscription_id).status == "suspended"
    deposits.provide_deposit(session, clock, actor, deposit.id, date(2025, 10, 12))
    assert contracts.get_subscription(session, billed.subscription_id).status == "active"
    assert deposit.held == Decimal("500.00") and deposit.status == "held"

    # The invoice, due on Friday 7 November (the 25th jour ouvré after 3 October, CGV art. 10.4
    # and art. 2 L66-67), is unpaid: formal notice on Saturday 8 November; the deposit may be drawn
    # once it has stayed unanswered 8 jours ouvrés from its sending (CGV 11.5 L430-433): 10, 12–14
    # and 17–20 November (11 November a holiday), so from Friday 21 November.
    daily.tick(session, FixedClock.on(date(2025, 11, 8)), actor, date(2025, 11, 8))
    with pytest.raises(NotAllowed, match="not been unanswered 8 business days yet"):
        deposits.draw_deposit(session, FixedClock.on(date(2025, 11, 20)), actor, deposit.id)
    payment = deposits.draw_deposit(session, FixedClock.on(date(2025, 11, 21)), actor, deposit.id)
    assert payment.method == "deposit" and payment.amount == Decimal("500.00")
    assert billing_invoices.get_invoice(session, billed.invoice.number).status == "partly_paid"
    assert deposit.held == 0 and deposit.status == "drawn"
    letter = session.get(OutboxMessage, deposit.draw_letter_id)
    assert "Appel du dépôt de garantie" in letter_text(letter)

    # Replenish within 15 jours ouvrés of the letter's receipt, else deemed late (CGV 11.5
    # L433-436): received Wednesday 26 November → 27, 28 November, 1–5, 8–12, 15–17 December.
    dunning.record_letter_receipt(session, FixedClock.on(date(2025, 11, 26)), actor, letter.id,
                                  date(2025, 11, 26))
    assert deposit.replenish_by == date(2025, 12, 17)
    daily.tick(session, FixedClock.on(date(2025, 12, 17)), actor, date(2025, 12, 17))
    assert not deposit.replenishment_late
    daily.tick(session, FixedClock.on(date(2025, 12, 18)), actor, date(2025, 12, 18))
    assert deposit.replenishment_late

    # The customer pays the rest and replenishes; the contract later ends on 31 December
    clock = FixedClock.on(date(2025, 12, 19))
    ledger.record_payment(session, clock, actor, ref, "700.00", "transfer", date(2025, 12, 19))
    deposits.provide_deposit(session, clock, actor, deposit.id, date(2025, 12, 19))
    assert deposit.status == "held" and not deposit.replenishment_late
    contracts.terminate_now(session, clock, actor, billed.subscription_id, date(2025, 12, 31),
                            "end of term")
    # the late-payment charges are billed and paid: nothing is owed any more
    billing_runs.bill_period(session, FixedClock.on(date(2025, 12, 19)), actor, "2025-12",
                             "technicophone",
                        customer_ids=[customer.id])
    assert pending_charges(session, customer.id) == []
    ledger.record_payment(session, clock, actor, ref, invoice_reads.owed(session, customer.id), "transfer",
                          date(2025, 12, 20))
    assert invoice_reads.owed(session, customer.id) == 0

    # Released two months after the end (CGV 11.5 L437-439): a credit to refund
    with pytest.raises(NotAllowed, match="released from 2026-02-28"):
        deposits.release_deposit(session, FixedClock.on(date(2026, 2, 27)), actor, deposit.id)
    counts = daily.tick(session, FixedClock.on(date(2026, 2, 28)), actor, date(2026, 2, 28))
    assert counts["deposits_released"] == 1
    assert deposit.status == "released" and deposit.released_on == date(2026, 2, 28)
    credit = next(c for c in ledger.credits_of(session, customer.id) if c.source == "deposit")
    assert credit.amount == Decimal("500.00")
    refund = ledger.refund_credit(session, FixedClock.on(date(2026, 3, 2)), actor, credit.id,
                                  date(2026, 3, 2), reference="VIR-REMB-1")
    assert refund.amount == Decimal("500.00")


def usage_invoice(session, actor):
    """SIP trunk 1 000.00 € HT and 100.00 € HT of calls: 1 320.00 € TTC, due 28 October 2025."""
    billed = billed_customer(session, actor, "technicophone", family="sip_trunk", monthly_fee="1000.00",
                             go_live=date(2025, 10, 1), period="2025-10", issue_on=date(2025, 10, 3),
                             usage="100.00")
    assert billed.invoice.total_ttc == Decimal("1320.00")
    assert any(line.kind == "usage" for line in billed.invoice.lines)
    return billed


def dispute_120(session, actor, billed, received_on: date, channel: str = "registered_letter",
                reason: str | None = "calls not made"):
    """The customer disputes 120.00 € TTC of the usage invoice, received on ``received_on``."""
    extra = {"reason": reason} if reason else {}
    return disputes.record_dispute(session, FixedClock.on(received_on), actor, billed.invoice.number,
                                   received_on=received_on, channel=channel, amount="120.00", **extra)


def dispute_answer(session, billed):
    """The letter answering the customer's dispute, from the outbox."""
    return next(m for m in outbox.list_messages(session, billed.customer.id) if m.kind == "dispute_answer")


def test_a_dispute_received_on_business_day_11_is_rejected_cgv_11_3(session, actor):
    # Invoice received Friday 3 October 2025; ten jours ouvrés (CGV art. 2: a "jour" is a jour
    # ouvré) end on Friday 17 October; the letter of Monday 20 October is on day 11.
    billed = usage_invoice(session, actor)
    dispute = dispute_120(session, actor, billed, date(2025, 10, 20))
    assert dispute.status == "rejected"
    assert dispute.decision["reasons"] == [
        "received on day 11 (business days) after the invoice's receipt; the window is "
        "10 business days (until 2025-10-17)"]
    assert dispute.decision["clauses"] == ["CGV art. 11.3 (L406-409); CGV art. 2 (L66-67)"]
    answer = dispute_answer(session, billed)
    assert "n'est pas recevable" in answer.body
    # The customer reads why in French, the window's unit included (« jours ouvrés », CGV art. 2).
    assert ("reçue le 11e jour (jours ouvrés) après la réception de la facture ; le délai est de "
            "10 jours ouvrés (jusqu’au 2025-10-17)") in answer.body


def test_a_dispute_sent_by_the_wrong_channel_is_answered_in_french_naming_the_channel(session, actor):
    # CGV art. 11.3 (L406-409): « par lettre recommandée avec avis de réception »; one sent by e-mail within the window
    # is refused for that reason alone, and the French answer names both channels in French.
    billed = usage_invoice(session, actor)
    dispute = dispute_120(session, actor, billed, date(2025, 10, 10), channel="email")
    assert dispute.decision["reasons"] == ["sent by email; the terms require registered letter"]
    answer = dispute_answer(session, billed)
    assert "envoyée par e-mail ; les conditions exigent : lettre recommandée" in answer.body


def test_an_admissible_dispute_holds_back_only_its_part_and_once_rejected_bears_interest_from_the_due_date(
        session, actor):
    billed = usage_invoice(session, actor)
    ref = billed.customer.ref
    late_payment.add_legal_rate(session, FixedClock.on(date(2025, 10, 3)), actor, "2025-H2", "2.76")
    clock = FixedClock.on(date(2025, 10, 13))
    dispute = dispute_120(session, actor, billed, date(2025, 10, 13))
    assert dispute.status == "open"
    # The undisputed part stays due at the due date (CGV 11.4): paid on time, no ladder
    ledger.record_payment(session, clock, actor, ref, "1200.00", "transfer", date(2025, 10, 27))
    # Issued Friday 3 October, due on the 25th jour ouvré (CGV art. 10.4, art. 2): 7 November.
    daily.tick(session, FixedClock.on(date(2025, 11, 8)), actor, date(2025, 11, 8))
    assert dunning.open_case_of(session, billed.customer.id) is None

    # Rejected on 22 November: the 120.00 € withheld is late since 8 November, the day after the
    # due date (CGV 11.3, 11.1): 8 to 22 November
    clock = FixedClock.on(date(2025, 11, 22))
    disputes.decide_dispute(session, clock, actor, dispute.id, accept=False, note="calls proven by CDRs")
    assert dunning.open_case_of(session, billed.customer.id) is not None
    ledger.record_payment(session, clock, actor, ref, "120.00", "transfer", date(2025, 11, 22))
    interest = next(c for c in pending_charges(session, billed.customer.id) if c.source == "late_interest")
    # 15 days × (3 × 2.76 %) × 120.00 / 365 = 0.41
    assert interest.amount == Decimal("0.41")
    assert interest.explanation["lines"][0]["formula"].startswith("15 days")


def test_an_accepted_dispute_is_settled_by_a_credit_note(session, actor):
    billed = usage_invoice(session, actor)
    clock = FixedClock.on(date(2025, 10, 10))
    dispute = dispute_120(session, actor, billed, date(2025, 10, 10), reason=None)
    disputes.decide_dispute(session, clock, actor, dispute.id, accept=True)
    note = billing_invoices.get_invoice(session, dispute.credit_note_number)
    assert note.kind == "credit_note" and note.total_ht == Decimal("100.00")
    assert note.total_ttc == Decimal("120.00")
    ledger.record_payment(session, clock, actor, billed.customer.ref, "1200.00", "transfer",
                          date(2025, 10, 20))
    assert billing_invoices.get_invoice(session, billed.invoice.number).status == "paid"
