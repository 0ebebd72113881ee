"""Demo collections data: SEPA creditor accounts and a mandate for every Ozone household (before
the bill runs), then the published legal interest rates of 2025, one payment received, and the
day's collections run (debits scheduled, ladders moved). Loading it again changes nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.catalog import facts as catalog_facts
from clausier.core.clock import Clock
from clausier.customers import facts as customer_facts
from clausier.payments import daily
from clausier.payments.invoices import open_invoices
from clausier.payments.ledger import late_payment
from clausier.payments.ledger import service as ledger
from clausier.payments.sepa import service as sepa

# Demonstration bank details (valid check digits, not real accounts).
DEMO_CREDITOR_IBAN = "FR7630006000011234567890189"
DEMO_CREDITOR_ID = "FR12ZZZ123456"
DEMO_DEBTOR_IBAN = "FR1420041010050500013M02606"
# The French legal rate "for all other cases", as published (arrêtés of December 2024 and
# 19 June 2025); the operator records each new half-year with ``clausier rate add``.
PUBLISHED_LEGAL_RATES = {"2025-H1": "3.71", "2025-H2": "2.76"}


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
    operators = {o.code: o for o in catalog_facts.operators(session).values()}
    for half_year, value in PUBLISHED_LEGAL_RATES.items():
        late_payment.add_legal_rate(session, clock, actor, half_year, value)
    paid = 0
    if "technicophone" in operators:
        first = next(iter(_customers_of(session, operators["technicophone"].id)), None)
        invoices = open_invoices(session, first.id) if first else []
        if invoices and not ledger.list_payments(session, first.id):
            oldest = invoices[0]
            ledger.record_payment(session, clock, actor, first.ref, oldest.outstanding, "transfer",
                                  min(oldest.due_date, clock.today()), "DEMO-VIR-1")
            paid = 1
    counts = daily.tick(session, clock, actor, clock.today())
    return (f"{paid} payment(s), {counts['scheduled']} debit(s) scheduled, "
            f"{counts['steps']} dunning step(s)")


def _customers_of(session: Session, operator_id: int):
    """The operator's customers, oldest first."""
    return customer_facts.customers(
        session, customer_facts.customer_ids(session, operator_id=operator_id)).values()
