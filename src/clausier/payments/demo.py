"""Demo collections data: SEPA creditor accounts and a mandate for every Ozone household (before
the bill runs), then the published legal interest rates of 2025, one payment received, the
collections of the weeks since the first bill run (debits scheduled, exported and collected,
dunning ladders moved step by step with their letters) and a debit returned by the bank.
Loading it again changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.catalog import facts as catalog_facts
from clausier.core.clock import Clock, FixedClock
from clausier.customers import facts as customer_facts
from clausier.notifications import facts as notification_facts
from clausier.payments import daily
from clausier.payments.rules import DebitStatus
from clausier.payments.dunning import service as dunning
from clausier.payments.invoices import open_invoices
from clausier.payments.ledger import late_payment
from clausier.payments.ledger import service as ledger
from clausier.payments.models import DirectDebitItem
from clausier.payments.sepa import service as sepa

# Demonstration bank details (valid check digits, not real accounts).
DEMO_CREDITOR_IBAN = "FR7630006000011234567890189"
DEMO_CREDITOR_ID = "FR12ZZZ123456"
DEMO_DEBTOR_IBAN = "FR1420041010050500013M02606"
# The French legal rate "for all other cases", as published (arrêtés of December 2024 and
# 19 June 2025); the operator records each new half-year with ``clausier rate add``.
PUBLISHED_LEGAL_RATES = {"2025-H1": "3.71", "2025-H2": "2.76"}
# The days of collections history walked through: back to the first demo bill run.
WALKED_DAYS = 70


def load_mandates(session: Session, clock: Clock, actor: Actor) -> str:
    """The creditor accounts and the Ozone households' mandates, before the demo's bill runs:
    the invoices carry the mandate reference and the creditor identifier."""
    operators = {o.code: o for o in catalog_facts.operators(session).values()}
    for code in ("technicophone", "ozone"):
        if code in operators:
            sepa.set_creditor(session, clock, actor, code, name=operators[code].legal_name
                                 or operators[code].name, iban=DEMO_CREDITOR_IBAN,
                                 creditor_identifier=DEMO_CREDITOR_ID)
    mandates = 0
    if "ozone" in operators:
        for customer in _customers_of(session, operators["ozone"].id):
            if sepa.list_mandates(session, customer.id):
                continue
            sepa.add_mandate(session, clock, actor, customer.ref, reference=f"RUM-{customer.ref}",
                                signed_on=customer.created_at.date(), iban=DEMO_DEBTOR_IBAN)
            mandates += 1
    return f"{mandates} mandate(s)"


def load_demo(session: Session, clock: Clock, actor: Actor) -> str:
    """After the bill runs: one payment received, then the weeks since the first run walked
    through as the daily tick does (debits scheduled, exported on their date and collected,
    dunning ladders moved, their letters queued), and one Ozone debit returned by the bank."""
    operators = {o.code: o for o in catalog_facts.operators(session).values()}
    for half_year, value in PUBLISHED_LEGAL_RATES.items():
        late_payment.add_legal_rate(session, clock, actor, half_year, value)
    if session.scalar(select(DirectDebitItem.id).limit(1)) is not None:
        return ""                               # walked through already
    paid = 0
    if "technicophone" in operators:
        first = next(iter(_customers_of(session, operators["technicophone"].id)), None)
        invoices = open_invoices(session, first.id) if first else []
        if invoices and not ledger.list_payments(session, first.id):
            oldest = invoices[0]
            ledger.record_payment(session, clock, actor, first.ref, oldest.outstanding, "transfer",
                                   min(oldest.due_date, clock.today()), "DEMO-VIR-1")
            paid = 1
    today, counts = clock.today(), {"scheduled": 0, "steps": 0}
    for day in _walk(today):
        day_clock = FixedClock.on(day)
        for name, count in daily.tick(session, day_clock, actor, day).items():
            counts[name] = counts.get(name, 0) + count
        sepa.export_collections(session, day_clock, actor, day)
        _receive_letters(session, day_clock, actor, day)
    returned = _return_one_debit(session, clock, actor)
    return (f"{paid} payment(s), {counts['scheduled']} debit(s) scheduled, "
            f"{counts['collected']} collected, {returned} returned, "
            f"{counts['steps']} dunning step(s)")


def _walk(today: date) -> list[date]:
    """Every week of the demo's weeks of history, and today: often enough for each
    ladder to move step by step, few enough to keep the demo quick to load."""
    start = today - timedelta(days=WALKED_DAYS)
    return [start + timedelta(days=offset) for offset in range(0, WALKED_DAYS, 7)] + [today]


def _receive_letters(session: Session, clock: Clock, actor: Actor, day: date) -> None:
    """The acknowledgements of receipt that came back by ``day``: the registered letters of every
    other customer, received three days after they were sent (the others' letters stay
    unacknowledged, so the demo's ladders stand at different steps)."""
    for letter in notification_facts.letters_awaiting_receipt(session, day - timedelta(days=3)):
        if letter.customer_id % 2 == 0:
            dunning.record_letter_receipt(session, clock, actor, letter.id,
                                          letter.created_on + timedelta(days=3))


def _return_one_debit(session: Session, clock: Clock, actor: Actor) -> int:
    """The bank returns the first debit collected (AM04, insufficient funds) three days after
    its date, as a returns file the staff import."""
    item = session.scalars(select(DirectDebitItem).where(DirectDebitItem.status == DebitStatus.COLLECTED)
                           .order_by(DirectDebitItem.collection_date, DirectDebitItem.id)).first()
    if item is None:
        return 0
    returned_on = min(item.collection_date + timedelta(days=3), clock.today())
    content = ("end_to_end_id;reason_code;returned_on;amount\n"
               f"{item.end_to_end_id};AM04;{returned_on.isoformat()};{item.amount}\n")
    return sepa.import_returns(session, clock, actor, content.encode(),
                                  "demo-retours-sepa.csv").accepted


def _customers_of(session: Session, operator_id: int):
    """The operator's customers, oldest first."""
    ids = customer_facts.customer_ids(session, operator_id=operator_id)
    found = customer_facts.customers(session, ids)
    return [found[customer_id] for customer_id in ids]
