"""Recording payments on real invoices: allocation, overpayment credit, late interest and the
recovery indemnity (Technicophone CGV art. 10.4, 11.1), set-off after the notice (art. 10.4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from clausier.billing.invoices import service as billing_invoices

from clausier.billing.runs import service as billing_runs
from clausier.billing.ledger.charges import pending_charges
from clausier.core.clock import FixedClock
from clausier.core.errors import InvalidInput, NotAllowed
from clausier.payments.ledger import late_payment
from clausier.payments.ledger import service as ledger
from tests.payments.helpers import billed_customer


def technicophone_invoice(session, actor, **extra):
    """Technicophone, SIP trunk at 1 000.00 € HT a month: the October 2025 invoice of
    1 200.00 € TTC, issued on Friday 3 October, due on the 25th « jour » after it, a working day
    as CGV art. 2 L66-67 defines the word (art. 10.4 L368-372): Friday 7 November."""
    billed = billed_customer(session, actor, "technicophone", family="sip_trunk", monthly_fee="1000.00",
                             go_live=date(2025, 10, 1), period="2025-10", issue_on=date(2025, 10, 3),
                             **extra)
    assert billed.invoice.total_ttc == Decimal("1200.00")
    assert billed.invoice.due_date == date(2025, 11, 7)
    return billed


def test_an_invoice_paid_47_days_late_bears_interest_at_3_times_the_legal_rate_plus_40_euros(
        session, actor):
    """CGV art. 11.1: 3 × the legal rate in force at the invoice date (2025-H2, recorded 2.76 %),
    from the day after the due date (8 November) to the payment (24 December: 23 + 24 = 47 days),
    and the flat 40 € indemnity."""
    billed = technicophone_invoice(session, actor)
    clock = FixedClock.on(date(2025, 12, 24))
    late_payment.add_legal_rate(session, clock, actor, "2025-H2", "2.76")
    ledger.record_payment(session, clock, actor, billed.customer.ref, "1200.00", "transfer",
                          date(2025, 12, 24), "VIR 123")
    assert billing_invoices.get_invoice(session, billed.invoice.number).status == "paid"
    charges = {c.source: c for c in pending_charges(session, billed.customer.id)}
    interest = charges["late_interest"]
    # 1 200.00 × 3 × 2.76 % × 47 / 365 = 12.79
    assert interest.amount == Decimal("12.79")
    (line,) = interest.explanation["lines"]
    assert line["formula"].startswith("47 days × (3 × 2,76 %)") and line["formula"].endswith("/ 365")
    assert "CGV art. 11.1" in line["clause"] and "2025-H2 recorded 2,76 %" in line["clause"]
    assert charges["recovery_indemnity"].amount == Decimal("40.00")
    assert charges["recovery_indemnity"].explanation["lines"][0]["clause"] == "CGV art. 11.1 (L398-399)"
    assert interest.vat_rate == "exempt"


def test_a_late_payment_without_the_rate_of_the_half_year_says_which_rate_to_record(session, actor):
    billed = technicophone_invoice(session, actor)
    clock = FixedClock.on(date(2025, 12, 24))
    with pytest.raises(NotAllowed, match=r"2025-H2 is not recorded \(clausier rate add legal-interest"):
        ledger.record_payment(session, clock, actor, billed.customer.ref, "1200.00", "transfer",
                              date(2025, 12, 24))


def test_a_payment_on_time_is_allocated_and_an_overpayment_kept_as_a_credit(session, actor):
    billed = technicophone_invoice(session, actor)
    clock = FixedClock.on(date(2025, 10, 20))
    payment = ledger.record_payment(session, clock, actor, billed.customer.ref, "1250.00", "cheque",
                                    date(2025, 10, 20))
    assert [(a.invoice_number, a.amount) for a in payment.allocations] == [
        (billed.invoice.number, Decimal("1200.00"))]
    (credit,) = ledger.credits_of(session, billed.customer.id)
    assert credit.amount == Decimal("50.00") and credit.source == "overpayment"
    assert pending_charges(session, billed.customer.id) == []     # on time: no interest
    refund = ledger.refund_credit(session, clock, actor, credit.id, date(2025, 10, 21))
    assert refund.amount == Decimal("50.00") and credit.remaining == 0


def test_a_partial_payment_leaves_the_invoice_partly_paid(session, actor):
    billed = technicophone_invoice(session, actor)
    clock = FixedClock.on(date(2025, 10, 20))
    ledger.record_payment(session, clock, actor, billed.customer.ref, "200.00", "card", date(2025, 10, 20))
    assert billing_invoices.get_invoice(session, billed.invoice.number).status == "partly_paid"
    with pytest.raises(InvalidInput, match="method"):
        ledger.record_payment(session, clock, actor, billed.customer.ref, "1", "bitcoin", date(2025, 10, 20))


def test_set_off_of_a_credit_only_after_the_15_day_notice_cgv_10_4(session, actor):
    billed = technicophone_invoice(session, actor)
    clock = FixedClock.on(date(2025, 10, 5))
    other = billed_customer(session, actor, "technicophone", family="sip_trunk", monthly_fee="1000.00",
                            go_live=date(2025, 10, 1), period="2025-10", issue_on=date(2025, 10, 3),
                            name="Garage Dupont")
    ledger.record_payment(session, clock, actor, billed.customer.ref, "1300.00", "transfer", date(2025, 10, 5))
    # a later invoice of the same customer: November
    billing_runs.bill_period(session, FixedClock.on(date(2025, 11, 3)), actor, "2025-11",
                             "technicophone",
                        customer_ids=[billed.customer.id])
    notice = ledger.send_set_off_notice(session, clock, actor, billed.customer.ref)
    assert notice.sent_on == date(2025, 10, 5)
    # 15 jours ouvrés (CGV art. 2) from Sunday 5 October: 6–10, 13–17, 20–24 October; the
    # set-off from the day after (reading T-SET-OFF-NOTICE-START).
    with pytest.raises(NotAllowed, match=r"runs until 2025-10-24 \(15 business days\).*CGV art. 10.4"):
        ledger.offset_credits(session, FixedClock.on(date(2025, 11, 4)), actor, billed.customer.ref,
                              date(2025, 10, 19))
    (payment,) = ledger.offset_credits(session, FixedClock.on(date(2025, 11, 4)), actor,
                                       billed.customer.ref)
    assert payment.method == "set_off" and payment.amount == Decimal("100.00")
    assert ledger.credits_of(session, billed.customer.id)[0].remaining == 0
    assert ledger.credits_of(session, other.customer.id) == []
