"""Payments received and their allocation to the oldest open invoices (the invoices' payment
status moved only by ``billing.invoices.service.record_payment``), credits, refunds and set-off."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing import facts as billing_facts
from clausier.billing.invoices import service as billing
from clausier.billing.invoices.rules import InvoiceStatus
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, Problem
from clausier.core.message import msg
from clausier.core.money import ZERO, fr_format, money
from clausier.customers.facts import CustomerFacts
from clausier.db.lookup import get_or_not_found
from clausier.db.session import lock_for_writing
from clausier.notifications import outbox
from clausier.payments import invoices as invoice_reads
from clausier.payments import rules
from clausier.payments.common import check_rule, get_customer, parse_amount, terms_of
from clausier.payments.dunning.service import advance
from clausier.payments.ledger.late_payment import charge_late_payment
from clausier.payments.models import (
    Allocation,
    CustomerCredit,
    Payment,
    Refund,
    SetOffNotice,
)

MANUAL_METHODS = ("transfer", "card", "cheque", "direct_debit")

# --------------------------------------------------------------------------- payments


def apply_payment(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts,
                  payment: Payment, chosen: list[int] | None = None) -> rules.AllocationPlan:
    """Allocate a recorded payment, move the invoices' status, charge late payment."""
    terms = terms_of(session, customer).terms
    open_invoices = invoice_reads.open_invoices(session, customer.id)
    plan = check_rule(rules.allocate, payment.amount, open_invoices, chosen)
    by_id = {i.id: i for i in open_invoices}
    paid = invoice_reads.amounts_paid(session, [invoice_id for invoice_id, _ in plan.allocations])
    for invoice_id, part in plan.allocations:
        invoice = by_id[invoice_id]
        payment.allocations.append(Allocation(invoice_id=invoice_id, invoice_number=invoice.number,
                                              amount=part, on=payment.received_on))
        session.flush()
        updated = billing.record_payment(session, clock, actor, invoice.number,
                                         paid[invoice_id] + part, payment.received_on)
        if updated.status == InvoiceStatus.PAID and payment.received_on > invoice.due_date:
            charge_late_payment(session, clock, actor, customer, terms, invoice,
                                payment.received_on)
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
        raise InvalidInput.on("method", f"{method!r} is not one of {', '.join(MANUAL_METHODS)}",
                              code=rules.Refused.payment_method_unknown)
    customer = get_customer(session, customer_ref)
    amount = parse_amount(amount, "amount")
    chosen = [billing_facts.invoice_by_number(session, n).id for n in invoice_numbers] or None
    payment = new_payment(session, clock, actor, customer, amount, method, received_on, reference)
    apply_payment(session, clock, actor, customer, payment, chosen)
    record(session, clock, actor, "payment.record", payment,
           msg("{ref}: {amount} by {method} on {date}", ref=customer.ref, amount=amount,
               method=method, date=received_on))
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
    amount = parse_amount(amount, "amount")
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
                           problems=[Problem(field, f"already used by payment {earlier.id}")],
                           code=rules.Refused.payment_reference_already_used)
        return earlier, True
    payment = record_payment(session, clock, actor, customer.ref, amount, method, received_on,
                             reference, invoice_numbers)
    payment.idempotency_key = idempotency_key or None
    return payment, False


def new_payment(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts,
                amount: Decimal, method: str, received_on: date, reference: str = "",
                **links) -> Payment:
    payment = Payment(customer_id=customer.id, amount=amount, method=method,
                      received_on=received_on, reference=reference, actor=actor.name,
                      created_at=clock.now(), **links)
    session.add(payment)
    session.flush()
    return payment


def reverse_payment(session: Session, clock: Clock, actor: Actor, payment: Payment, on: date,
                    reason: str) -> None:
    """Undo a payment (a returned debit): its invoices are open again for what it paid."""
    if payment.status == rules.PaymentStatus.REVERSED:
        return
    payment.status, payment.reversed_on, payment.reversal_reason = rules.PaymentStatus.REVERSED, on, reason
    undone = [a for a in payment.allocations if not a.reversed]
    paid = invoice_reads.amounts_paid(session, [a.invoice_id for a in undone])
    for allocation in undone:
        allocation.reversed = True
        billing.record_payment(session, clock, actor, allocation.invoice_number,
                               paid[allocation.invoice_id] - allocation.amount, on)
    record(session, clock, actor, "payment.reverse", payment, msg("payment {id}: {reason}", id=payment.id, reason=reason))


def list_payments(session: Session, customer_id: int | None = None, limit: int = 200) -> list[Payment]:
    query = select(Payment).order_by(Payment.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(Payment.customer_id == customer_id)
    return list(session.scalars(query))


# --------------------------------------------------------------------------- credits, refunds, set-off


def credits_of(session: Session, customer_id: int) -> list[CustomerCredit]:
    return list(session.scalars(select(CustomerCredit).where(
        CustomerCredit.customer_id == customer_id).order_by(CustomerCredit.id)))


def refund_credit(session: Session, clock: Clock, actor: Actor, credit_id: int, on: date,
                  amount: object | None = None, method: str = "transfer",
                  reference: str = "") -> Refund:
    credit = get_or_not_found(session, CustomerCredit, credit_id, resource="credit")
    value = credit.remaining if amount is None else parse_amount(amount, "amount")
    if value <= 0 or value > credit.remaining:
        raise InvalidInput.on("amount", f"{fr_format(value)}: between 0 and the "
                                        f"{fr_format(credit.remaining)} left on the credit",
                              code=rules.Refused.credit_amount_out_of_range)
    credit.remaining = money(credit.remaining - value)
    refund = Refund(customer_id=credit.customer_id, credit_id=credit.id, amount=value,
                    refunded_on=on, method=method, reference=reference, actor=actor.name,
                    created_at=clock.now())
    session.add(refund)
    record(session, clock, actor, "credit.refund", refund, msg("credit {id}: {amount} refunded", id=credit.id, amount=value))
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
        subject=msg("Set-off of sums due"),
        body=msg("We inform you that the sums we owe you ({amount}) will be set off against your "
                 "open invoices after {days} days ({clause})." if days else
                 "We inform you that the sums we owe you ({amount}) will be set off against your "
                 "open invoices.", amount=credit, **({"days": days.value, "clause": days.clause}
                                                     if days else {})))
    notice = SetOffNotice(customer_id=customer.id, sent_on=today, message_id=message.id)
    session.add(notice)
    record(session, clock, actor, "setoff.notice", notice, msg("{ref}: set-off notice sent", ref=customer.ref))
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
        raise NotAllowed(f"set-off: {decision.reason} ({decision.clause})",
                         code=rules.Refused.set_off_refused)
    payments = []
    for credit in credits_of(session, customer.id):
        owed = sum((i.outstanding for i in invoice_reads.open_invoices(session, customer.id)), ZERO)
        used = min(credit.remaining, owed)
        if used <= 0:
            continue
        payment = new_payment(session, clock, actor, customer, used, "set_off", day,
                              f"credit {credit.id}", credit_id=credit.id)
        credit.remaining = money(credit.remaining - used)
        apply_payment(session, clock, actor, customer, payment)
        record(session, clock, actor, "payment.set_off", payment,
               msg("{ref}: {amount} of credit {id} set off ({clause})", ref=customer.ref,
                   amount=used, id=credit.id, clause=decision.clause))
        payments.append(payment)
    if payments:
        advance(session, clock, actor, customer, day)
    return payments
