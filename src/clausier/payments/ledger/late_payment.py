"""Legal interest rates, late interest and the recovery indemnity of an invoice paid late
(charged to the next invoice through ``billing.ledger.charges.add_charge``, outside the scope of VAT)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing.ledger.charges import add_charge
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed
from clausier.core.explain import Explained
from clausier.core.message import msg
from clausier.core.money import ZERO, to_decimal
from clausier.customers.facts import CustomerFacts
from clausier.payments import rules
from clausier.payments.common import check_rule, operator_of
from clausier.payments.models import Allocation, LegalInterestRate
from clausier.terms.schema import Terms

# --------------------------------------------------------------------------- legal interest rates


RATE_NAMES = {"legal-interest": "french_legal_rate", "ecb-refinancing": "ecb_refinancing_rate"}


def add_legal_rate(session: Session, clock: Clock, actor: Actor, half_year: str, value: object,
                   source: str = "french_legal_rate") -> LegalInterestRate:
    """Record the rate in force for a half-year (percent a year). The same value again changes
    nothing; another value for a recorded half-year is refused."""
    starts, ends = check_rule(rules.half_year_bounds, half_year)
    label = rules.half_year_of(starts)
    percent = _percent(value)
    existing = session.scalar(select(LegalInterestRate).where(
        LegalInterestRate.source == source, LegalInterestRate.half_year == label))
    if existing is not None:
        if Decimal(existing.percent) != percent:
            raise Conflict(f"rate {source} {label}: already recorded as {existing.percent} %",
                           code=rules.Refused.rate_already_recorded)
        return existing
    row = LegalInterestRate(source=source, half_year=label, starts_on=starts, ends_on=ends,
                            percent=str(percent), actor=actor.name, recorded_at=clock.now())
    session.add(row)
    record(session, clock, actor, "rate.add", row, f"{source} {label} = {percent} %")
    return row


def _percent(value: object) -> Decimal:
    try:
        percent = to_decimal(value, field="value")
    except ValueError as exc:
        raise InvalidInput.on("value", str(exc).split(": ", 1)[-1],
                              code=rules.Refused.rate_not_a_number) from None
    if percent < 0 or percent >= 100:
        raise InvalidInput.on("value", f"{percent} is not a yearly rate in percent",
                              code=rules.Refused.rate_out_of_range)
    return percent


def list_legal_rates(session: Session) -> list[LegalInterestRate]:
    return list(session.scalars(select(LegalInterestRate).order_by(
        LegalInterestRate.source, LegalInterestRate.starts_on)))


def legal_rate_for(session: Session, source: str, day: date) -> rules.LegalRate:
    label = rules.half_year_of(day)
    row = session.scalar(select(LegalInterestRate).where(
        LegalInterestRate.source == source, LegalInterestRate.half_year == label))
    if row is None:
        name = next((k for k, v in RATE_NAMES.items() if v == source), source)
        rate = (msg("French legal rate") if source == "french_legal_rate"
                else msg("ECB refinancing rate") if source == "ecb_refinancing_rate"
                else source.replace("_", " "))
        raise NotAllowed(msg("rate: the {rate} of {half_year} is not recorded ({command})",
                             rate=rate, half_year=label,
                             command=f"clausier rate add {name} {label} VALUE"),
                         code=rules.Refused.rate_not_recorded)
    return rules.LegalRate(label, Decimal(row.percent), source)


# --------------------------------------------------------------------------- late payment


def _settlements(session: Session, invoice_id: int) -> list[rules.Settlement]:
    return [rules.Settlement(a.on, a.amount) for a in session.scalars(
        select(Allocation).where(Allocation.invoice_id == invoice_id, Allocation.reversed.is_(False))
        .order_by(Allocation.on, Allocation.id))]


def accrued_interest(session: Session, terms: Terms, invoice: rules.OpenInvoice,
                     until: date) -> Explained:
    """Late interest of an invoice from the day after its due date until ``until``."""
    if not rules.charges_interest(terms) or until <= invoice.due_date:
        return Explained()
    settlements = _settlements(session, invoice.id)
    paid_by_due = sum((s.amount for s in settlements if s.on <= invoice.due_date), ZERO)
    rate = legal_rate_for(session, rules.rate_source(terms),
                          rules.rate_day(terms, invoice.issue_date, invoice.due_date))
    return rules.late_interest(terms, invoice.number, invoice.due_date,
                               invoice.total - paid_by_due,
                               [s for s in settlements if s.on > invoice.due_date], until, rate)


def charge_indemnity(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts,
                     terms: Terms, invoice: rules.OpenInvoice, on: date) -> None:
    explained = rules.recovery_indemnity(terms, invoice.number)
    if explained.lines:
        add_charge(session, clock, actor, customer_id=customer.id, subscription_id=None,
                   source="recovery_indemnity", source_key=invoice.number,
                   label=explained.lines[0].label, explained=explained,
                   price_basis=operator_of(session, customer).price_basis, incurred_on=on,
                   vat_rate="exempt")


def charge_late_payment(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts,
                        terms: Terms, invoice: rules.OpenInvoice, paid_on: date) -> None:
    """An invoice settled after its due date: interest until the payment and the indemnity,
    on the next invoice (outside the scope of VAT)."""
    interest = accrued_interest(session, terms, invoice, paid_on)
    if interest.total > 0:
        add_charge(session, clock, actor, customer_id=customer.id, subscription_id=None,
                   source="late_interest", source_key=invoice.number,
                   label=msg("Late interest on {number}", number=invoice.number), explained=interest,
                   price_basis=operator_of(session, customer).price_basis, incurred_on=paid_on,
                   vat_rate="exempt")
    charge_indemnity(session, clock, actor, customer, terms, invoice, paid_on)

