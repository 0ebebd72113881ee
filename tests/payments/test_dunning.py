"""The dunning ladder run by the daily tick (Technicophone CGV art. 8.4, 11.2, 13.1 and the
readings T-DUNNING-*), with staff approvals, letters produced as PDF, and replays that change
nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import func, select

from clausier.audit.models import AuditEntry
from clausier.billing.ledger.charges import pending_charges
from clausier.contracts import service as contracts
from clausier.core.clock import FixedClock
from clausier.payments import daily
from clausier.payments.dunning import service as dunning
from clausier.payments.ledger import late_payment
from clausier.payments.ledger import service as ledger
from clausier.notifications.models import OutboxMessage
from clausier.payments.models import DunningCase, DunningStepRecord
from clausier.scheduler.service import run_daily_tick
from tests.payments.test_payments import technicophone_invoice
from tests.seeds import locate_seeds


def seed_lines(first: int, last: int) -> str:
    """Technicophone's terms of sale, lines ``first``–``last`` (1-based), on one line."""
    seeds = locate_seeds()
    if seeds is None:
        return ""
    (text,) = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))
               if "8.4. En cas de non-paiement, le Prestataire" in p.read_text(encoding="utf-8")]
    return " ".join(line.strip() for line in text.splitlines()[first - 1:last])


def tick_until(session, actor, first: date, last: date) -> None:
    day = first
    while day <= last:
        outcomes = run_daily_tick(session, FixedClock.on(day), actor, day)
        assert all(o.status != "failed" for o in outcomes), outcomes
        day += timedelta(days=1)


def letter_text(message: OutboxMessage) -> str:
    path = Path(message.file_path)
    assert path.exists() and path.read_bytes().startswith(b"%PDF")
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def steps_of(session, customer_id: int) -> dict[str, DunningStepRecord]:
    """The steps of the customer's latest dunning case, by step id."""
    case = session.scalars(select(DunningCase).where(DunningCase.customer_id == customer_id)
                           .order_by(DunningCase.id.desc())).first()
    return {row.step_id: row for row in case.steps} if case else {}


def test_a_b2b_customer_walked_through_both_formal_notices_to_termination_by_the_daily_tick(
        session, actor):
    billed = technicophone_invoice(session, actor)
    customer = billed.customer
    late_payment.add_legal_rate(session, FixedClock.on(date(2025, 10, 3)), actor, "2025-H2", "2.76")

    # Day after the due date (Friday 7 November, the 25th jour ouvré after 3 October, CGV art.
    # 10.4 with art. 2 L66-67): formal notice 1 by registered letter, 8 calendar days (CGV 8.4)
    tick_until(session, actor, date(2025, 11, 7), date(2025, 11, 8))
    steps = steps_of(session, customer.id)
    assert list(steps) == ["formal_notice_1"]
    notice_1 = session.get(OutboxMessage, steps["formal_notice_1"].letter_id)
    assert notice_1.channel == "registered_letter" and notice_1.created_on == date(2025, 11, 8)
    text = letter_text(notice_1)
    # The subject names the step in the clause's words (CGV art. 8.4 L252-253: « courrier en
    # Accusé-Réception de mise en demeure de paiement »), numbered, never its code
    clause = seed_lines(252, 253)
    if clause:
        assert "mise en demeure de paiement" in clause
    assert notice_1.subject == "Mise en demeure de paiement n° 1"
    assert "_" not in notice_1.subject and "formal" not in notice_1.subject
    assert "Mise en demeure" in text and billed.invoice.number in text
    assert "8 jours calendaires à compter de sa réception" in text
    assert "Indemnité" in text or "indemnity" in text        # the 40 € line is shown

    # Nothing more until the acknowledgement of receipt (reading T-DUNNING-FIRST-NOTICE-START)
    tick_until(session, actor, date(2025, 11, 9), date(2025, 11, 21))
    assert list(steps_of(session, customer.id)) == ["formal_notice_1"]
    (entry,) = dunning.dunning_queue(session, date(2025, 11, 21))
    assert entry.next_step.waiting_for == "receipt of the registered letter"
    clock = FixedClock.on(date(2025, 11, 21))
    dunning.record_letter_receipt(session, clock, actor, notice_1.id, date(2025, 11, 10))

    # Receipt Monday 10 November: the 8 calendar days end on 18 November; « au-delà de ce délai »
    # restriction and suspension await the operator's choice from the 19th; formal notice 2 goes
    # out the same day (10 days)
    tick_until(session, actor, date(2025, 11, 22), date(2025, 11, 22))
    steps = steps_of(session, customer.id)
    assert [(s, r.status) for s, r in steps.items()] == [
        ("formal_notice_1", "done"), ("restrict", "pending_approval"),
        ("suspend", "pending_approval"), ("formal_notice_2", "done")]
    assert steps["restrict"].reached_on == date(2025, 11, 22)     # the tick ran late: not back-dated
    notice_2 = session.get(OutboxMessage, steps["formal_notice_2"].letter_id)
    assert "10 jours ouvrés à compter de sa réception" in letter_text(notice_2)
    # « Un second courrier en Accusé-Réception … de mise en demeure de paiement » (L256-257)
    assert "mise en demeure de paiement" in seed_lines(256, 257) or not locate_seeds()
    assert notice_2.subject == "Mise en demeure de paiement n° 2"

    # The operator suspends rather than restricts
    dunning.decide_step(session, clock, actor, steps["restrict"].id, False, date(2025, 11, 22))
    dunning.decide_step(session, clock, actor, steps["suspend"].id, True, date(2025, 11, 22))
    assert contracts.get_subscription(session, billed.subscription_id).status == "suspended"
    assert steps["suspend"].decided_by == actor.name

    # Second letter received Monday 24 November: 10 jours ouvrés end on Monday 8 December; the
    # termination is allowed « au-delà de ce délai », from Tuesday 9 December
    dunning.record_letter_receipt(session, clock, actor, notice_2.id, date(2025, 11, 24))
    tick_until(session, actor, date(2025, 11, 23), date(2025, 12, 8))
    assert "terminate" not in steps_of(session, customer.id)
    tick_until(session, actor, date(2025, 12, 9), date(2025, 12, 9))
    terminate = steps_of(session, customer.id)["terminate"]
    assert terminate.status == "pending_approval" and "10 business days" in terminate.basis

    # Approved: the contract ends for unpaid bills with the exit amounts of CGV 8.4, and the
    # acknowledgement letter is produced
    dunning.decide_step(session, FixedClock.on(date(2025, 12, 9)), actor, terminate.id, True)
    subscription = contracts.get_subscription(session, billed.subscription_id)
    assert subscription.status == "terminated" and subscription.terminated_on == date(2025, 12, 9)
    charges = {c.source: c for c in pending_charges(session, customer.id)}
    assert charges["termination_unpaid"].amount > 0
    assert charges["recovery_indemnity"].amount == Decimal("40.00")
    acknowledgement = session.get(OutboxMessage, terminate.details["acknowledgement_letter"])
    assert acknowledgement.kind == "termination"
    assert "Résiliation pour défaut de paiement" in letter_text(acknowledgement)

    # Litigation once the 30 jours ouvrés after the due date have run (reading
    # T-DUNNING-LITIGATION-START): 7 November + 30 jours ouvrés (11 November not counted) =
    # Monday 22 December, so from the 23rd
    tick_until(session, actor, date(2025, 12, 10), date(2025, 12, 22))
    assert "litigation" not in steps_of(session, customer.id)
    tick_until(session, actor, date(2025, 12, 23), date(2025, 12, 23))
    assert steps_of(session, customer.id)["litigation"].reached_on == date(2025, 12, 23)

    # Every step is audited
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.like("dunning.%"))) >= 8


def test_replaying_the_payments_tick_for_the_same_date_changes_nothing(session, actor):
    billed = technicophone_invoice(session, actor)
    late_payment.add_legal_rate(session, FixedClock.on(date(2025, 10, 3)), actor, "2025-H2", "2.76")

    def snapshot():
        return {table: session.scalar(select(func.count()).select_from(table))
                for table in (AuditEntry.__table__, DunningStepRecord.__table__, OutboxMessage.__table__)}

    for day in (date(2025, 11, 8), date(2025, 11, 20)):
        clock = FixedClock.on(day)
        daily.tick(session, clock, actor, day)
        before = snapshot()
        assert daily.tick(session, clock, actor, day)["steps"] == 0
        assert snapshot() == before
    assert dunning.open_case_of(session, billed.customer.id) is not None


def test_a_payment_stops_the_ladder_and_lifts_the_suspension_cgv_13_1(session, actor):
    billed = technicophone_invoice(session, actor)
    late_payment.add_legal_rate(session, FixedClock.on(date(2025, 10, 3)), actor, "2025-H2", "2.76")
    # Due Friday 7 November (CGV art. 10.4 with art. 2): the first notice goes out on the 8th,
    # is received on Monday 10; its 8 calendar days end on the 18th, suspension from the 19th.
    tick_until(session, actor, date(2025, 11, 8), date(2025, 11, 8))
    notice = session.get(OutboxMessage, steps_of(session, billed.customer.id)["formal_notice_1"].letter_id)
    clock = FixedClock.on(date(2025, 11, 20))
    dunning.record_letter_receipt(session, clock, actor, notice.id, date(2025, 11, 10))
    tick_until(session, actor, date(2025, 11, 19), date(2025, 11, 19))
    dunning.decide_step(session, clock, actor, steps_of(session, billed.customer.id)["suspend"].id, True,
                        date(2025, 11, 19))
    assert contracts.get_subscription(session, billed.subscription_id).status == "suspended"

    ledger.record_payment(session, clock, actor, billed.customer.ref, "1200.00", "transfer",
                          date(2025, 11, 20))
    assert contracts.get_subscription(session, billed.subscription_id).status == "active"
    assert dunning.open_case_of(session, billed.customer.id) is None
    rows = session.scalars(select(DunningStepRecord)).all()
    assert {r.step_id: r.status for r in rows}["restrict"] == "lapsed"
    # late 8–20 November: 13 days × 3 × 2.76 % × 1 200 / 365 = 3.54, and the indemnity
    assert sorted(c.amount for c in pending_charges(session, billed.customer.id)) == [
        Decimal("3.54"), Decimal("40.00")]


def test_a_formal_notice_is_written_in_french_for_the_customer_and_reads_in_english_too(
        session, actor):
    """Issue 21: the letter's words are messages rendered in the recipient's language (French:
    customers have no other). CGV art. 8.4 L252-254: formal notice « sous huit (8) jours
    calendaires. Au-delà de ce délai, le Prestataire pourra restreindre ou suspendre »."""
    from clausier.payments import rules
    from clausier.web.explain_text import explained

    billed = technicophone_invoice(session, actor)
    late_payment.add_legal_rate(session, FixedClock.on(date(2025, 10, 3)), actor, "2025-H2", "2.76")
    tick_until(session, actor, date(2025, 11, 7), date(2025, 11, 8))
    notice = session.get(OutboxMessage, steps_of(session, billed.customer.id)["formal_notice_1"].letter_id)
    clause = seed_lines(252, 254)
    if clause:
        assert "huit (8) jours calendaires" in clause and "restreindre ou suspendre" in clause
    assert notice.body.startswith("Madame, Monsieur,\n\nLes factures ")
    assert "restent impayées pour un montant de" in notice.body
    assert ("Merci de régulariser dans un délai de 8 jours calendaires à compter de sa réception. "
            "À défaut, nous pourrons restreindre ou suspendre les services concernés.") in notice.body
    assert "Par la présente, nous vous mettons en demeure de régler la somme de" in notice.body

    subscription = contracts.get_subscription(session, billed.subscription_id)
    steps = contracts.terms_of(session, subscription).dunning.steps
    within, consequence = rules.pay_within_words(steps, 0), rules.letter_consequence(steps, 0)
    assert explained(within, "en") == "8 calendar days from its receipt"
    assert explained(consequence, "en") == \
        "Failing that, we may restrict or suspend the services concerned."
    assert explained(consequence, "fr") == \
        "À défaut, nous pourrons restreindre ou suspendre les services concernés."
