"""Pure rules of payments, read from the built-in sheets (Technicophone CGV art. 8.4, 10.4, 11;
Ozone CGV art. 9.2, 9.6), with Hypothesis for the allocation and the ladder's invariants."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausier.core.errors import RuleRefusal
from clausier.payments import rules
from clausier.payments.rules import CaseFacts, OpenInvoice, StepHistory
from clausier.terms.loader import built_in_sheets

SHEETS = {sheet.id: sheet for sheet in built_in_sheets()}
TECHNICOPHONE = SHEETS["technicophone"].general
OZONE = SHEETS["ozone"].general
RATE_2025_H2 = rules.LegalRate("2025-H2", Decimal("2.76"))   # as the operator records it


def invoice(id_: int, due: date, outstanding: str, total: str | None = None, **extra) -> OpenInvoice:
    return OpenInvoice(id_, f"TEC-2025-{id_:06d}", due - timedelta(days=25), due,
                       Decimal(total or outstanding), Decimal(outstanding), **extra)


# --------------------------------------------------------------------------- allocation


def test_a_payment_goes_to_the_oldest_invoices_and_the_rest_is_a_credit():
    plan = rules.allocate(Decimal("1500.00"), [invoice(2, date(2025, 11, 28), "1200.00"),
                                               invoice(1, date(2025, 10, 28), "240.00")])
    assert plan.allocations == ((1, Decimal("240.00")), (2, Decimal("1200.00")))
    assert plan.unallocated == Decimal("60.00")


def test_a_payment_for_named_invoices_goes_to_them_only():
    plan = rules.allocate(Decimal("100.00"), [invoice(1, date(2025, 10, 28), "240.00"),
                                              invoice(2, date(2025, 11, 28), "1200.00")], [2])
    assert plan.allocations == ((2, Decimal("100.00")),) and plan.unallocated == 0


open_invoices = st.lists(
    st.builds(lambda i, days, cents: invoice(i, date(2025, 1, 1) + timedelta(days=days),
                                             str(Decimal(cents) / 100)),
              st.integers(1, 10_000), st.integers(0, 400), st.integers(1, 500_000)),
    max_size=8, unique_by=lambda i: i.id)


@given(open_invoices, st.integers(1, 3_000_000))
def test_allocation_never_leaves_a_paid_invoice_open_nor_an_amount_unallocated(invoices, cents):
    amount = Decimal(cents) / 100
    plan = rules.allocate(amount, invoices)
    # every cent is somewhere: on an invoice or kept as a credit
    assert plan.allocated + plan.unallocated == amount
    given_to = dict(plan.allocations)
    for item in invoices:
        assert 0 <= given_to.get(item.id, 0) <= item.outstanding
    # a credit is kept only once every invoice is fully paid
    if plan.unallocated:
        assert all(given_to.get(i.id) == i.outstanding for i in invoices)
    # oldest first: an invoice is left open only if every older one is fully paid
    ordered = rules.oldest_first(invoices)
    paid = [given_to.get(i.id, 0) == i.outstanding for i in ordered]
    assert paid == sorted(paid, reverse=True)


def test_a_payment_is_positive():
    with pytest.raises(RuleRefusal, match="amount"):
        rules.allocate(Decimal("0"), [])


# --------------------------------------------------------------------------- set-off (CGV 10.4)


def test_set_off_only_after_the_15_day_notice_cgv_10_4():
    assert not rules.set_off(TECHNICOPHONE, None, date(2025, 11, 1)).allowed
    # « quinze (15) jours », jours ouvrés (CGV art. 2): from Saturday 1 November, 11 November
    # being a holiday, the 15th working day is Monday 24 November; the set-off is allowed from
    # the day after (reading T-SET-OFF-NOTICE-START).
    early = rules.set_off(TECHNICOPHONE, date(2025, 11, 1), date(2025, 11, 24))
    assert not early.allowed and early.earliest == date(2025, 11, 25)
    assert "CGV art. 10.4" in early.clause and "CGV art. 2" in early.clause
    assert rules.set_off(TECHNICOPHONE, date(2025, 11, 1), date(2025, 11, 25)).allowed


# --------------------------------------------------------------------------- late interest (CGV 11.1)


def test_interest_is_days_times_three_times_the_legal_rate_over_365_cgv_11_1():
    explained = rules.late_interest(TECHNICOPHONE, "TEC-2025-000001", date(2025, 10, 28),
                                    Decimal("1200.00"), [rules.Settlement(date(2025, 12, 14),
                                                                          Decimal("1200.00"))],
                                    date(2025, 12, 14), RATE_2025_H2)
    (line,) = explained.lines
    # 1 200.00 × 3 × 2.76 % × 47 / 365 = 12.794… → 12.79
    assert line.amount == Decimal("12.79")
    assert line.formula.startswith("47 days × (3 × 2,76 %) × 1")
    assert "CGV art. 11.1" in line.clause and "2025-H2" in line.clause


def test_interest_runs_on_what_is_left_after_each_partial_payment():
    explained = rules.late_interest(TECHNICOPHONE, "TEC-2025-000001", date(2025, 10, 28),
                                    Decimal("1200.00"),
                                    [rules.Settlement(date(2025, 11, 7), Decimal("600.00")),
                                     rules.Settlement(date(2025, 12, 14), Decimal("600.00"))],
                                    date(2025, 12, 14), RATE_2025_H2)
    # 1 200 × 8.28 % × 10 / 365 = 2.72 ; 600 × 8.28 % × 37 / 365 = 5.04
    assert [line.amount for line in explained.lines] == [Decimal("2.72"), Decimal("5.04")]


def test_the_recovery_indemnity_is_40_euros_and_ozone_charges_no_interest():
    assert rules.recovery_indemnity(TECHNICOPHONE, "X").total == Decimal("40.00")
    assert not rules.charges_interest(OZONE)
    assert rules.recovery_indemnity(OZONE, "X").total == 0
    fee = rules.rejected_debit_fee(OZONE, "OZO-1-P1", "AM04")
    assert fee.total == Decimal("8.00") and "CGV art. 9.2" in fee.lines[0].clause


def test_one_wholly_unpaid_invoice_makes_every_invoice_due_cgv_11_2():
    late = invoice(1, date(2025, 10, 28), "1200.00")
    later = invoice(2, date(2025, 11, 28), "1200.00")
    accelerated = rules.acceleration_date(TECHNICOPHONE, [late, later], date(2025, 11, 3))
    assert accelerated == date(2025, 10, 29)
    assert [i.id for i in rules.overdue([late, later], date(2025, 11, 3), accelerated)] == [1, 2]
    assert rules.acceleration_date(OZONE, [late, later], date(2025, 11, 3)) is None


# --------------------------------------------------------------------------- dunning ladder


def test_technicophone_ladder_first_notice_then_8_days_after_receipt_cgv_8_4():
    steps = TECHNICOPHONE.dunning.steps
    facts = CaseFacts(opened_on=date(2025, 10, 29), due_date=date(2025, 10, 28))
    first = rules.next_step(steps, facts)
    assert first.step.id == "formal_notice_1" and first.due_on == date(2025, 10, 29)
    facts = CaseFacts(date(2025, 10, 29), date(2025, 10, 28),
                      history=(StepHistory("formal_notice_1", date(2025, 10, 29), sent_letter=True),))
    waiting = rules.next_step(steps, facts)
    assert waiting.due_on is None and waiting.waiting_for == "receipt of the registered letter"
    facts = CaseFacts(date(2025, 10, 29), date(2025, 10, 28), history=(
        StepHistory("formal_notice_1", date(2025, 10, 29), date(2025, 10, 31), sent_letter=True),))
    restrict = rules.next_step(steps, facts)
    # « sous huit (8) jours calendaires. Au-delà de ce délai »: received Friday 31 October, the
    # 8th day is Saturday 8 November; restriction from the day after.
    assert restrict.step.id == "restrict" and restrict.due_on == date(2025, 11, 9)
    assert "the day after 8 calendar days after receipt on 2025-10-31" in restrict.basis


def test_second_notice_gives_10_jours_ouvres_from_receipt_reading_t_dunning_second_notice_days():
    steps = TECHNICOPHONE.dunning.steps
    history = (StepHistory("formal_notice_1", date(2025, 10, 29), date(2025, 10, 31), sent_letter=True),
               StepHistory("restrict", date(2025, 11, 9)), StepHistory("suspend", date(2025, 11, 9)),
               StepHistory("formal_notice_2", date(2025, 11, 9), date(2025, 11, 10), sent_letter=True))
    terminate = rules.next_step(steps, CaseFacts(date(2025, 10, 29), date(2025, 10, 28), history=history))
    # 10 jours ouvrés after Monday 10 November 2025, 11 November (Armistice) not counted: the
    # 10th is Tuesday 25 November; « Au-delà de ce délai » the termination from Wednesday 26.
    assert terminate.step.id == "terminate" and terminate.due_on == date(2025, 11, 26)
    litigation = rules.next_step(steps, CaseFacts(date(2025, 10, 29), date(2025, 10, 28), history=history + (
        StepHistory("terminate", date(2025, 11, 26)),)))
    # « non-paiement dans les trente (30) jours »: the 30th jour ouvré after the due date
    # (reading T-DUNNING-LITIGATION-START) is Wednesday 10 December; legal action from the 11th.
    assert litigation.step.id == "litigation" and litigation.due_on == date(2025, 12, 11)


def test_ozone_reminder_the_day_of_the_rejection_then_suspension_5_days_later_cgv_9_6():
    steps = OZONE.dunning.steps
    facts = CaseFacts(date(2025, 10, 6), date(2025, 10, 3), rejected_on=date(2025, 10, 6))
    assert [s.step.id for s in rules.due_steps(steps, facts, date(2025, 10, 6))] == ["first_reminder"]
    facts = CaseFacts(date(2025, 10, 6), date(2025, 10, 3), date(2025, 10, 6),
                      (StepHistory("first_reminder", date(2025, 10, 6)),))
    suspend = rules.next_step(steps, facts)
    # « coupure sous 5 jours » from the reminder of Monday 6 October (reading
    # OZ-DUNNING-CUT-START): the 5th day is Saturday 11; the connection is cut from Sunday 12.
    assert suspend.step.id == "suspend" and suspend.due_on == date(2025, 10, 12)
    facts = CaseFacts(date(2025, 10, 6), date(2025, 10, 3), date(2025, 10, 6),
                      (StepHistory("first_reminder", date(2025, 10, 6)), StepHistory("suspend", date(2025, 10, 12))))
    second = rules.next_step(steps, facts)
    # the second presentation one month after the first (L276)
    assert second.step.id == "second_presentation" and second.due_on == date(2025, 11, 3)


@settings(max_examples=60)
@given(st.sampled_from(["technicophone", "ozone"]), st.integers(0, 90), st.integers(0, 15),
       st.integers(1, 10))
def test_reaching_the_due_steps_of_a_day_leaves_nothing_due_that_day(sheet, late_days, receipt_delay,
                                                                     runs):
    """The ladder replayed for a day it already ran changes nothing."""
    steps = SHEETS[sheet].general.dunning.steps
    due = date(2025, 10, 28)
    facts = CaseFacts(due + timedelta(days=1), due, rejected_on=due + timedelta(days=1))
    day = due + timedelta(days=1)
    for _ in range(runs):
        day += timedelta(days=late_days // runs)
        reached = rules.due_steps(steps, facts, day)
        facts = CaseFacts(facts.opened_on, facts.due_date, facts.rejected_on, facts.history + tuple(
            StepHistory(s.step.id, day, sent_letter=bool(s.step.channels)) for s in reached))
        assert rules.due_steps(steps, facts, day) == []
        # later, the acknowledgements of receipt and the bank's answers come in
        facts = CaseFacts(facts.opened_on, facts.due_date, facts.rejected_on, tuple(
            StepHistory(h.step_id, h.reached_on, h.reached_on + timedelta(days=receipt_delay),
                        h.reached_on, h.sent_letter) for h in facts.history))
        assert len({h.step_id for h in facts.history}) == len(facts.history)


# --------------------------------------------------------------------------- deposits (CGV 11.5)


def test_deposit_drawn_8_days_after_the_notice_replenished_in_15_released_2_months_after():
    assert rules.deposit_ground(TECHNICOPHONE, "payment_incident_or_delay").startswith("CGV art. 11.5")
    with pytest.raises(RuleRefusal, match="ground") as refused:
        rules.deposit_ground(TECHNICOPHONE, "bad_mood")
    assert (refused.value.code, refused.value.clause) == ("deposit_ground_not_listed",
                                                          "CGV art. 11.5 (L421-430)")
    # 8 jours ouvrés unanswered from Wednesday 29 October run to 10 November: drawn from the 11th.
    assert not rules.may_draw_deposit(TECHNICOPHONE, date(2025, 10, 29), date(2025, 11, 10)).allowed
    assert rules.may_draw_deposit(TECHNICOPHONE, date(2025, 10, 29), date(2025, 11, 11)).allowed
    # 15 jours ouvrés from Monday 10 November (11 November a holiday) → 2 December.
    assert rules.replenish_by(TECHNICOPHONE, date(2025, 11, 10))[0] == date(2025, 12, 2)
    assert rules.release_date(TECHNICOPHONE, date(2026, 1, 31))[0] == date(2026, 3, 31)
    assert not rules.may_release_deposit(TECHNICOPHONE, date(2026, 1, 31), date(2026, 4, 1),
                                         Decimal("1"), 0).allowed


# --------------------------------------------------------------------------- disputes (CGV 11.3)


def test_a_dispute_received_on_business_day_11_is_rejected_cgv_11_3():
    # CGV art. 11.3: ten "jours" from the receipt of a usage invoice; CGV art. 2 L66-67: a
    # "jour" is a "jour ouvré en France". Received Monday 6 October 2025: the window ends on
    # Monday 20 October (10 jours ouvrés), so a letter on calendar day 11 (Fri 17) is in time.
    received = date(2025, 10, 6)
    in_time = rules.dispute_admissible(TECHNICOPHONE, received, date(2025, 10, 17),
                                       "registered_letter", usage_invoice=True)
    assert in_time.admissible and in_time.deadline == date(2025, 10, 20)
    assert "CGV art. 2" in in_time.clauses[0]
    late = rules.dispute_admissible(TECHNICOPHONE, received, date(2025, 10, 21),
                                    "registered_letter", usage_invoice=True)
    assert not late.admissible and "day 11 (business days)" in late.reasons[0]
    assert "CGV art. 11.3" in late.clauses[0]
    # 11 November (Armistice) is not a jour ouvré: received on 3 November, the window ends on 18.
    assert rules.dispute_admissible(TECHNICOPHONE, date(2025, 11, 3), date(2025, 11, 18),
                                    "registered_letter", usage_invoice=True).admissible
    assert not rules.dispute_admissible(TECHNICOPHONE, date(2025, 11, 3), date(2025, 11, 19),
                                        "registered_letter", usage_invoice=True).admissible
    by_mail = rules.dispute_admissible(TECHNICOPHONE, received, received + timedelta(days=2),
                                       "email", usage_invoice=True)
    assert not by_mail.admissible and "registered letter" in by_mail.reasons[0]


# --------------------------------------------------------------------------- SEPA


def test_sequence_first_then_recurrent_and_return_reasons():
    assert rules.sequence_type(False) == "FRST" and rules.sequence_type(True) == "RCUR"
    assert rules.return_reason("am04") == ("Insufficient funds", False)
    assert rules.return_reason("MD01")[1] is True
    with pytest.raises(RuleRefusal, match="reason_code"):
        rules.return_reason("ZZ99")
    assert rules.mandate_lapsed(date(2020, 1, 1), date(2022, 1, 15), date(2025, 1, 15))
    assert not rules.mandate_lapsed(date(2020, 1, 1), date(2022, 1, 15), date(2025, 1, 14))


def test_a_sheet_allowing_restriction_from_the_first_late_payment_restricts_at_once():
    """Technicophone reads CGV 13.1 against 8.4 (T-RESTRICTION-TIMING: false); a sheet saying
    true lets the restriction come with the first notice."""
    dunning = TECHNICOPHONE.dunning
    assert not dunning.restriction_from_first_late_payment.value
    early = dunning.restriction_from_first_late_payment.model_copy(update={"value": True})
    facts = CaseFacts(date(2025, 10, 29), date(2025, 10, 28),
                      history=(StepHistory("formal_notice_1", date(2025, 10, 29), sent_letter=True),))
    step = rules.next_step(dunning.steps, facts, early)
    assert step.step.id == "restrict" and step.due_on == date(2025, 10, 29)
    assert rules.next_step(dunning.steps, facts, dunning.restriction_from_first_late_payment).due_on is None


def test_reconnection_rebills_the_access_fees_only_where_the_sheet_says_so():
    fees = rules.reconnection_fees(OZONE, [("Fibre", Decimal("49.00"))])
    assert fees.total == Decimal("49.00") and "OZ-RECONNECTION" in fees.lines[0].clause
    assert rules.reconnection_fees(TECHNICOPHONE, [("SIP", Decimal("49.00"))]).total == 0
