"""Use cases of payments and collections: recording and allocating payments, credits, refunds and
set-off; SEPA mandates, collection files and returns; late interest; the dunning ladder run by
the daily tick with staff approvals; deposits; disputes; the collections view of a customer.

Every figure comes from the general terms of the sheet version the customer's contracts were
signed under; invoices are read through ``payments.invoices`` and their payment status is moved
only by ``billing.invoices.service.record_payment``; one-off amounts (interest, indemnity,
rejected-debit fee, exit amounts) go to the next invoice through
``billing.ledger.charges.add_charge``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing.invoices import service as billing_invoices
from clausier.billing.ledger.charges import add_charge, pending_charges
from clausier.catalog.models import Operator
from clausier.contracts import facts as contract_facts
from clausier.contracts import service as contracts
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, Problem, Report
from clausier.core.explain import Explained
from clausier.core.money import ZERO, fr_format, money, to_decimal
from clausier.customers import service as customers
from clausier.customers.models import Customer
from clausier.db.session import lock_for_writing
from clausier.payments import invoices as invoice_reads
from clausier.payments import outbox, rules, sepa
from clausier.payments.models import (
    Allocation,
    CreditorAccount,
    CustomerCredit,
    DebitReturn,
    Deposit,
    DirectDebitCollection,
    DirectDebitItem,
    Dispute,
    DunningCase,
    DunningStepRecord,
    LegalInterestRate,
    Mandate,
    OutboxMessage,
    Payment,
    Refund,
    SetOffNotice,
)
from clausier.terms import service as terms_service
from clausier.terms.schema import Channel, DunningAction, Terms

if TYPE_CHECKING:
    from schwifty import IBAN

MANUAL_METHODS = ("transfer", "card", "cheque", "direct_debit")


# --------------------------------------------------------------------------- helpers


def get_customer(session: Session, ref_or_id: str | int) -> Customer:
    text = str(ref_or_id)
    try:
        return customers.get_customer_by_ref(session, text)
    except NotFound:
        if text.isdecimal():
            return customers.get_customer(session, int(text))
        raise


@dataclass(frozen=True)
class CustomerTerms:
    terms: Terms
    sheet_id: str
    version: int


def terms_of(session: Session, customer: Customer) -> CustomerTerms:
    """The general terms of the sheet version of the customer's latest contract (else the
    operator's current sheet): they govern payment, late payment, dunning and deposits."""
    subs = contracts.list_subscriptions(session, customer.id)
    if subs:
        latest = max(subs, key=lambda s: (s.signed_on, s.id))
        sheet = terms_service.get_sheet(session, latest.sheet_id, latest.sheet_version)
    else:
        sheet = terms_service.get_sheet(session, _operator(session, customer).sheet_id)
    return CustomerTerms(sheet.general, sheet.id, sheet.version)


def _operator(session: Session, customer: Customer) -> Operator:
    return session.get(Operator, customer.operator_id)


def _operator_party(operator: Operator) -> dict:
    return {"name": operator.legal_name or operator.name, "address": operator.address,
            "email": operator.email, "phone": operator.phone}


def _amount(value: object, field: str) -> Decimal:
    try:
        return money(to_decimal(value, field=field))
    except ValueError as exc:
        raise InvalidInput.on(field, str(exc).split(": ", 1)[-1]) from None


def _rule(call, *args, **kwargs):
    """Run a rule; its refusal becomes an error naming the field."""
    try:
        return call(*args, **kwargs)
    except rules.PaymentError as exc:
        field, _, reason = str(exc).partition(": ")
        raise InvalidInput.on(field, reason or str(exc)) from None


# --------------------------------------------------------------------------- legal interest rates


RATE_NAMES = {"legal-interest": "french_legal_rate", "ecb-refinancing": "ecb_refinancing_rate"}


def add_legal_rate(session: Session, clock: Clock, actor: Actor, half_year: str, value: object,
                   source: str = "french_legal_rate") -> LegalInterestRate:
    """Record the rate in force for a half-year (percent a year). The same value again changes
    nothing; another value for a recorded half-year is refused."""
    starts, ends = _rule(rules.half_year_bounds, half_year)
    label = rules.half_year_of(starts)
    percent = _percent(value)
    existing = session.scalar(select(LegalInterestRate).where(
        LegalInterestRate.source == source, LegalInterestRate.half_year == label))
    if existing is not None:
        if Decimal(existing.percent) != percent:
            raise Conflict(f"rate {source} {label}: already recorded as {existing.percent} %")
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
        raise InvalidInput.on("value", str(exc).split(": ", 1)[-1]) from None
    if percent < 0 or percent >= 100:
        raise InvalidInput.on("value", f"{percent} is not a yearly rate in percent")
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
        raise NotAllowed(f"rate: the {source.replace('_', ' ')} of {label} is not recorded "
                         f"(clausier rate add {name} {label} VALUE)")
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


def _charge_indemnity(session: Session, clock: Clock, actor: Actor, customer: Customer,
                      terms: Terms, invoice: rules.OpenInvoice, on: date) -> None:
    explained = rules.recovery_indemnity(terms, invoice.number)
    if explained.lines:
        add_charge(session, clock, actor, customer_id=customer.id, subscription_id=None,
                   source="recovery_indemnity", source_key=invoice.number,
                   label=explained.lines[0].label, explained=explained,
                   price_basis=_operator(session, customer).price_basis, incurred_on=on,
                   vat_rate="exempt")


def _charge_late_payment(session: Session, clock: Clock, actor: Actor, customer: Customer,
                         terms: Terms, invoice: rules.OpenInvoice, paid_on: date) -> None:
    """An invoice settled after its due date: interest until the payment and the indemnity,
    on the next invoice (outside the scope of VAT)."""
    interest = accrued_interest(session, terms, invoice, paid_on)
    if interest.total > 0:
        add_charge(session, clock, actor, customer_id=customer.id, subscription_id=None,
                   source="late_interest", source_key=invoice.number,
                   label=f"Late interest on {invoice.number}", explained=interest,
                   price_basis=_operator(session, customer).price_basis, incurred_on=paid_on,
                   vat_rate="exempt")
    _charge_indemnity(session, clock, actor, customer, terms, invoice, paid_on)


# --------------------------------------------------------------------------- payments


def _apply(session: Session, clock: Clock, actor: Actor, customer: Customer, payment: Payment,
           chosen: list[int] | None = None) -> rules.AllocationPlan:
    """Allocate a recorded payment, move the invoices' status, charge late payment."""
    terms = terms_of(session, customer).terms
    open_invoices = invoice_reads.open_invoices(session, customer.id)
    plan = _rule(rules.allocate, payment.amount, open_invoices, chosen)
    by_id = {i.id: i for i in open_invoices}
    for invoice_id, part in plan.allocations:
        invoice = by_id[invoice_id]
        row = invoice_reads.invoice(session, invoice_id)
        payment.allocations.append(Allocation(invoice_id=invoice_id, invoice_number=invoice.number,
                                              amount=part, on=payment.received_on))
        session.flush()
        updated = billing_invoices.record_payment(session, clock, actor, invoice.number,
                                         row.amount_paid + part, payment.received_on)
        if updated.status == "paid" and payment.received_on > invoice.due_date:
            _charge_late_payment(session, clock, actor, customer, terms, invoice, payment.received_on)
    if plan.unallocated > 0:
        session.add(CustomerCredit(customer_id=customer.id, source="overpayment",
                                   source_key=f"payment:{payment.id}", amount=plan.unallocated,
                                   remaining=plan.unallocated, created_on=payment.received_on,
                                   note=f"overpayment of payment {payment.id}"))
    return plan


def record_payment(session: Session, clock: Clock, actor: Actor, customer_ref: str | int,
                   amount: object, method: str, received_on: date, reference: str = "",
                   invoice_numbers: Iterable[str] = ()) -> Payment:
    """Record money received; allocated to the oldest open invoices (or to those named), the
    rest kept as a credit. A payment that clears what is due closes the dunning case."""
    if method not in MANUAL_METHODS:
        raise InvalidInput.on("method", f"{method!r} is not one of {', '.join(MANUAL_METHODS)}")
    customer = get_customer(session, customer_ref)
    amount = _amount(amount, "amount")
    chosen = [billing_invoices.get_invoice(session, n).id for n in invoice_numbers] or None
    payment = _new_payment(session, clock, actor, customer, amount, method, received_on, reference)
    _apply(session, clock, actor, customer, payment, chosen)
    record(session, clock, actor, "payment.record", payment,
           f"{customer.ref}: {fr_format(amount)} by {method} on {received_on.isoformat()}")
    advance(session, clock, actor, customer, max(received_on, clock.today()))
    return payment


def record_payment_once(session: Session, clock: Clock, actor: Actor, customer_ref: str | int,
                        amount: object, method: str, received_on: date, reference: str = "",
                        invoice_numbers: Iterable[str] = (),
                        idempotency_key: str | None = None) -> tuple[Payment, bool]:
    """``record_payment``, unless the same payment was recorded already: a request retried with
    its ``Idempotency-Key``, or the customer's payment with the same bank reference. Returns the
    payment and whether it was recorded before; the same key or reference with other details
    is a conflict."""
    # Two retries in parallel must not both miss the first one.
    lock_for_writing(session, "payments.record")
    customer = get_customer(session, customer_ref)
    amount = _amount(amount, "amount")
    if idempotency_key:
        field = "Idempotency-Key"
        earlier = session.scalar(select(Payment).where(Payment.idempotency_key == idempotency_key))
    elif reference:
        field = "reference"
        earlier = session.scalar(select(Payment).where(
            Payment.customer_id == customer.id, Payment.reference == reference)
            .order_by(Payment.id).limit(1))
    else:
        earlier = None
    if earlier is not None:
        if (earlier.customer_id, earlier.amount, earlier.method, earlier.received_on,
                earlier.reference) != (customer.id, amount, method, received_on, reference):
            raise Conflict(f"{field}: already used by payment {earlier.id} "
                           f"({fr_format(earlier.amount)} of {earlier.received_on.isoformat()})",
                           problems=[Problem(field, f"already used by payment {earlier.id}")])
        return earlier, True
    payment = record_payment(session, clock, actor, customer.ref, amount, method, received_on,
                             reference, invoice_numbers)
    payment.idempotency_key = idempotency_key or None
    return payment, False


def _new_payment(session: Session, clock: Clock, actor: Actor, customer: Customer, amount: Decimal,
                 method: str, received_on: date, reference: str = "", **links) -> Payment:
    payment = Payment(customer_id=customer.id, amount=amount, method=method, received_on=received_on,
                      reference=reference, actor=actor.name, created_at=clock.now(), **links)
    session.add(payment)
    session.flush()
    return payment


def reverse_payment(session: Session, clock: Clock, actor: Actor, payment: Payment, on: date,
                    reason: str) -> None:
    """Undo a payment (a returned debit): its invoices are open again for what it paid."""
    if payment.status == "reversed":
        return
    payment.status, payment.reversed_on, payment.reversal_reason = "reversed", on, reason
    for allocation in payment.allocations:
        if allocation.reversed:
            continue
        allocation.reversed = True
        row = invoice_reads.invoice(session, allocation.invoice_id)
        billing_invoices.record_payment(session, clock, actor, allocation.invoice_number,
                               row.amount_paid - allocation.amount, on)
    record(session, clock, actor, "payment.reverse", payment, f"payment {payment.id}: {reason}")


def owed(session: Session, customer_id: int) -> Decimal:
    """Everything the customer owes: open invoices and the charges waiting for the next one."""
    invoiced = sum((i.outstanding for i in invoice_reads.open_invoices(session, customer_id)), ZERO)
    charges = sum((c.amount for c in pending_charges(session, customer_id)), ZERO)
    return money(invoiced + max(ZERO, charges))


def _rows_of(session: Session, model, customer_id: int | None) -> list:
    """Rows of a customer-owned table, oldest first (all customers when ``customer_id`` is None)."""
    query = select(model).order_by(model.id)
    if customer_id is not None:
        query = query.where(model.customer_id == customer_id)
    return list(session.scalars(query))


def list_payments(session: Session, customer_id: int | None = None, limit: int = 200) -> list[Payment]:
    query = select(Payment).order_by(Payment.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(Payment.customer_id == customer_id)
    return list(session.scalars(query))


def payment_dict(payment: Payment) -> dict:
    return {"id": payment.id, "customer_id": payment.customer_id, "amount": str(payment.amount),
            "method": payment.method, "received_on": payment.received_on,
            "reference": payment.reference, "status": payment.status,
            "reversed_on": payment.reversed_on, "reversal_reason": payment.reversal_reason,
            "allocations": [{"invoice": a.invoice_number, "amount": str(a.amount),
                             "reversed": a.reversed} for a in payment.allocations]}


# --------------------------------------------------------------------------- credits, refunds, set-off


def credits_of(session: Session, customer_id: int) -> list[CustomerCredit]:
    return list(session.scalars(select(CustomerCredit).where(
        CustomerCredit.customer_id == customer_id).order_by(CustomerCredit.id)))


def refund_credit(session: Session, clock: Clock, actor: Actor, credit_id: int, on: date,
                  amount: object | None = None, method: str = "transfer",
                  reference: str = "") -> Refund:
    credit = session.get(CustomerCredit, credit_id)
    if credit is None:
        raise NotFound(f"credit {credit_id} not found")
    value = credit.remaining if amount is None else _amount(amount, "amount")
    if value <= 0 or value > credit.remaining:
        raise InvalidInput.on("amount", f"{fr_format(value)}: between 0 and the "
                                        f"{fr_format(credit.remaining)} left on the credit")
    credit.remaining = money(credit.remaining - value)
    refund = Refund(customer_id=credit.customer_id, credit_id=credit.id, amount=value,
                    refunded_on=on, method=method, reference=reference, actor=actor.name,
                    created_at=clock.now())
    session.add(refund)
    record(session, clock, actor, "credit.refund", refund, f"credit {credit.id}: {fr_format(value)} refunded")
    return refund


def send_set_off_notice(session: Session, clock: Clock, actor: Actor,
                        customer_ref: str | int) -> SetOffNotice:
    """Tell the customer that mutual debts will be set off (by e-mail, CGV art. 10.4)."""
    customer = get_customer(session, customer_ref)
    terms = terms_of(session, customer).terms
    days = terms.payment.set_off_notice_days if terms.payment else None
    credit = sum((c.remaining for c in credits_of(session, customer.id)), ZERO)
    today = clock.today()
    message = outbox.queue(
        session, clock, actor, customer, channel="email", kind="set_off_notice",
        key=f"set_off:{customer.id}:{today.isoformat()}",
        subject="Compensation de sommes dues",
        body=(f"Nous vous informons que les sommes que nous vous devons ({fr_format(credit)}) "
              f"seront compensées avec vos factures ouvertes"
              + (f" à l'issue d'un délai de {days.value} jours ({days.clause})." if days else ".")))
    notice = SetOffNotice(customer_id=customer.id, sent_on=today, message_id=message.id)
    session.add(notice)
    record(session, clock, actor, "setoff.notice", notice, f"{customer.ref}: set-off notice sent")
    return notice


def offset_credits(session: Session, clock: Clock, actor: Actor, customer_ref: str | int,
                   on: date | None = None) -> list[Payment]:
    """Set the customer's credits off against its open invoices, once the notice has run."""
    customer = get_customer(session, customer_ref)
    day = on or clock.today()
    last_notice = session.scalar(select(func.max(SetOffNotice.sent_on)).where(
        SetOffNotice.customer_id == customer.id))
    decision = rules.set_off(terms_of(session, customer).terms, last_notice, day)
    if not decision.allowed:
        raise NotAllowed(f"set-off: {decision.reason} ({decision.clause})")
    payments = []
    for credit in credits_of(session, customer.id):
        owed = sum((i.outstanding for i in invoice_reads.open_invoices(session, customer.id)), ZERO)
        used = min(credit.remaining, owed)
        if used <= 0:
            continue
        payment = _new_payment(session, clock, actor, customer, used, "set_off", day,
                               f"credit {credit.id}", credit_id=credit.id)
        credit.remaining = money(credit.remaining - used)
        _apply(session, clock, actor, customer, payment)
        record(session, clock, actor, "payment.set_off", payment,
               f"{customer.ref}: {fr_format(used)} of credit {credit.id} set off ({decision.clause})")
        payments.append(payment)
    if payments:
        advance(session, clock, actor, customer, day)
    return payments


# --------------------------------------------------------------------------- SEPA: creditor, mandates


def _iban(value: str, field: str = "iban") -> IBAN:
    # schwifty loads its bank registry: only for the commands that check bank details.
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return IBAN(value)
    except (SchwiftyException, ValueError) as exc:
        raise InvalidInput.on(field, f"{value!r} is not a valid IBAN ({exc})") from None


def _bic(value: str | None, iban: IBAN, field: str = "bic") -> str:
    if not value:
        derived = iban.bic
        if derived is None:
            raise InvalidInput.on(field, f"required: no BIC is known for the bank of {iban.compact}")
        return str(derived)
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        return str(BIC(value))
    except (SchwiftyException, ValueError) as exc:
        raise InvalidInput.on(field, f"{value!r} is not a valid BIC ({exc})") from None


def set_creditor(session: Session, clock: Clock, actor: Actor, operator_code: str, *, name: str,
                 iban: str, creditor_identifier: str, bic: str | None = None,
                 prenotification_days: int | None = None) -> CreditorAccount:
    """The operator's SEPA creditor account and identifier (*ICS*)."""
    operator = session.scalar(select(Operator).where(Operator.code == operator_code))
    if operator is None:
        raise NotFound(f"operator: no operator {operator_code!r}")
    account = _iban(iban)
    if not creditor_identifier.strip():
        raise InvalidInput.on("creditor_identifier", "required (e.g. FR12ZZZ123456)")
    row = session.scalar(select(CreditorAccount).where(CreditorAccount.operator_id == operator.id))
    if row is None:
        row = CreditorAccount(operator_id=operator.id)
        session.add(row)
    wanted = {"name": name[:70], "iban": account.compact, "bic": _bic(bic, account),
              "creditor_identifier": creditor_identifier.strip()}
    if prenotification_days is not None:
        wanted["prenotification_days"] = prenotification_days
    changes = {key: [getattr(row, key), value] for key, value in wanted.items()
               if getattr(row, key) != value}
    if changes:
        for key, value in wanted.items():
            setattr(row, key, value)
        record(session, clock, actor, "sepa.creditor", row, f"{operator.code}: {row.iban}", changes)
    return row


def _creditor(session: Session, operator_id: int) -> CreditorAccount:
    row = session.scalar(select(CreditorAccount).where(CreditorAccount.operator_id == operator_id))
    if row is None:
        raise NotAllowed("creditor: the operator has no SEPA creditor account "
                         "(clausier sepa creditor OPERATOR …)")
    return row


_MANDATE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+?/-:().,' ")


def add_mandate(session: Session, clock: Clock, actor: Actor, customer_ref: str | int, *,
                reference: str, signed_on: date, iban: str, bic: str | None = None,
                debtor_name: str | None = None) -> Mandate:
    """A signed SEPA mandate (unique reference, *RUM*); it replaces the customer's active one."""
    customer = get_customer(session, customer_ref)
    reference = reference.strip()
    if not reference or len(reference) > 35 or set(reference) - _MANDATE_CHARS:
        raise InvalidInput.on("reference", "1 to 35 SEPA characters (letters, digits, +?/-:().,' )")
    if session.scalar(select(Mandate.id).where(Mandate.reference == reference)):
        raise Conflict(f"reference: mandate {reference} already exists")
    if signed_on > clock.today():
        raise InvalidInput.on("signed_on", "a mandate is signed before it is recorded")
    account = _iban(iban)
    for previous in session.scalars(select(Mandate).where(Mandate.customer_id == customer.id,
                                                          Mandate.status == "active")):
        previous.status, previous.status_reason = "revoked", f"replaced by {reference}"
    mandate = Mandate(customer_id=customer.id, reference=reference, signed_on=signed_on,
                      debtor_name=(debtor_name or customer.name)[:70], iban=account.compact,
                      bic=_bic(bic, account), created_at=clock.now())
    session.add(mandate)
    record(session, clock, actor, "mandate.add", mandate, f"{customer.ref}: {reference}")
    return mandate


def revoke_mandate(session: Session, clock: Clock, actor: Actor, reference: str, reason: str) -> Mandate:
    mandate = session.scalar(select(Mandate).where(Mandate.reference == reference))
    if mandate is None:
        raise NotFound(f"mandate {reference} not found")
    mandate.status, mandate.status_reason = "revoked", reason
    record(session, clock, actor, "mandate.revoke", mandate, f"{reference}: {reason}")
    return mandate


def list_mandates(session: Session, customer_id: int | None = None) -> list[Mandate]:
    return _rows_of(session, Mandate, customer_id)


def mandate_dict(mandate: Mandate) -> dict:
    return {"id": mandate.id, "customer_id": mandate.customer_id, "reference": mandate.reference,
            "signed_on": mandate.signed_on, "debtor_name": mandate.debtor_name,
            "iban": mandate.iban, "bic": mandate.bic, "status": mandate.status,
            "status_reason": mandate.status_reason, "last_collection_on": mandate.last_collection_on}


# --------------------------------------------------------------------------- SEPA: collections


def _active_mandate(session: Session, customer_id: int) -> Mandate | None:
    return session.scalar(select(Mandate).where(Mandate.customer_id == customer_id,
                                                Mandate.status == "active"))


def _pending_first_presentations(session: Session, customer_id: int) -> set[int]:
    """Invoices whose first debit is on its way: not due for the dunning ladder meanwhile."""
    return set(session.scalars(select(DirectDebitItem.invoice_id).where(
        DirectDebitItem.customer_id == customer_id, DirectDebitItem.presentation == 1,
        DirectDebitItem.status.in_(("scheduled", "exported")))))


def schedule_collections(session: Session, clock: Clock, actor: Actor, day: date,
                         customer_id: int | None = None) -> int:
    """A debit for every open invoice of a customer with an active mandate, dated after the
    pre-notification, which is queued by e-mail. Idempotent: an invoice is debited once."""
    count = 0
    for mandate in session.scalars(select(Mandate).where(
            Mandate.status == "active",
            true() if customer_id is None else Mandate.customer_id == customer_id)).all():
        customer = session.get(Customer, mandate.customer_id)
        creditor = session.scalar(select(CreditorAccount).where(
            CreditorAccount.operator_id == customer.operator_id))
        if creditor is None:
            continue
        presented = set(session.scalars(select(DirectDebitItem.invoice_id).where(
            DirectDebitItem.customer_id == customer.id, DirectDebitItem.presentation == 1)))
        for invoice in invoice_reads.open_invoices(session, customer.id):
            if invoice.id in presented or invoice.issue_date > day:
                continue
            item = DirectDebitItem(
                mandate_id=mandate.id, customer_id=customer.id, invoice_id=invoice.id,
                invoice_number=invoice.number, amount=invoice.undisputed,
                collection_date=rules.collection_date(invoice.due_date, day,
                                                      creditor.prenotification_days),
                end_to_end_id=f"{invoice.number}-P1"[:35], created_at=clock.now())
            if item.amount <= 0:
                continue
            session.add(item)
            session.flush()
            outbox.queue(session, clock, actor, customer, channel="email", kind="prenotification",
                         key=f"prenotification:{item.id}",
                         subject=f"Prélèvement SEPA de la facture {invoice.number}",
                         body=(f"La facture {invoice.number} de {fr_format(item.amount)} sera "
                               f"prélevée le {item.collection_date:%d/%m/%Y} sur le compte "
                               f"{mandate.iban[:4]}…{mandate.iban[-4:]} (mandat {mandate.reference}, "
                               f"créancier {creditor.creditor_identifier})."))
            record(session, clock, actor, "sepa.schedule", item,
                   f"{item.end_to_end_id}: {fr_format(item.amount)} on {item.collection_date.isoformat()}")
            count += 1
    return count


def export_collections(session: Session, clock: Clock, actor: Actor, collection_date: date,
                       operator_code: str | None = None) -> list[DirectDebitCollection]:
    """The pain.008 file(s) of the debits due by ``collection_date`` (one per operator), each
    valid against the XSD. Debits already exported are not exported again: running the export
    again for a date returns the files already made."""
    query = select(DirectDebitItem).where(DirectDebitItem.status == "scheduled",
                                          DirectDebitItem.collection_date <= collection_date)
    by_operator: dict[int, list[DirectDebitItem]] = {}
    for item in session.scalars(query.order_by(DirectDebitItem.id)):
        customer = session.get(Customer, item.customer_id)
        by_operator.setdefault(customer.operator_id, []).append(item)
    operators = {o.id: o for o in session.scalars(select(Operator))}
    if operator_code:
        by_operator = {k: v for k, v in by_operator.items() if operators[k].code == operator_code}
    made = []
    for operator_id, items in by_operator.items():
        creditor = _creditor(session, operator_id)
        debits = []
        for item in items:
            mandate = session.get(Mandate, item.mandate_id)
            (invoice,) = invoice_reads.facts(session, [invoice_reads.invoice(session, item.invoice_id)])
            item.amount = min(item.amount, invoice.undisputed)     # paid or disputed meanwhile
            if item.amount <= 0 or mandate.status != "active" or rules.mandate_lapsed(
                    mandate.signed_on, mandate.last_collection_on, collection_date):
                item.status = "cancelled"
                continue
            item.sequence_type = rules.sequence_type(_presented_before(session, mandate.id, item.id))
            item.collection_date = collection_date
            debits.append(sepa.Debit(item.end_to_end_id, item.amount, item.sequence_type,
                                     mandate.debtor_name, mandate.iban, mandate.bic,
                                     mandate.reference, mandate.signed_on,
                                     f"Facture {item.invoice_number}"))
        if not debits:
            continue
        xml, message_id = sepa.pain008(sepa.Creditor(creditor.name, creditor.iban, creditor.bic,
                                                     creditor.creditor_identifier),
                                       collection_date, debits)
        collection = DirectDebitCollection(
            operator_id=operator_id, collection_date=collection_date, message_id=message_id[:35],
            items_count=len(debits), total=money(sum((d.amount for d in debits), ZERO)),
            xml=xml.decode("utf-8"), sha256=hashlib.sha256(xml).hexdigest(), actor=actor.name,
            created_at=clock.now())
        session.add(collection)
        session.flush()
        for item in items:
            if item.status == "scheduled":
                item.status, item.collection_id = "exported", collection.id
        record(session, clock, actor, "sepa.export", collection,
               f"{operators[operator_id].code} {collection_date.isoformat()}: {len(debits)} debit(s), "
               f"{fr_format(collection.total)}")
        made.append(collection)
    if not made:
        made = list(session.scalars(select(DirectDebitCollection).where(
            DirectDebitCollection.collection_date == collection_date).order_by(DirectDebitCollection.id)))
        if operator_code:
            made = [c for c in made if operators[c.operator_id].code == operator_code]
    return made


def _presented_before(session: Session, mandate_id: int, item_id: int) -> bool:
    return session.scalar(select(func.count()).select_from(DirectDebitItem).where(
        DirectDebitItem.mandate_id == mandate_id, DirectDebitItem.id != item_id,
        DirectDebitItem.status.in_(("collected", "returned")),
        DirectDebitItem.collection_id.is_not(None))) > 0


def settle_collections(session: Session, clock: Clock, actor: Actor, day: date,
                       customer_id: int | None = None) -> int:
    """On the collection date an exported debit is paid: a payment allocated to its invoice (a
    later return reverses it)."""
    items = session.scalars(select(DirectDebitItem).where(
        DirectDebitItem.status == "exported", DirectDebitItem.collection_date <= day,
        true() if customer_id is None else DirectDebitItem.customer_id == customer_id)
        .order_by(DirectDebitItem.id)).all()
    for item in items:
        customer = session.get(Customer, item.customer_id)
        payment = _new_payment(session, clock, actor, customer, item.amount, "direct_debit",
                               item.collection_date, item.end_to_end_id)
        still_open = any(i.id == item.invoice_id for i in invoice_reads.open_invoices(session, customer.id))
        # paid meanwhile by other means: the debit goes to the oldest invoices, or to a credit
        _apply(session, clock, actor, customer, payment, [item.invoice_id] if still_open else None)
        item.status, item.payment_id = "collected", payment.id
        session.get(Mandate, item.mandate_id).last_collection_on = item.collection_date
        record(session, clock, actor, "sepa.collected", item,
               f"{item.end_to_end_id}: {fr_format(item.amount)} collected")
        advance(session, clock, actor, customer, day)
    return len(items)


def import_returns(session: Session, clock: Clock, actor: Actor, content: bytes,
                   source: str = "") -> Report:
    """Rejections and returns of debits with their reason codes: each reopens its invoice,
    adds the sheet's rejected-debit fee and starts (or moves on) the dunning ladder at once.
    Importing the same file again changes nothing; bad rows are reported one by one."""
    lines, problems = sepa.parse_returns(content)
    report = Report(problems=list(problems))
    for line in lines:
        item = session.scalar(select(DirectDebitItem).where(
            DirectDebitItem.end_to_end_id == line.end_to_end_id))
        if item is None:
            report.problems.append(Problem("end_to_end_id", f"no debit {line.end_to_end_id}", line.line))
            continue
        try:
            reason, mandate_unusable = rules.return_reason(line.reason_code)
        except rules.PaymentError as exc:
            report.problems.append(Problem("reason_code", str(exc).split(": ", 1)[1], line.line))
            continue
        if line.amount is not None and money(line.amount) != item.amount:
            report.problems.append(Problem("amount", f"{line.amount} is not the {item.amount} debited",
                                           line.line))
            continue
        if item.status == "returned":      # the same return imported again: nothing changes
            report.accepted += 1
            continue
        if item.status not in ("exported", "collected"):
            report.problems.append(Problem("end_to_end_id", f"{item.end_to_end_id} was not presented "
                                                            f"({item.status})", line.line))
            continue
        _record_return(session, clock, actor, item, line, reason, mandate_unusable, source)
        report.accepted += 1
    return report


def _record_return(session: Session, clock: Clock, actor: Actor, item: DirectDebitItem,
                   line: sepa.ReturnLine, reason: str, mandate_unusable: bool, source: str) -> None:
    customer = session.get(Customer, item.customer_id)
    session.add(DebitReturn(item_id=item.id, reason_code=line.reason_code, reason=reason,
                            returned_on=line.returned_on, amount=item.amount, source_file=source[:300],
                            imported_at=clock.now()))
    if item.payment_id is not None:
        reverse_payment(session, clock, actor, session.get(Payment, item.payment_id),
                        line.returned_on, f"debit returned {line.reason_code} {reason}")
    item.status, item.returned_on, item.return_reason = "returned", line.returned_on, line.reason_code
    if mandate_unusable:
        mandate = session.get(Mandate, item.mandate_id)
        mandate.status, mandate.status_reason = "invalid", f"{line.reason_code} {reason}"
    terms = terms_of(session, customer)
    fee = rules.rejected_debit_fee(terms.terms, item.end_to_end_id, f"{line.reason_code} {reason}")
    if fee.lines:
        add_charge(session, clock, actor, customer_id=customer.id, subscription_id=None,
                   source="rejected_debit", source_key=f"{item.end_to_end_id}:{line.returned_on.isoformat()}",
                   label=fee.lines[0].label, explained=fee,
                   price_basis=_operator(session, customer).price_basis,
                   incurred_on=line.returned_on, vat_rate="exempt")
    record(session, clock, actor, "sepa.return", item,
           f"{item.end_to_end_id}: returned {line.reason_code} ({reason}) on {line.returned_on.isoformat()}")
    case = _case_of_return(session, item)
    if case is None:
        case = _open_case(session, clock, actor, customer, terms, line.returned_on, "rejection",
                          item.collection_date)
    case.rejected_on = case.rejected_on or line.returned_on
    advance(session, clock, actor, customer, max(line.returned_on, clock.today()))


def _case_of_return(session: Session, item: DirectDebitItem) -> DunningCase | None:
    """A returned re-presentation moves its case on (reopened if a payment had closed it)."""
    if item.dunning_case_id is None:
        return None
    case = session.get(DunningCase, item.dunning_case_id)
    step = session.scalar(select(DunningStepRecord).where(DunningStepRecord.debit_item_id == item.id))
    if step is not None:
        step.debit_returned_on = item.returned_on
    if case.status == "closed":
        case.status, case.closed_on, case.closed_reason = "open", None, ""
    return case


def list_collections(session: Session, limit: int = 50) -> list[DirectDebitCollection]:
    return list(session.scalars(select(DirectDebitCollection).order_by(
        DirectDebitCollection.id.desc()).limit(limit)))


# --------------------------------------------------------------------------- dunning


def _open_case(session: Session, clock: Clock, actor: Actor, customer: Customer,
               terms: CustomerTerms, day: date, trigger: str, due_date: date) -> DunningCase:
    case = DunningCase(customer_id=customer.id, trigger=trigger, opened_on=day, due_date=due_date,
                       sheet_id=terms.sheet_id, sheet_version=terms.version, restricted=[],
                       suspended=[], created_at=clock.now())
    session.add(case)
    session.flush()
    record(session, clock, actor, "dunning.open", case,
           f"{customer.ref}: case opened on {day.isoformat()} ({trigger})")
    return case


def open_case_of(session: Session, customer_id: int) -> DunningCase | None:
    return session.scalar(select(DunningCase).where(DunningCase.customer_id == customer_id,
                                                    DunningCase.status == "open"))


def _facts(session: Session, case: DunningCase) -> rules.CaseFacts:
    history = []
    for step in case.steps:
        letter = session.get(OutboxMessage, step.letter_id) if step.letter_id else None
        history.append(rules.StepHistory(step.step_id, step.reached_on,
                                         letter.received_on if letter else None,
                                         step.debit_returned_on, letter is not None))
    return rules.CaseFacts(case.opened_on, case.due_date, case.rejected_on, tuple(history))


@dataclass
class Due:
    """What a customer owes on a day for the dunning ladder."""

    open: list[rules.OpenInvoice]
    overdue: list[rules.OpenInvoice]
    accelerated_on: date | None

    @property
    def amount(self) -> Decimal:
        return money(sum((i.undisputed for i in self.overdue), ZERO))


def _due(session: Session, customer: Customer, terms: Terms, day: date,
         case: DunningCase | None) -> Due:
    pending = _pending_first_presentations(session, customer.id)
    open_invoices = [i for i in invoice_reads.open_invoices(session, customer.id) if i.id not in pending]
    accelerated = rules.acceleration_date(terms, open_invoices, day)
    if case is not None and case.accelerated_on:
        accelerated = case.accelerated_on
    return Due(open_invoices, rules.overdue(open_invoices, day, accelerated), accelerated)


def advance(session: Session, clock: Clock, actor: Actor, customer: Customer,
            day: date) -> list[DunningStepRecord]:
    """Move the customer's ladder to ``day``: open a case when something is overdue, reach every
    step that falls due, close the case (lifting the ladder's suspensions) once nothing is due.
    Idempotent for a day."""
    terms = terms_of(session, customer)
    case = open_case_of(session, customer.id)
    due = _due(session, customer, terms.terms, day, case)
    if not due.overdue:
        if case is not None:
            _close_case(session, clock, actor, case, day, "nothing overdue any more")
        return []
    steps = terms.terms.dunning.steps if terms.terms.dunning else []
    if not steps:
        return []
    if case is None:
        first_due = min(rules.effective_due(i, due.accelerated_on) for i in due.overdue)
        case = _open_case(session, clock, actor, customer, terms, day, "overdue", first_due)
    if due.accelerated_on and case.accelerated_on is None:
        case.accelerated_on = due.accelerated_on
        late = terms.terms.late_payment
        record(session, clock, actor, "dunning.acceleration", case,
               f"{customer.ref}: every invoice due from {due.accelerated_on.isoformat()} "
               f"({late.acceleration.clause})")
    early = terms.terms.dunning.restriction_from_first_late_payment
    reached = []
    while ((upcoming := rules.next_step(steps, _facts(session, case), early)) is not None
           and upcoming.is_due(day)):
        reached.append(_reach(session, clock, actor, customer, terms.terms, case, upcoming, due, day))
    return reached


def _reach(session: Session, clock: Clock, actor: Actor, customer: Customer, terms: Terms,
           case: DunningCase, upcoming: rules.NextStep, due: Due, day: date) -> DunningStepRecord:
    step = upcoming.step
    waits = step.requires_approval
    row = DunningStepRecord(
        step_id=step.id, action=step.action.value, position=upcoming.position, reached_on=day,
        status="pending_approval" if waits else "done", basis=upcoming.basis, amount_due=due.amount,
        details={"invoices": [{"number": i.number, "due_date": i.due_date.isoformat(),
                               "outstanding": str(i.undisputed)} for i in due.overdue],
                 "clause": str(step.src)},
        created_at=clock.now())
    case.steps.append(row)
    session.flush()
    if not waits:
        _execute(session, clock, actor, customer, terms, case, row, due, day)
    record(session, clock, actor, "dunning.step", row,
           f"{customer.ref}: {step.id} ({step.action.value}) "
           f"{'awaits approval' if waits else 'done'} on {day.isoformat()} — {upcoming.basis}")
    return row


def _sheet_dunning(session: Session, case: DunningCase):
    return terms_service.get_sheet(session, case.sheet_id, case.sheet_version).general.dunning


def _execute(session: Session, clock: Clock, actor: Actor, customer: Customer, terms: Terms,
             case: DunningCase, row: DunningStepRecord, due: Due, day: date) -> None:
    """What a step does: letters and messages, restriction, suspension, re-presentation,
    termination with its exit amounts, litigation."""
    steps = _sheet_dunning(session, case).steps
    step = steps[row.position]
    action = step.action
    if action in (DunningAction.reminder, DunningAction.formal_notice):
        _dunning_messages(session, clock, actor, customer, terms, case, row, steps, due, day)
    elif action in (DunningAction.restrict, DunningAction.suspend):
        verb = "restrict" if action == DunningAction.restrict else "suspend"
        touched = []
        for sub in contracts.list_subscriptions(session, customer.id):
            if sub.status in contracts.TRANSITIONS[verb][0]:
                contracts.change_status(session, clock, actor, sub.id, verb, day,
                                        f"unpaid bills — {step.src}")
                touched.append(sub.id)
        target = "restricted" if verb == "restrict" else "suspended"
        setattr(case, target, sorted(set(getattr(case, target)) | set(touched)))
        row.details = {**row.details, target: touched}
    elif action == DunningAction.re_present_debit:
        _re_present(session, clock, actor, customer, case, row, due, day)
    elif action == DunningAction.terminate:
        _terminate(session, clock, actor, customer, terms, case, row, due, day)
    elif action == DunningAction.litigation:
        row.details = {**row.details, "litigation": f"{fr_format(due.amount)} handed over on "
                                                    f"{day.isoformat()}"}


def _consequence(steps, position: int) -> str:
    """What follows a letter, in the letter's words."""
    words = {DunningAction.restrict: "restreindre", DunningAction.suspend: "suspendre",
             DunningAction.terminate: "résilier", DunningAction.litigation: "engager une procédure "
             "contentieuse pour"}
    actions = []
    for later in steps[position + 1:]:
        if later.action in (DunningAction.formal_notice, DunningAction.reminder):
            break
        if later.action in words and words[later.action] not in actions:
            actions.append(words[later.action])
    if not actions:
        return ""
    return f"À défaut, nous pourrons {' ou '.join(actions)} les services concernés."


def _dunning_messages(session: Session, clock: Clock, actor: Actor, customer: Customer,
                      terms: Terms, case: DunningCase, row: DunningStepRecord, steps, due: Due,
                      day: date) -> None:
    step = steps[row.position]
    operator = _operator(session, customer)
    within = rules.pay_within_words(steps, row.position)
    consequence = _consequence(steps, row.position)
    rejected = (f"Votre prélèvement du {case.due_date:%d/%m/%Y} a été rejeté. "
                if case.trigger == "rejection" else "")
    text = (f"{rejected}Les factures {', '.join(i.number for i in due.overdue)} restent impayées "
            f"pour un montant de {fr_format(due.amount)}."
            + (f" Merci de régulariser dans un délai de {within}." if within else "")
            + (f" {consequence}" if consequence else ""))
    for channel in step.channels:
        key = f"dunning:{case.id}:{step.id}:{channel.value}"
        if channel == Channel.registered_letter:
            explained = Explained()
            notes = []
            for invoice in due.overdue:
                try:
                    explained = explained.plus(*accrued_interest(session, terms, invoice, day).lines)
                except NotAllowed as exc:
                    notes.append(exc.message)
                explained = explained.plus(*rules.recovery_indemnity(terms, invoice.number).lines)
            letter = outbox.queue(
                session, clock, actor, customer, channel=channel.value, kind=step.action.value,
                key=key, subject=f"Mise en demeure de payer ({step.id.replace('_', ' ')})",
                body=(f"Madame, Monsieur,\n\n{text}\n\nPar la présente, nous vous mettons en demeure "
                      f"de régler la somme de {fr_format(due.amount)}"
                      + (f" dans un délai de {within}." if within else ".")),
                letter={"operator": _operator_party(operator), "customer_ref": customer.ref,
                        "invoices": due.overdue, "explained": explained,
                        "clause": f"{step.src}" + (f" — {'; '.join(notes)}" if notes else "")})
            row.letter_id = letter.id
        else:
            outbox.queue(session, clock, actor, customer, channel=channel.value,
                         kind=step.action.value, key=key,
                         subject=f"{operator.name} : facture impayée", body=f"{operator.name} : {text}")


def _re_present(session: Session, clock: Clock, actor: Actor, customer: Customer,
                case: DunningCase, row: DunningStepRecord, due: Due, day: date) -> None:
    mandate = _active_mandate(session, customer.id)
    if mandate is None:
        # Nothing can be presented again: the ladder goes on as after a new rejection.
        row.debit_returned_on = day
        row.details = {**row.details, "re_presented": [], "note": "no active mandate"}
        return
    items = []
    for invoice in due.overdue:
        item = DirectDebitItem(
            mandate_id=mandate.id, customer_id=customer.id, invoice_id=invoice.id,
            invoice_number=invoice.number, presentation=2, amount=invoice.undisputed,
            collection_date=day, end_to_end_id=f"{invoice.number}-P2"[:35], dunning_case_id=case.id,
            created_at=clock.now())
        if session.scalar(select(DirectDebitItem.id).where(
                DirectDebitItem.end_to_end_id == item.end_to_end_id)):
            continue
        session.add(item)
        session.flush()
        items.append(item)
    row.debit_item_id = items[0].id if items else None
    if not items:
        row.debit_returned_on = day
    row.details = {**row.details, "re_presented": [i.end_to_end_id for i in items]}


def _terminate(session: Session, clock: Clock, actor: Actor, customer: Customer, terms: Terms,
               case: DunningCase, row: DunningStepRecord, due: Due, day: date) -> None:
    """Termination for unpaid bills: every sum of CGV 8.4 becomes due (fees to the end of the
    commitment and the notice, the recovery indemnities), then the acknowledgement letter."""
    exit_amounts = Explained()
    terminated = []
    for live in contract_facts.live_subscriptions(session, [customer.id], day).get(customer.id, ()):
        sub = contracts.get_subscription(session, live.id)
        if sub.status != "notice_given":     # a notice already charged its exit amounts
            quote = contracts.quote_termination(session, sub.id, day)
            if quote.explained.total:
                add_charge(session, clock, actor, customer_id=customer.id, subscription_id=sub.id,
                           source="termination_unpaid", source_key=f"{sub.id}:{day.isoformat()}",
                           label=f"Termination for unpaid bills — {sub.ref}",
                           explained=quote.explained, price_basis=sub.items[0].price_basis
                           if sub.items else _operator(session, customer).price_basis,
                           incurred_on=day)
            exit_amounts = exit_amounts.plus(*quote.explained.lines)
        contracts.terminate_now(session, clock, actor, sub.id, day, "unpaid")
        terminated.append(sub.ref)
    for invoice in due.overdue:
        _charge_indemnity(session, clock, actor, customer, terms, invoice, day)
        exit_amounts = exit_amounts.plus(*rules.recovery_indemnity(terms, invoice.number).lines)
    operator = _operator(session, customer)
    letter = outbox.queue(
        session, clock, actor, customer, channel="registered_letter", kind="termination",
        key=f"dunning:{case.id}:{row.step_id}:termination",
        subject="Résiliation pour défaut de paiement",
        body=(f"Madame, Monsieur,\n\nFaute de règlement des sommes dues ({fr_format(due.amount)}) "
              f"malgré nos mises en demeure, nous prenons acte de la résiliation de vos services "
              f"{', '.join(terminated) or '—'} à la date du {day:%d/%m/%Y}. Les sommes ci-dessous "
              f"deviennent exigibles et figureront sur votre prochaine facture."),
        letter={"operator": _operator_party(operator), "customer_ref": customer.ref,
                "invoices": due.overdue, "explained": exit_amounts, "clause": str(row.details.get("clause", ""))})
    row.letter_id = row.letter_id or letter.id
    row.details = {**row.details, "terminated": terminated, "exit_amounts": exit_amounts.as_dict(),
                   "acknowledgement_letter": letter.id}


def decide_step(session: Session, clock: Clock, actor: Actor, step_record_id: int, approve: bool,
                on: date | None = None) -> DunningStepRecord:
    """A staff decision on a step the sheet leaves to the operator (suspend, terminate…)."""
    row = session.get(DunningStepRecord, step_record_id)
    if row is None:
        raise NotFound(f"dunning step {step_record_id} not found")
    if row.status != "pending_approval":
        raise NotAllowed(f"dunning step {row.id} ({row.step_id}) is {row.status}, not awaiting a decision")
    case = row.case
    if case.status != "open":
        raise NotAllowed(f"dunning case {case.id} is {case.status}")
    day = on or clock.today()
    customer = session.get(Customer, case.customer_id)
    terms = terms_of(session, customer).terms
    row.status = "approved" if approve else "declined"
    row.decided_by, row.decided_on, row.decided_at = actor.name, day, clock.now()
    if approve:
        _execute(session, clock, actor, customer, terms, case, row,
                 _due(session, customer, terms, day, case), day)
    record(session, clock, actor, f"dunning.{row.status}", row,
           f"{customer.ref}: {row.step_id} {row.status} by {actor.name} on {day.isoformat()}")
    return row


def _close_case(session: Session, clock: Clock, actor: Actor, case: DunningCase, day: date,
                reason: str) -> None:
    """Payment stops the ladder; it lifts the ladder's restrictions and suspensions when the
    sheet says so, and the decisions still awaited lapse."""
    customer = session.get(Customer, case.customer_id)
    dunning = terms_of(session, customer).terms.dunning
    lifts = dunning and dunning.payment_lifts_suspension and dunning.payment_lifts_suspension.value
    resumed = []
    if lifts:
        for sub_id in sorted(set(case.restricted) | set(case.suspended)):
            sub = contracts.get_subscription(session, sub_id)
            if sub.status in ("restricted", "suspended"):
                contracts.change_status(session, clock, actor, sub.id, "resume", day,
                                        f"paid — {dunning.payment_lifts_suspension.clause}")
                resumed.append(sub.ref)
    for row in case.steps:
        if row.status == "pending_approval":
            row.status = "lapsed"
    case.status, case.closed_on, case.closed_reason = "closed", day, reason
    record(session, clock, actor, "dunning.close", case,
           f"{customer.ref}: case closed on {day.isoformat()} ({reason})"
           + (f"; resumed {', '.join(resumed)}" if resumed else ""))


def record_letter_receipt(session: Session, clock: Clock, actor: Actor, message_id: int,
                          received_on: date) -> OutboxMessage:
    """The acknowledgement of receipt of a registered letter; the steps counted from receipt
    (and a deposit's replenishment delay) run from it."""
    message = outbox.record_receipt(session, clock, actor, message_id, received_on)
    deposit = session.scalar(select(Deposit).where(Deposit.draw_letter_id == message.id))
    if deposit is not None:
        deposit.replenish_by, _ = _rule(rules.replenish_by, terms_of(
            session, session.get(Customer, deposit.customer_id)).terms, received_on)
    return message


@dataclass
class QueueEntry:
    case: DunningCase
    customer: Customer
    amount_due: Decimal
    pending: list[DunningStepRecord]
    next_step: rules.NextStep | None
    letters_awaiting_receipt: list[OutboxMessage]

    def as_dict(self) -> dict:
        upcoming = self.next_step
        return {
            "case_id": self.case.id, "customer": self.customer.ref, "customer_name": self.customer.name,
            "opened_on": self.case.opened_on, "trigger": self.case.trigger,
            "amount_due": str(self.amount_due),
            "pending_approval": [{"id": r.id, "step": r.step_id, "action": r.action,
                                  "reached_on": r.reached_on, "basis": r.basis} for r in self.pending],
            "next_step": None if upcoming is None else {
                "step": upcoming.step.id, "action": upcoming.step.action.value,
                "due_on": upcoming.due_on, "waiting_for": upcoming.waiting_for,
                "basis": upcoming.basis, "requires_approval": upcoming.step.requires_approval},
            "letters_awaiting_receipt": [{"id": m.id, "subject": m.subject, "sent_on": m.created_on,
                                          "file": m.file_path} for m in self.letters_awaiting_receipt],
        }


def dunning_queue(session: Session, on: date) -> list[QueueEntry]:
    """For each open case: the decisions awaited, the next step and when it falls due, the
    letters whose receipt is not recorded yet."""
    entries = []
    for case in session.scalars(select(DunningCase).where(DunningCase.status == "open")
                                .order_by(DunningCase.opened_on, DunningCase.id)):
        customer = session.get(Customer, case.customer_id)
        dunning = _sheet_dunning(session, case)
        letters = [session.get(OutboxMessage, r.letter_id) for r in case.steps if r.letter_id]
        entries.append(QueueEntry(
            case, customer, case.steps[-1].amount_due if case.steps else ZERO,
            [r for r in case.steps if r.status == "pending_approval"],
            rules.next_step(dunning.steps, _facts(session, case),
                            dunning.restriction_from_first_late_payment),
            [m for m in letters if m is not None and m.received_on is None]))
    return entries


# --------------------------------------------------------------------------- deposits


def request_deposit(session: Session, clock: Clock, actor: Actor, customer_ref: str | int, *,
                    amount: object, ground: str, due_on: date,
                    subscription_ref: str | None = None) -> Deposit:
    """Ask for a deposit on one of the sheet's grounds, by a date (CGV art. 11.5)."""
    customer = get_customer(session, customer_ref)
    clause = _rule(rules.deposit_ground, terms_of(session, customer).terms, ground)
    value = _amount(amount, "amount")
    if value <= 0:
        raise InvalidInput.on("amount", "a deposit is positive")
    sub = contracts.get_subscription(session, subscription_ref) if subscription_ref else None
    deposit = Deposit(customer_id=customer.id, subscription_id=sub.id if sub else None, ground=ground,
                      clause=clause, amount=value, held=ZERO, requested_on=clock.today(),
                      due_on=due_on, suspended=[], created_at=clock.now())
    session.add(deposit)
    session.flush()
    outbox.queue(session, clock, actor, customer, channel="email", kind="deposit_request",
                 key=f"deposit:{deposit.id}:request", subject="Demande de dépôt de garantie",
                 body=(f"Conformément à nos conditions ({clause}), nous vous demandons un dépôt de "
                       f"garantie de {fr_format(value)} avant le {due_on:%d/%m/%Y}."))
    record(session, clock, actor, "deposit.request", deposit,
           f"{customer.ref}: {fr_format(value)} by {due_on.isoformat()} ({ground})")
    return deposit


def _deposit(session: Session, deposit_id: int) -> Deposit:
    deposit = session.get(Deposit, deposit_id)
    if deposit is None:
        raise NotFound(f"deposit {deposit_id} not found")
    return deposit


def provide_deposit(session: Session, clock: Clock, actor: Actor, deposit_id: int, on: date,
                    amount: object | None = None) -> Deposit:
    """The customer paid (or replenished) the deposit; a suspension for it is lifted."""
    deposit = _deposit(session, deposit_id)
    if deposit.status == "released":
        raise NotAllowed(f"deposit {deposit.id} is released")
    value = money(deposit.amount - deposit.held) if amount is None else _amount(amount, "amount")
    if value <= 0 or deposit.held + value > deposit.amount:
        raise InvalidInput.on("amount", f"{fr_format(value)}: the deposit holds "
                                        f"{fr_format(deposit.held)} of {fr_format(deposit.amount)}")
    deposit.held = money(deposit.held + value)
    if deposit.held == deposit.amount:
        deposit.status, deposit.replenish_by, deposit.replenishment_late = "held", None, False
        deposit.provided_on = deposit.provided_on or on
        for sub_id in deposit.suspended:
            sub = contracts.get_subscription(session, sub_id)
            if sub.status == "suspended":
                contracts.change_status(session, clock, actor, sub.id, "resume", on,
                                        f"deposit provided — {deposit.clause}")
        deposit.suspended = []
    record(session, clock, actor, "deposit.provide", deposit,
           f"deposit {deposit.id}: {fr_format(value)} received, holds {fr_format(deposit.held)}")
    return deposit


def draw_deposit(session: Session, clock: Clock, actor: Actor, deposit_id: int,
                 on: date | None = None) -> Payment:
    """Take what is overdue from the deposit, once a formal notice has been left unanswered
    for the sheet's delay; a registered letter asks for its replenishment."""
    deposit = _deposit(session, deposit_id)
    day = on or clock.today()
    customer = session.get(Customer, deposit.customer_id)
    terms = terms_of(session, customer)
    case = open_case_of(session, customer.id)
    notices = [session.get(OutboxMessage, r.letter_id) for r in (case.steps if case else [])
               if r.letter_id and r.action == DunningAction.formal_notice.value]
    decision = rules.may_draw_deposit(terms.terms, min((m.created_on for m in notices), default=None), day)
    if not decision.allowed:
        raise NotAllowed(f"deposit: {decision.reason} ({decision.clause})")
    due = _due(session, customer, terms.terms, day, case)
    used = min(deposit.held, due.amount)
    if used <= 0:
        raise NotAllowed(f"deposit {deposit.id}: nothing to draw (holds {fr_format(deposit.held)}, "
                         f"overdue {fr_format(due.amount)})")
    payment = _new_payment(session, clock, actor, customer, used, "deposit", day,
                           f"deposit {deposit.id}", deposit_id=deposit.id)
    _apply(session, clock, actor, customer, payment, [i.id for i in due.overdue])
    deposit.held = money(deposit.held - used)
    deposit.status, deposit.drawn_on = "drawn", day
    operator = _operator(session, customer)
    letter = outbox.queue(
        session, clock, actor, customer, channel="registered_letter", kind="deposit_draw",
        key=f"deposit:{deposit.id}:draw:{day.isoformat()}",
        subject="Appel du dépôt de garantie",
        body=(f"Madame, Monsieur,\n\nLa mise en demeure restée sans effet, nous avons prélevé "
              f"{fr_format(used)} sur votre dépôt de garantie pour régler les factures ci-dessous. "
              f"Merci de reconstituer le dépôt ({fr_format(deposit.amount)}) dans un délai de "
              f"{terms.terms.deposit.replenish_within_days.value} jours à compter de la réception "
              f"de cette lettre."),
        letter={"operator": _operator_party(operator), "customer_ref": customer.ref,
                "invoices": due.overdue, "clause": f"{decision.clause}; "
                f"{terms.terms.deposit.replenish_within_days.clause}"})
    deposit.draw_letter_id = letter.id
    record(session, clock, actor, "deposit.draw", deposit,
           f"deposit {deposit.id}: {fr_format(used)} drawn on {day.isoformat()} ({decision.reason})")
    advance(session, clock, actor, customer, day)
    return payment


def _contract_end(session: Session, deposit: Deposit) -> date | None:
    subs = ([contracts.get_subscription(session, deposit.subscription_id)] if deposit.subscription_id
            else contracts.list_subscriptions(session, deposit.customer_id))
    if not subs or any(s.status not in ("terminated", "cancelled") for s in subs):
        return None
    return max((s.terminated_on or s.cancelled_on for s in subs), default=None)


def _open_disputes(session: Session, customer_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Dispute).where(
        Dispute.customer_id == customer_id, Dispute.status == "open")) or 0


def release_deposit(session: Session, clock: Clock, actor: Actor, deposit_id: int,
                    on: date | None = None) -> CustomerCredit:
    """Give the deposit back (a credit to refund) two months after the contract ended, when
    nothing is owed and no dispute is open."""
    deposit = _deposit(session, deposit_id)
    day = on or clock.today()
    customer = session.get(Customer, deposit.customer_id)
    decision = rules.may_release_deposit(terms_of(session, customer).terms,
                                         _contract_end(session, deposit), day,
                                         owed(session, customer.id), _open_disputes(session, customer.id))
    if not decision.allowed:
        raise NotAllowed(f"deposit {deposit.id}: not released — {decision.reason} ({decision.clause})")
    credit = CustomerCredit(customer_id=customer.id, source="deposit", source_key=f"deposit:{deposit.id}",
                            amount=deposit.held, remaining=deposit.held, created_on=day,
                            note=f"deposit {deposit.id} released ({decision.clause})")
    session.add(credit)
    deposit.status, deposit.released_on, deposit.release_on = "released", day, decision.earliest
    deposit.held = ZERO
    record(session, clock, actor, "deposit.release", deposit,
           f"deposit {deposit.id}: {fr_format(credit.amount)} released on {day.isoformat()}")
    return credit


def _deposits_tick(session: Session, clock: Clock, actor: Actor, day: date,
                   customer_id: int | None = None) -> dict[str, int]:
    counts = {"deposit_suspensions": 0, "deposits_late": 0, "deposits_released": 0}
    for deposit in session.scalars(select(Deposit).where(
            Deposit.status.in_(("requested", "held", "drawn")),
            true() if customer_id is None else Deposit.customer_id == customer_id)
            .order_by(Deposit.id)).all():
        customer = session.get(Customer, deposit.customer_id)
        terms = terms_of(session, customer).terms
        block = terms.deposit
        if (deposit.status == "requested" and day > deposit.due_on and not deposit.suspended
                and block and block.suspend_until_provided and block.suspend_until_provided.value):
            subs = ([contracts.get_subscription(session, deposit.subscription_id)]
                    if deposit.subscription_id else contracts.list_subscriptions(session, customer.id))
            touched = []
            for sub in subs:
                if sub.status in ("active", "restricted"):
                    contracts.change_status(session, clock, actor, sub.id, "suspend", day,
                                            f"deposit not provided — {block.suspend_until_provided.clause}")
                    touched.append(sub.id)
            deposit.suspended = touched
            if touched:
                record(session, clock, actor, "deposit.suspend", deposit,
                       f"deposit {deposit.id} not provided by {deposit.due_on.isoformat()}: "
                       f"{len(touched)} subscription(s) suspended")
                counts["deposit_suspensions"] += 1
        if (deposit.status == "drawn" and deposit.replenish_by and day > deposit.replenish_by
                and not deposit.replenishment_late):
            deposit.replenishment_late = True
            record(session, clock, actor, "deposit.late", deposit,
                   f"deposit {deposit.id}: not replenished by {deposit.replenish_by.isoformat()} "
                   f"({block.replenish_within_days.clause})")
            counts["deposits_late"] += 1
        if deposit.status in ("held", "drawn") and deposit.held > 0:
            end = _contract_end(session, deposit)
            if end and block and block.release_after_months and rules.may_release_deposit(
                    terms, end, day, owed(session, customer.id), _open_disputes(session, customer.id)).allowed:
                release_deposit(session, clock, actor, deposit.id, day)
                counts["deposits_released"] += 1
    return counts


def list_deposits(session: Session, customer_id: int | None = None) -> list[Deposit]:
    return _rows_of(session, Deposit, customer_id)


def deposit_dict(deposit: Deposit) -> dict:
    return {"id": deposit.id, "customer_id": deposit.customer_id, "ground": deposit.ground,
            "clause": deposit.clause, "amount": str(deposit.amount), "held": str(deposit.held),
            "status": deposit.status, "requested_on": deposit.requested_on, "due_on": deposit.due_on,
            "provided_on": deposit.provided_on, "drawn_on": deposit.drawn_on,
            "replenish_by": deposit.replenish_by, "replenishment_late": deposit.replenishment_late,
            "released_on": deposit.released_on}


# --------------------------------------------------------------------------- disputes


def record_dispute(session: Session, clock: Clock, actor: Actor, invoice_number: str, *,
                   received_on: date, channel: str, amount: object | None = None, reason: str = "",
                   invoice_received_on: date | None = None) -> Dispute:
    """A dispute of an invoice: admissible only within the sheet's window and by its channel; an
    admissible dispute holds back the disputed part (the rest stays due at the due date)."""
    invoice = billing_invoices.get_invoice(session, invoice_number)
    if invoice.number is None or invoice.kind != "invoice":
        raise NotAllowed(f"invoice {invoice.number or invoice.id}: only an issued invoice is disputed")
    if channel not in {c.value for c in Channel}:
        raise InvalidInput.on("channel", f"{channel!r} is not one of {', '.join(c.value for c in Channel)}")
    customer = session.get(Customer, invoice.customer_id)
    fact = invoice_reads.facts(session, [invoice])[0]
    value = fact.outstanding if amount is None else _amount(amount, "amount")
    if value <= 0 or value > fact.outstanding:
        raise InvalidInput.on("amount", f"{fr_format(value)}: between 0 and the "
                                        f"{fr_format(fact.outstanding)} left to pay")
    received_invoice = invoice_received_on or invoice.issue_date
    decision = rules.dispute_admissible(terms_of(session, customer).terms, received_invoice,
                                        received_on, channel, fact.has_usage)
    dispute = Dispute(customer_id=customer.id, invoice_id=invoice.id, invoice_number=invoice.number,
                      invoice_received_on=received_invoice, received_on=received_on, channel=channel,
                      amount=value, reason=reason, status="open" if decision.admissible else "rejected",
                      decision=decision.as_dict(), created_at=clock.now())
    if not decision.admissible:
        dispute.decided_on, dispute.decided_by = clock.today(), actor.name
    session.add(dispute)
    session.flush()
    verdict = ("est recevable et sera examinée ; la partie non contestée reste due à l'échéance"
               if decision.admissible else
               f"n'est pas recevable : {'; '.join(decision.reasons)} ({'; '.join(decision.clauses)})")
    outbox.queue(session, clock, actor, customer, channel="email", kind="dispute_answer",
                 key=f"dispute:{dispute.id}:received",
                 subject=f"Votre contestation de la facture {invoice.number}",
                 body=f"Votre contestation reçue le {received_on:%d/%m/%Y} {verdict}.")
    record(session, clock, actor, "dispute.record", dispute,
           f"{invoice.number}: {fr_format(value)} disputed on {received_on.isoformat()} — "
           f"{dispute.status}: {'; '.join(decision.reasons)}")
    return dispute


def decide_dispute(session: Session, clock: Clock, actor: Actor, dispute_id: int, accept: bool,
                   note: str = "") -> Dispute:
    """Accept (a credit note for the disputed amount) or reject (the amount is due from the
    original due date, late interest included, CGV art. 11.3)."""
    dispute = session.get(Dispute, dispute_id)
    if dispute is None:
        raise NotFound(f"dispute {dispute_id} not found")
    if dispute.status != "open":
        raise NotAllowed(f"dispute {dispute.id} is already {dispute.status}")
    customer = session.get(Customer, dispute.customer_id)
    if accept:
        invoice = billing_invoices.get_invoice(session, dispute.invoice_number)
        amount = (dispute.amount if invoice.price_basis == "TTC" or not invoice.total_ttc
                  else money(dispute.amount * invoice.total_ht / invoice.total_ttc))
        note_doc = billing_invoices.credit_note(session, clock, actor, invoice.number,
                                       note or f"dispute {dispute.id} accepted", amount=amount)
        dispute.credit_note_number = note_doc.number
    dispute.status = "accepted" if accept else "rejected"
    dispute.decided_on, dispute.decided_by = clock.today(), actor.name
    dispute.decision = {**dispute.decision, "note": note}
    record(session, clock, actor, f"dispute.{dispute.status}", dispute,
           f"{dispute.invoice_number}: dispute {dispute.status}" + (f" — {note}" if note else ""))
    advance(session, clock, actor, customer, clock.today())
    return dispute


def list_disputes(session: Session, customer_id: int | None = None) -> list[Dispute]:
    return _rows_of(session, Dispute, customer_id)


def dispute_dict(dispute: Dispute) -> dict:
    return {"id": dispute.id, "customer_id": dispute.customer_id, "invoice": dispute.invoice_number,
            "received_on": dispute.received_on, "invoice_received_on": dispute.invoice_received_on,
            "channel": dispute.channel, "amount": str(dispute.amount), "reason": dispute.reason,
            "status": dispute.status, "decision": dispute.decision,
            "credit_note": dispute.credit_note_number}


# --------------------------------------------------------------------------- reconnection


def charge_reconnection(session: Session, clock: Clock, actor: Actor, subscription_ref: str,
                        on: date | None = None) -> Explained:
    """Reconnecting a contract terminated for unpaid bills: allowed once nothing is owed, and it
    re-bills the access fees where the sheet says so (charged to the next invoice)."""
    sub = contracts.get_subscription(session, subscription_ref)
    if sub.status != "terminated" or sub.termination_reason != "unpaid":
        raise NotAllowed(f"subscription {sub.ref}: not terminated for unpaid bills")
    customer = session.get(Customer, sub.customer_id)
    owes = owed(session, customer.id)
    if owes > 0:
        raise NotAllowed(f"{customer.ref}: {fr_format(owes)} still owed; reconnection needs the "
                         "account settled first")
    day = on or clock.today()
    fees = rules.reconnection_fees(terms_of(session, customer).terms,
                                   [(item.label, item.access_fee) for item in sub.items])
    if fees.total:
        add_charge(session, clock, actor, customer_id=customer.id, subscription_id=sub.id,
                   source="reconnection", source_key=f"{sub.id}:{day.isoformat()}",
                   label=f"Reconnection — {sub.ref}", explained=fees,
                   price_basis=sub.items[0].price_basis, incurred_on=day)
    return fees


# --------------------------------------------------------------------------- the collections view


def collections(session: Session, customer_ref: str | int, on: date) -> dict:
    """Everything about a customer's money: what it owes (open invoices with the interest
    accrued, charges for the next invoice), the cases and their steps, payments, credits,
    mandates, debits, deposits, disputes, messages."""
    customer = get_customer(session, customer_ref)
    terms = terms_of(session, customer).terms
    case = open_case_of(session, customer.id)
    due = _due(session, customer, terms, on, case)
    overdue_ids = {i.id for i in due.overdue}
    invoices = []
    for invoice in invoice_reads.open_invoices(session, customer.id):
        entry = {"number": invoice.number, "issue_date": invoice.issue_date,
                 "due_date": invoice.due_date,
                 "effective_due_date": rules.effective_due(invoice, due.accelerated_on),
                 "total": str(invoice.total), "outstanding": str(invoice.outstanding),
                 "disputed": str(invoice.disputed), "overdue": invoice.id in overdue_ids}
        try:
            entry["interest"] = accrued_interest(session, terms, invoice, on).as_dict()
        except NotAllowed as exc:
            entry["interest"] = {"error": exc.message}
        invoices.append(entry)
    cases = list(session.scalars(select(DunningCase).where(DunningCase.customer_id == customer.id)
                                 .order_by(DunningCase.id.desc())))
    items = list(session.scalars(select(DirectDebitItem).where(
        DirectDebitItem.customer_id == customer.id).order_by(DirectDebitItem.id)))
    return {
        "customer": {"id": customer.id, "ref": customer.ref, "name": customer.name, "kind": customer.kind},
        "on": on, "owed": str(owed(session, customer.id)),
        "pending_charges": [{"source": c.source, "label": c.label, "amount": str(c.amount),
                             "incurred_on": c.incurred_on, "explanation": c.explanation}
                            for c in pending_charges(session, customer.id)],
        "overdue": str(due.amount), "accelerated_on": due.accelerated_on, "invoices": invoices,
        "cases": [{"id": c.id, "status": c.status, "trigger": c.trigger, "opened_on": c.opened_on,
                   "due_date": c.due_date, "rejected_on": c.rejected_on, "closed_on": c.closed_on,
                   "closed_reason": c.closed_reason,
                   "steps": [{"id": r.id, "step": r.step_id, "action": r.action,
                              "reached_on": r.reached_on, "status": r.status, "basis": r.basis,
                              "amount_due": str(r.amount_due), "letter_id": r.letter_id,
                              "decided_by": r.decided_by, "decided_on": r.decided_on}
                             for r in c.steps]} for c in cases],
        "payments": [payment_dict(p) for p in list_payments(session, customer.id)],
        "credits": [{"id": c.id, "source": c.source, "amount": str(c.amount),
                     "remaining": str(c.remaining), "created_on": c.created_on} for c in
                    credits_of(session, customer.id)],
        "mandates": [mandate_dict(m) for m in list_mandates(session, customer.id)],
        "debits": [{"end_to_end_id": i.end_to_end_id, "invoice": i.invoice_number,
                    "amount": str(i.amount), "collection_date": i.collection_date,
                    "sequence_type": i.sequence_type, "status": i.status,
                    "return_reason": i.return_reason} for i in items],
        "deposits": [deposit_dict(d) for d in list_deposits(session, customer.id)],
        "disputes": [dispute_dict(d) for d in list_disputes(session, customer.id)],
        "messages": [outbox.message_dict(m) for m in outbox.list_messages(session, customer.id)],
    }


# --------------------------------------------------------------------------- the daily tick


def tick(session: Session, clock: Clock, actor: Actor, day: date, *,
         customer_id: int | None = None) -> dict[str, int]:
    """The collections part of the daily tick: debits scheduled and collected, every customer's
    ladder moved to ``day`` (one customer's only with ``customer_id``), deposits watched.
    Running it twice for a day changes nothing."""
    counts = {"scheduled": schedule_collections(session, clock, actor, day, customer_id),
              "collected": settle_collections(session, clock, actor, day, customer_id),
              "steps": 0}
    ids = set(invoice_reads.customers_with_due_invoices(session, day)) | set(session.scalars(
        select(DunningCase.customer_id).where(DunningCase.status == "open")))
    if customer_id is not None:
        ids &= {customer_id}
    for due_id in sorted(ids):
        counts["steps"] += len(advance(session, clock, actor, session.get(Customer, due_id), day))
    counts.update(_deposits_tick(session, clock, actor, day, customer_id))
    return counts


def deliver(session: Session, clock: Clock, actor: Actor, day: date, *,
            customer_id: int | None = None) -> dict[str, int]:
    """The daily tick's delivery of the queued e-mails and SMS."""
    return outbox.deliver(session, clock, actor, customer_id=customer_id)


def send_next(session: Session, clock: Clock, actor: Actor) -> str | None:
    """A worker's sending of the oldest due e-mail or SMS, one message a transaction."""
    return outbox.send_next(session, clock, actor)


def deliveries_due(session: Session, clock: Clock, customer_id: int | None = None) -> list[dict]:
    """What ``deliver`` would send now (``clausier tick --dry-run``)."""
    return [{"channel": m.channel, "kind": m.kind, "customer_id": m.customer_id,
             "recipient": m.recipient, "subject": m.subject}
            for m in outbox.queued_messages(session, clock.now(), customer_id=customer_id)]


def dunning_counts(session: Session) -> tuple[int, int]:
    """How many dunning cases are open and how many of their steps await a staff approval."""
    cases = session.scalar(select(func.count()).select_from(DunningCase).where(
        DunningCase.status == "open")) or 0
    pending = session.scalar(select(func.count()).select_from(DunningStepRecord).where(
        DunningStepRecord.status == "pending_approval")) or 0
    return cases, pending
