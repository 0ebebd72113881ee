"""Deposits and guarantees (CGV art. 11.5): asked on one of the sheet's grounds, provided, drawn
after an unanswered formal notice (and replenished), released two months after the contract
ended; the daily watch suspends the lines of a deposit not provided."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.contracts import service as contracts
from clausier.contracts.statuses import SubscriptionStatus as _S
from clausier.core.clock import Clock
from clausier.core.errors import InvalidInput, NotAllowed
from clausier.core.message import msg
from clausier.core.money import ZERO, fr_format, money
from clausier.customers import facts as customer_facts
from clausier.db.lookup import get_or_not_found
from clausier.notifications import outbox
from clausier.notifications.facts import message_facts
from clausier.payments import rules
from clausier.payments.rules import DepositStatus, DisputeStatus
from clausier.payments.common import (
    check_rule,
    customer_by_id,
    get_customer,
    operator_of,
    operator_party,
    parse_amount,
    rows_of,
    terms_of,
)
from clausier.payments.dunning.service import advance, due_of, open_case_of
from clausier.payments.invoices import owed
from clausier.payments.ledger.service import apply_payment, new_payment
from clausier.payments.models import CustomerCredit, Deposit, Dispute, Payment
from clausier.terms.schema import DunningAction

# --------------------------------------------------------------------------- deposits


def request_deposit(session: Session, clock: Clock, actor: Actor, customer_ref: str | int, *,
                    amount: object, ground: str, due_on: date,
                    subscription_ref: str | None = None) -> Deposit:
    """Ask for a deposit on one of the sheet's grounds, by a date (CGV art. 11.5)."""
    customer = get_customer(session, customer_ref)
    clause = check_rule(rules.deposit_ground, terms_of(session, customer).terms, ground)
    value = parse_amount(amount, "amount")
    if value <= 0:
        raise InvalidInput.on("amount", "a deposit is positive",
                              code=rules.Refused.deposit_not_positive)
    sub = contracts.get_subscription(session, subscription_ref) if subscription_ref else None
    deposit = Deposit(customer_id=customer.id, subscription_id=sub.id if sub else None, ground=ground,
                      clause=clause, amount=value, held=ZERO, requested_on=clock.today(),
                      due_on=due_on, suspended=[], created_at=clock.now())
    session.add(deposit)
    session.flush()
    outbox.queue(session, clock, actor, customer, channel="email", kind="deposit_request",
                 key=f"deposit:{deposit.id}:request", subject=msg("Security deposit request"),
                 body=msg("In accordance with our terms ({clause}), we ask you for a security "
                          "deposit of {amount} by {date}.", clause=clause, amount=value,
                          date=f"{due_on:%d/%m/%Y}"))
    record(session, clock, actor, "deposit.request", deposit,
           msg("{ref}: {amount} by {date} ({ground})", ref=customer.ref, amount=value,
               date=due_on, ground=ground))
    return deposit


def _deposit(session: Session, deposit_id: int) -> Deposit:
    deposit = get_or_not_found(session, Deposit, deposit_id, resource="deposit")
    return deposit


def provide_deposit(session: Session, clock: Clock, actor: Actor, deposit_id: int, on: date,
                    amount: object | None = None) -> Deposit:
    """The customer paid (or replenished) the deposit; a suspension for it is lifted."""
    deposit = _deposit(session, deposit_id)
    if deposit.status == DepositStatus.RELEASED:
        raise NotAllowed(f"deposit {deposit.id} is released", code=rules.Refused.deposit_released)
    value = money(deposit.amount - deposit.held) if amount is None else parse_amount(amount, "amount")
    if value <= 0 or deposit.held + value > deposit.amount:
        raise InvalidInput.on("amount", f"{fr_format(value)}: the deposit holds "
                                        f"{fr_format(deposit.held)} of {fr_format(deposit.amount)}",
                              code=rules.Refused.deposit_amount_out_of_range)
    deposit.held = money(deposit.held + value)
    if deposit.held == deposit.amount:
        deposit.status, deposit.replenish_by, deposit.replenishment_late = DepositStatus.HELD, None, False
        deposit.provided_on = deposit.provided_on or on
        for sub_id in deposit.suspended:
            sub = contracts.get_subscription(session, sub_id)
            if sub.status == _S.SUSPENDED:
                contracts.change_status(session, clock, actor, sub.id, "resume", on,
                                        f"deposit provided — {deposit.clause}")
        deposit.suspended = []
    record(session, clock, actor, "deposit.provide", deposit,
           msg("deposit {id}: {amount} received, holds {held}", id=deposit.id, amount=value,
               held=deposit.held))
    return deposit


def draw_deposit(session: Session, clock: Clock, actor: Actor, deposit_id: int,
                 on: date | None = None) -> Payment:
    """Take what is overdue from the deposit, once a formal notice has been left unanswered
    for the sheet's delay; a registered letter asks for its replenishment."""
    deposit = _deposit(session, deposit_id)
    day = on or clock.today()
    customer = customer_by_id(session, deposit.customer_id)
    terms = terms_of(session, customer)
    case = open_case_of(session, customer.id)
    notices = message_facts(session, [
        r.letter_id for r in (case.steps if case else [])
        if r.letter_id and r.action == DunningAction.formal_notice.value]).values()
    first_notice = min((m.created_on for m in notices), default=None)
    decision = rules.may_draw_deposit(terms.terms, first_notice, day)
    if not decision.allowed:
        raise NotAllowed(f"deposit: {decision.reason} ({decision.clause})",
                         code=rules.Refused.deposit_refused)
    due = due_of(session, customer, terms.terms, day, case)
    used = min(deposit.held, due.amount)
    if used <= 0:
        raise NotAllowed(f"deposit {deposit.id}: nothing to draw (holds {fr_format(deposit.held)}, "
                         f"overdue {fr_format(due.amount)})",
                         code=rules.Refused.deposit_nothing_to_draw)
    payment = new_payment(session, clock, actor, customer, used, "deposit", day,
                          f"deposit {deposit.id}", deposit_id=deposit.id)
    apply_payment(session, clock, actor, customer, payment, [i.id for i in due.overdue])
    deposit.held = money(deposit.held - used)
    deposit.status, deposit.drawn_on = DepositStatus.DRAWN, day
    operator = operator_of(session, customer)
    letter = outbox.queue(
        session, clock, actor, customer, channel="registered_letter", kind="deposit_draw",
        key=f"deposit:{deposit.id}:draw:{day.isoformat()}",
        subject=msg("Security deposit drawn"),
        body=msg("Dear Sir or Madam,\n\nAs the formal notice went unheeded, we have drawn {used} "
                 "from your security deposit to settle the invoices below. Please replenish the "
                 "deposit ({amount}) within {days} days of receiving this letter.", used=used,
                 amount=deposit.amount, days=terms.terms.deposit.replenish_within_days.value),
        letter={"operator": operator_party(operator), "customer_ref": customer.ref,
                "invoices": due.overdue, "clause": f"{decision.clause}; "
                f"{terms.terms.deposit.replenish_within_days.clause}"})
    deposit.draw_letter_id = letter.id
    record(session, clock, actor, "deposit.draw", deposit,
           msg("deposit {id}: {amount} drawn on {date} ({reason})", id=deposit.id, amount=used,
               date=day, reason=decision.reason))
    advance(session, clock, actor, customer, day)
    return payment


def _contract_end(session: Session, deposit: Deposit) -> date | None:
    subs = ([contracts.get_subscription(session, deposit.subscription_id)] if deposit.subscription_id
            else contracts.list_subscriptions(session, deposit.customer_id))
    if not subs or any(s.status not in (_S.TERMINATED, _S.CANCELLED) for s in subs):
        return None
    return max((s.terminated_on or s.cancelled_on for s in subs), default=None)


def _open_disputes(session: Session, customer_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Dispute).where(
        Dispute.customer_id == customer_id, Dispute.status == DisputeStatus.OPEN)) or 0


def release_deposit(session: Session, clock: Clock, actor: Actor, deposit_id: int,
                    on: date | None = None) -> CustomerCredit:
    """Give the deposit back (a credit to refund) two months after the contract ended, when
    nothing is owed and no dispute is open."""
    deposit = _deposit(session, deposit_id)
    day = on or clock.today()
    customer = customer_by_id(session, deposit.customer_id)
    decision = rules.may_release_deposit(terms_of(session, customer).terms,
                                         _contract_end(session, deposit), day,
                                         owed(session, customer.id), _open_disputes(session, customer.id))
    if not decision.allowed:
        raise NotAllowed(f"deposit {deposit.id}: not released — {decision.reason} ({decision.clause})",
                         code=rules.Refused.deposit_release_refused)
    credit = CustomerCredit(customer_id=customer.id, source="deposit", source_key=f"deposit:{deposit.id}",
                            amount=deposit.held, remaining=deposit.held, created_on=day,
                            note=f"deposit {deposit.id} released ({decision.clause})")
    session.add(credit)
    deposit.status, deposit.released_on, deposit.release_on = DepositStatus.RELEASED, day, decision.earliest
    deposit.held = ZERO
    record(session, clock, actor, "deposit.release", deposit,
           msg("deposit {id}: {amount} released on {date}", id=deposit.id, amount=credit.amount,
               date=day))
    return credit


def deposits_tick(session: Session, clock: Clock, actor: Actor, day: date,
                  customer_id: int | None = None) -> dict[str, int]:
    counts = {"deposit_suspensions": 0, "deposits_late": 0, "deposits_released": 0}
    deposits = session.scalars(select(Deposit).where(
        Deposit.status.in_((DepositStatus.REQUESTED, DepositStatus.HELD, DepositStatus.DRAWN)),
        true() if customer_id is None else Deposit.customer_id == customer_id)
        .order_by(Deposit.id)).all()
    customers = customer_facts.customers(session, {deposit.customer_id for deposit in deposits})
    for deposit in deposits:
        customer = customers[deposit.customer_id]
        terms = terms_of(session, customer).terms
        block = terms.deposit
        if (deposit.status == DepositStatus.REQUESTED and day > deposit.due_on and not deposit.suspended
                and block and block.suspend_until_provided and block.suspend_until_provided.value):
            subs = ([contracts.get_subscription(session, deposit.subscription_id)]
                    if deposit.subscription_id else contracts.list_subscriptions(session, customer.id))
            touched = []
            for sub in subs:
                if sub.status in (_S.ACTIVE, _S.RESTRICTED):
                    contracts.change_status(session, clock, actor, sub.id, "suspend", day,
                                            f"deposit not provided — {block.suspend_until_provided.clause}")
                    touched.append(sub.id)
            deposit.suspended = touched
            if touched:
                record(session, clock, actor, "deposit.suspend", deposit,
                       msg("deposit {id} not provided by {date}: {n} subscription(s) suspended",
                           id=deposit.id, date=deposit.due_on, n=len(touched)))
                counts["deposit_suspensions"] += 1
        if (deposit.status == DepositStatus.DRAWN and deposit.replenish_by and day > deposit.replenish_by
                and not deposit.replenishment_late):
            deposit.replenishment_late = True
            record(session, clock, actor, "deposit.late", deposit,
                   msg("deposit {id}: not replenished by {date} ({clause})", id=deposit.id,
                       date=deposit.replenish_by, clause=block.replenish_within_days.clause))
            counts["deposits_late"] += 1
        if deposit.status in (DepositStatus.HELD, DepositStatus.DRAWN) and deposit.held > 0:
            end = _contract_end(session, deposit)
            if end and block and block.release_after_months and rules.may_release_deposit(
                    terms, end, day, owed(session, customer.id), _open_disputes(session, customer.id)).allowed:
                release_deposit(session, clock, actor, deposit.id, day)
                counts["deposits_released"] += 1
    return counts


def list_deposits(session: Session, customer_id: int | None = None) -> list[Deposit]:
    return rows_of(session, Deposit, customer_id)
