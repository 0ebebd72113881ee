"""The dunning ladder of the sheet the customer signed: a case opened when something is overdue
(or a debit is returned), its steps reached day after day (letters and messages, restriction,
suspension, re-presentation of the debit, termination with its exit amounts, litigation), staff
decisions on the steps the sheet leaves to the operator, the case closed once paid; the dunning
queue, letters' receipts, and reconnection after a termination for unpaid bills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing.ledger.charges import add_charge
from clausier.contracts import facts as contract_facts
from clausier.contracts import service as contracts
from clausier.contracts.statuses import SubscriptionStatus as _S
from clausier.core.clock import Clock
from clausier.core.errors import NotAllowed
from clausier.core.explain import Explained
from clausier.core.message import Message, message_fields, msg
from clausier.core.money import ZERO, fr_format, money
from clausier.customers import facts as customer_facts
from clausier.customers.facts import CustomerFacts
from clausier.db.lookup import get_or_not_found
from clausier.notifications import outbox
from clausier.notifications.facts import MessageFacts, message_facts
from clausier.payments import invoices as invoice_reads
from clausier.payments import rules
from clausier.payments.rules import DunningCaseStatus
from clausier.payments.rules import DunningStepStatus as StepStatus
from clausier.payments.common import (
    CustomerTerms,
    check_rule,
    customer_by_id,
    operator_of,
    operator_party,
    terms_of,
)
from clausier.payments.invoices import owed
from clausier.payments.ledger.late_payment import accrued_interest, charge_indemnity
from clausier.payments.models import Deposit, DirectDebitItem, DunningCase, DunningStepRecord
from clausier.payments.sepa.debits import active_mandate, pending_first_presentations
from clausier.terms import service as terms_service
from clausier.terms.schema import Channel, DunningAction, Terms

# --------------------------------------------------------------------------- dunning


def open_case(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts,
              terms: CustomerTerms, day: date, trigger: str, due_date: date) -> DunningCase:
    case = DunningCase(customer_id=customer.id, trigger=trigger, opened_on=day, due_date=due_date,
                       sheet_id=terms.sheet_id, sheet_version=terms.version, restricted=[],
                       suspended=[], created_at=clock.now())
    session.add(case)
    session.flush()
    record(session, clock, actor, "dunning.open", case,
           msg("{ref}: case opened on {date} ({trigger})", ref=customer.ref, date=day,
               trigger=trigger))
    return case


def open_case_of(session: Session, customer_id: int) -> DunningCase | None:
    return session.scalar(select(DunningCase).where(DunningCase.customer_id == customer_id,
                                                    DunningCase.status == DunningCaseStatus.OPEN))


def _facts(session: Session, case: DunningCase) -> rules.CaseFacts:
    history = []
    letters = message_facts(session, [step.letter_id for step in case.steps])
    for step in case.steps:
        letter = letters.get(step.letter_id) if step.letter_id else None
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


def due_of(session: Session, customer: CustomerFacts, terms: Terms, day: date,
           case: DunningCase | None) -> Due:
    pending = pending_first_presentations(session, customer.id)
    open_invoices = [i for i in invoice_reads.open_invoices(session, customer.id)
                     if i.id not in pending]
    accelerated = rules.acceleration_date(terms, open_invoices, day)
    if case is not None and case.accelerated_on:
        accelerated = case.accelerated_on
    return Due(open_invoices, rules.overdue(open_invoices, day, accelerated), accelerated)


def advance(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts,
            day: date) -> list[DunningStepRecord]:
    """Move the customer's ladder to ``day``: open a case when something is overdue, reach every
    step that falls due, close the case (lifting the ladder's suspensions) once nothing is due.
    Idempotent for a day."""
    terms = terms_of(session, customer)
    case = open_case_of(session, customer.id)
    due = due_of(session, customer, terms.terms, day, case)
    if not due.overdue:
        if case is not None:
            _close_case(session, clock, actor, case, day, "nothing overdue any more")
        return []
    steps = terms.terms.dunning.steps if terms.terms.dunning else []
    if not steps:
        return []
    if case is None:
        first_due = min(rules.effective_due(i, due.accelerated_on) for i in due.overdue)
        case = open_case(session, clock, actor, customer, terms, day, "overdue", first_due)
    if due.accelerated_on and case.accelerated_on is None:
        case.accelerated_on = due.accelerated_on
        late = terms.terms.late_payment
        record(session, clock, actor, "dunning.acceleration", case,
               msg("{ref}: every invoice due from {date} ({clause})", ref=customer.ref,
                   date=due.accelerated_on, clause=late.acceleration.clause))
    early = terms.terms.dunning.restriction_from_first_late_payment
    reached = []
    while ((upcoming := rules.next_step(steps, _facts(session, case), early)) is not None
           and upcoming.is_due(day)):
        reached.append(_reach(session, clock, actor, customer, terms.terms, case, upcoming, due, day))
    return reached


def _reach(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts, terms: Terms,
           case: DunningCase, upcoming: rules.NextStep, due: Due, day: date) -> DunningStepRecord:
    step = upcoming.step
    waits = step.requires_approval
    row = DunningStepRecord(
        step_id=step.id, action=step.action.value, position=upcoming.position, reached_on=day,
        status=StepStatus.PENDING_APPROVAL if waits else StepStatus.DONE, basis=upcoming.basis, amount_due=due.amount,
        details={"invoices": [{"number": i.number, "due_date": i.due_date.isoformat(),
                               "outstanding": str(i.undisputed)} for i in due.overdue],
                 "clause": str(step.src), **message_fields("basis", upcoming.basis)},
        created_at=clock.now())
    case.steps.append(row)
    session.flush()
    if not waits:
        _execute(session, clock, actor, customer, terms, case, row, due, day)
    record(session, clock, actor, "dunning.step", row,
           msg("{ref}: {step} awaits approval on {date} — {basis}" if waits
               else "{ref}: {step} done on {date} — {basis}",
               ref=customer.ref, step=rules.step_label(terms.dunning.steps, upcoming.position),
               date=day, basis=upcoming.basis))
    return row


def _sheet_dunning(session: Session, case: DunningCase):
    return terms_service.get_sheet(session, case.sheet_id, case.sheet_version).general.dunning


def _execute(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts, terms: Terms,
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


def dunning_text(case: DunningCase, due: Due, within: Message | str,
                 consequence: Message | str) -> Message:
    """What a dunning letter, e-mail or SMS says of the unpaid invoices (a message, in the
    recipient's language): the rejected debit, the invoices and their amount, the deadline and
    what follows it."""
    rejected = (msg("Your direct debit of {date} was rejected. ", date=f"{case.due_date:%d/%m/%Y}")
                if case.trigger == "rejection" else "")
    return msg("{rejected}Invoices {numbers} remain unpaid for an amount of {amount}.{within}"
               "{consequence}", rejected=rejected,
               numbers=", ".join(i.number for i in due.overdue), amount=due.amount,
               within=msg(" Please settle within {within}.", within=within) if within else "",
               consequence=msg(" {consequence}", consequence=consequence) if consequence else "")


def _dunning_messages(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts,
                      terms: Terms, case: DunningCase, row: DunningStepRecord, steps, due: Due,
                      day: date) -> None:
    step = steps[row.position]
    operator = operator_of(session, customer)
    text = dunning_text(case, due, rules.pay_within_words(steps, row.position),
                        rules.letter_consequence(steps, row.position))
    within = rules.pay_within_words(steps, row.position)
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
                key=key, subject=rules.letter_subject(steps, row.position),
                body=msg("Dear Sir or Madam,\n\n{text}\n\nWe hereby give you formal notice to pay "
                         "the sum of {amount} within {within}." if within else
                         "Dear Sir or Madam,\n\n{text}\n\nWe hereby give you formal notice to pay "
                         "the sum of {amount}.", text=text, amount=due.amount, within=within),
                letter={"operator": operator_party(operator), "customer_ref": customer.ref,
                        "invoices": due.overdue, "explained": explained,
                        "clause": f"{step.src}" + (f" — {'; '.join(notes)}" if notes else "")})
            row.letter_id = letter.id
        else:
            outbox.queue(session, clock, actor, customer, channel=channel.value,
                         kind=step.action.value, key=key,
                         subject=msg("{operator}: unpaid invoice", operator=operator.name),
                         body=msg("{operator}: {text}", operator=operator.name, text=text))


def _re_present(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts,
                case: DunningCase, row: DunningStepRecord, due: Due, day: date) -> None:
    mandate = active_mandate(session, customer.id)
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


def _terminate(session: Session, clock: Clock, actor: Actor, customer: CustomerFacts, terms: Terms,
               case: DunningCase, row: DunningStepRecord, due: Due, day: date) -> None:
    """Termination for unpaid bills: every sum of CGV 8.4 becomes due (fees to the end of the
    commitment and the notice, the recovery indemnities), then the acknowledgement letter."""
    exit_amounts = Explained()
    terminated = []
    for live in contract_facts.live_subscriptions(session, [customer.id], day).get(customer.id, ()):
        sub = contracts.get_subscription(session, live.id)
        if sub.status != _S.NOTICE_GIVEN:     # a notice already charged its exit amounts
            quote = contracts.quote_termination(session, sub.id, day)
            if quote.explained.total:
                add_charge(session, clock, actor, customer_id=customer.id, subscription_id=sub.id,
                           source="termination_unpaid", source_key=f"{sub.id}:{day.isoformat()}",
                           label=msg("Termination for unpaid bills — {ref}", ref=sub.ref),
                           explained=quote.explained, price_basis=sub.items[0].price_basis
                           if sub.items else operator_of(session, customer).price_basis,
                           incurred_on=day)
            exit_amounts = exit_amounts.plus(*quote.explained.lines)
        contracts.terminate_now(session, clock, actor, sub.id, day, "unpaid")
        terminated.append(sub.ref)
    for invoice in due.overdue:
        charge_indemnity(session, clock, actor, customer, terms, invoice, day)
        exit_amounts = exit_amounts.plus(*rules.recovery_indemnity(terms, invoice.number).lines)
    operator = operator_of(session, customer)
    letter = outbox.queue(
        session, clock, actor, customer, channel="registered_letter", kind="termination",
        key=f"dunning:{case.id}:{row.step_id}:termination",
        subject=msg("Termination for non-payment"),
        body=msg("Dear Sir or Madam,\n\nAs the sums due ({amount}) remain unpaid despite our "
                 "formal notices, we acknowledge the termination of your services {services} on "
                 "{date}. The sums below become payable and will appear on your next invoice.",
                 amount=due.amount, services=", ".join(terminated) or "—",
                 date=f"{day:%d/%m/%Y}"),
        letter={"operator": operator_party(operator), "customer_ref": customer.ref,
                "invoices": due.overdue, "explained": exit_amounts, "clause": str(row.details.get("clause", ""))})
    row.letter_id = row.letter_id or letter.id
    row.details = {**row.details, "terminated": terminated, "exit_amounts": exit_amounts.as_dict(),
                   "acknowledgement_letter": letter.id}


def decide_step(session: Session, clock: Clock, actor: Actor, step_record_id: int, approve: bool,
                on: date | None = None) -> DunningStepRecord:
    """A staff decision on a step the sheet leaves to the operator (suspend, terminate…)."""
    row = get_or_not_found(session, DunningStepRecord, step_record_id, resource="dunning_step")
    if row.status != StepStatus.PENDING_APPROVAL:
        raise NotAllowed(f"dunning step {row.id} ({row.step_id}) is {row.status}, not awaiting a decision",
                         code=rules.Refused.dunning_step_not_awaiting_decision)
    case = row.case
    if case.status != DunningCaseStatus.OPEN:
        raise NotAllowed(f"dunning case {case.id} is {case.status}",
                         code=rules.Refused.dunning_case_closed)
    day = on or clock.today()
    customer = customer_by_id(session, case.customer_id)
    terms = terms_of(session, customer).terms
    row.status = StepStatus.APPROVED if approve else StepStatus.DECLINED
    row.decided_by, row.decided_on, row.decided_at = actor.name, day, clock.now()
    if approve:
        _execute(session, clock, actor, customer, terms, case, row,
                 due_of(session, customer, terms, day, case), day)
    record(session, clock, actor, f"dunning.{row.status}", row,
           msg("{ref}: {step} approved by {actor} on {date}" if approve
               else "{ref}: {step} declined by {actor} on {date}", ref=customer.ref,
               step=rules.step_label(_sheet_dunning(session, case).steps, row.position),
               actor=actor.name, date=day))
    return row


def _close_case(session: Session, clock: Clock, actor: Actor, case: DunningCase, day: date,
                reason: str) -> None:
    """Payment stops the ladder; it lifts the ladder's restrictions and suspensions when the
    sheet says so, and the decisions still awaited lapse."""
    customer = customer_by_id(session, case.customer_id)
    dunning = terms_of(session, customer).terms.dunning
    lifts = dunning and dunning.payment_lifts_suspension and dunning.payment_lifts_suspension.value
    resumed = []
    if lifts:
        for sub_id in sorted(set(case.restricted) | set(case.suspended)):
            sub = contracts.get_subscription(session, sub_id)
            if sub.status in (_S.RESTRICTED, _S.SUSPENDED):
                contracts.change_status(session, clock, actor, sub.id, "resume", day,
                                        f"paid — {dunning.payment_lifts_suspension.clause}")
                resumed.append(sub.ref)
    for row in case.steps:
        if row.status == StepStatus.PENDING_APPROVAL:
            row.status = StepStatus.LAPSED
    case.status, case.closed_on, case.closed_reason = DunningCaseStatus.CLOSED, day, reason
    record(session, clock, actor, "dunning.close", case,
           msg("{ref}: case closed on {date} ({reason}); resumed {resumed}" if resumed
               else "{ref}: case closed on {date} ({reason})", ref=customer.ref, date=day,
               reason=reason, resumed=", ".join(resumed)))


def record_letter_receipt(session: Session, clock: Clock, actor: Actor, message_id: int,
                          received_on: date) -> outbox.OutboxMessage:
    """The acknowledgement of receipt of a registered letter; the steps counted from receipt
    (and a deposit's replenishment delay) run from it."""
    message = outbox.record_receipt(session, clock, actor, message_id, received_on)
    deposit = session.scalar(select(Deposit).where(Deposit.draw_letter_id == message.id))
    if deposit is not None:
        deposit.replenish_by, _ = check_rule(rules.replenish_by, terms_of(
            session, customer_by_id(session, deposit.customer_id)).terms, received_on)
    return message


@dataclass
class QueueEntry:
    case: DunningCase
    customer: CustomerFacts
    amount_due: Decimal
    pending: list[DunningStepRecord]
    next_step: rules.NextStep | None
    letters_awaiting_receipt: list[MessageFacts]

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
    cases = list(session.scalars(select(DunningCase).where(DunningCase.status == DunningCaseStatus.OPEN)
                                 .order_by(DunningCase.opened_on, DunningCase.id)))
    customers = customer_facts.customers(session, {case.customer_id for case in cases})
    sent = message_facts(session, [r.letter_id for case in cases for r in case.steps])
    for case in cases:
        customer = customers[case.customer_id]
        dunning = _sheet_dunning(session, case)
        letters = [sent.get(r.letter_id) for r in case.steps if r.letter_id]
        entries.append(QueueEntry(
            case, customer, case.steps[-1].amount_due if case.steps else ZERO,
            [r for r in case.steps if r.status == StepStatus.PENDING_APPROVAL],
            rules.next_step(dunning.steps, _facts(session, case),
                            dunning.restriction_from_first_late_payment),
            [m for m in letters if m is not None and m.received_on is None]))
    return entries


# --------------------------------------------------------------------------- reconnection


def charge_reconnection(session: Session, clock: Clock, actor: Actor, subscription_ref: str,
                        on: date | None = None) -> Explained:
    """Reconnecting a contract terminated for unpaid bills: allowed once nothing is owed, and it
    re-bills the access fees where the sheet says so (charged to the next invoice)."""
    sub = contracts.get_subscription(session, subscription_ref)
    if sub.status != _S.TERMINATED or sub.termination_reason != "unpaid":
        raise NotAllowed(f"subscription {sub.ref}: not terminated for unpaid bills",
                         code=rules.Refused.reconnection_not_terminated_for_unpaid)
    customer = customer_by_id(session, sub.customer_id)
    owes = owed(session, customer.id)
    if owes > 0:
        raise NotAllowed(f"{customer.ref}: {fr_format(owes)} still owed; reconnection needs the "
                         "account settled first",
                         code=rules.Refused.reconnection_account_not_settled)
    day = on or clock.today()
    fees = rules.reconnection_fees(terms_of(session, customer).terms,
                                   [(item.label, item.access_fee) for item in sub.items])
    if fees.total:
        add_charge(session, clock, actor, customer_id=customer.id, subscription_id=sub.id,
                   source="reconnection", source_key=f"{sub.id}:{day.isoformat()}",
                   label=msg("Reconnection — {ref}", ref=sub.ref), explained=fees,
                   price_basis=sub.items[0].price_basis, incurred_on=day)
    return fees


def dunning_counts(session: Session) -> tuple[int, int]:
    """How many dunning cases are open and how many of their steps await a staff approval."""
    cases = session.scalar(select(func.count()).select_from(DunningCase).where(
        DunningCase.status == DunningCaseStatus.OPEN)) or 0
    pending = session.scalar(select(func.count()).select_from(DunningStepRecord).where(
        DunningStepRecord.status == StepStatus.PENDING_APPROVAL)) or 0
    return cases, pending
