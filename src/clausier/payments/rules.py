"""Pure rules of payments and collections: allocation, set-off, late interest, acceleration, the
dunning ladder, deposits, disputes and SEPA direct debit. No database, no clock, no I/O: facts
in, decisions and explained amounts out, every figure from the term sheet with its clause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum, auto

from dateutil.relativedelta import relativedelta

from clausier.core.calendar import BusinessCalendar, OpeningHours
from clausier.core.errors import RefusalCode, RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import Message, msg
from clausier.core.money import ZERO, fr_format, fr_number, money
from clausier.terms.delays import UNIT_WORDS, delay
from clausier.terms.schema import Channel, DunningAction, DunningStep, Sourced, Terms

ONE_DAY = timedelta(days=1)
CALENDAR = BusinessCalendar(OpeningHours.heures_ouvrees())
PAYMENT_METHODS = ("transfer", "card", "cheque", "direct_debit", "deposit", "set_off")
DAYS_IN_YEAR = 365      # the legal interest is computed on a 365-day year (C. mon. fin. R.313-1)


# --------------------------------------------------------------------------- statuses

class PaymentStatus(StrEnum):
    RECORDED = "recorded"
    REVERSED = "reversed"


class MandateStatus(StrEnum):
    """A SEPA mandate is active until revoked (or replaced), or found invalid by a return."""

    ACTIVE = "active"
    REVOKED = "revoked"
    INVALID = "invalid"


class DebitStatus(StrEnum):
    """One direct debit: scheduled, exported in a collection file, then collected or returned;
    cancelled when it cannot be presented."""

    SCHEDULED = "scheduled"
    EXPORTED = "exported"
    COLLECTED = "collected"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class DunningCaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DunningStepStatus(StrEnum):
    """A step reached: done, or waiting for approval (then approved, declined, or lapsed when
    the case closes first)."""

    DONE = "done"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    DECLINED = "declined"
    LAPSED = "lapsed"


class DepositStatus(StrEnum):
    REQUESTED = "requested"
    HELD = "held"
    DRAWN = "drawn"
    RELEASED = "released"


class DisputeStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"



class Refused(RefusalCode):
    """Why the payments rules refuse the input."""

    payment_not_positive = auto()
    invoices_not_open = auto()
    half_year_malformed = auto()
    no_deposit_clause = auto()
    deposit_ground_not_listed = auto()
    no_deposit_replenishment_delay = auto()
    no_deposit_release_delay = auto()
    sepa_return_reason_unknown = auto()
    amount_not_a_number = auto()
    deposit_not_positive = auto()
    deposit_released = auto()
    deposit_amount_out_of_range = auto()
    deposit_refused = auto()
    deposit_nothing_to_draw = auto()
    deposit_release_refused = auto()
    dispute_invoice_not_issued = auto()
    dispute_channel_unknown = auto()
    dispute_amount_out_of_range = auto()
    dispute_already_decided = auto()
    dunning_step_not_awaiting_decision = auto()
    dunning_case_closed = auto()
    reconnection_not_terminated_for_unpaid = auto()
    reconnection_account_not_settled = auto()
    rate_out_of_range = auto()
    rate_not_recorded = auto()
    rate_already_recorded = auto()
    rate_not_a_number = auto()
    payment_method_unknown = auto()
    credit_amount_out_of_range = auto()
    set_off_refused = auto()
    payment_reference_already_used = auto()
    creditor_identifier_missing = auto()
    creditor_account_missing = auto()
    mandate_reference_invalid = auto()
    mandate_reference_taken = auto()
    mandate_signed_in_the_future = auto()
    iban_invalid = auto()
    bic_unknown_for_bank = auto()
    bic_invalid = auto()


# --------------------------------------------------------------------------- allocation


@dataclass(frozen=True)
class OpenInvoice:
    """An issued invoice with something left to pay (``outstanding`` > 0)."""

    id: int
    number: str
    issue_date: date
    due_date: date
    total: Decimal
    outstanding: Decimal
    disputed: Decimal = ZERO        # under a dispute received in time: not due meanwhile
    has_usage: bool = False

    @property
    def fully_unpaid(self) -> bool:
        return self.outstanding >= self.total

    @property
    def undisputed(self) -> Decimal:
        return max(ZERO, self.outstanding - self.disputed)


@dataclass(frozen=True)
class AllocationPlan:
    allocations: tuple[tuple[int, Decimal], ...]     # (invoice id, amount)
    unallocated: Decimal                              # kept as a customer credit

    @property
    def allocated(self) -> Decimal:
        return money(sum((amount for _, amount in self.allocations), ZERO))


def oldest_first(invoices: Sequence[OpenInvoice]) -> list[OpenInvoice]:
    return sorted(invoices, key=lambda i: (i.due_date, i.issue_date, i.id))


def allocate(amount: Decimal, invoices: Sequence[OpenInvoice],
             chosen: Sequence[int] | None = None) -> AllocationPlan:
    """Allocate a payment to the oldest open invoices (or to ``chosen`` ones, in that order);
    what is left over is an overpayment, kept as a credit. Never more than an invoice owes."""
    amount = money(amount)
    if amount <= 0:
        raise RuleRefusal(Refused.payment_not_positive, "amount", "a payment is positive")
    by_id = {i.id: i for i in invoices}
    if chosen:
        unknown = [str(i) for i in chosen if i not in by_id]
        if unknown:
            raise RuleRefusal(Refused.invoices_not_open, "invoices",
                              f"{', '.join(unknown)} not open for this customer")
        order = [by_id[i] for i in dict.fromkeys(chosen)]
    else:
        order = oldest_first(invoices)
    left, allocations = amount, []
    for invoice in order:
        if left <= 0:
            break
        part = min(left, money(invoice.outstanding))
        if part > 0:
            allocations.append((invoice.id, part))
            left -= part
    return AllocationPlan(tuple(allocations), money(left))


# --------------------------------------------------------------------------- set-off


@dataclass(frozen=True)
class Decision:
    """A yes/no of the terms, with the date from which it becomes yes and the clause."""

    allowed: bool
    reason: str
    clause: str = ""
    earliest: date | None = None

    def as_dict(self) -> dict:
        return {"allowed": self.allowed, "reason": self.reason, "clause": self.clause,
                "earliest": self.earliest.isoformat() if self.earliest else None}


def set_off(terms: Terms, notice_sent_on: date | None, on: date) -> Decision:
    """Set-off (*compensation*) of mutual debts: only once the sheet's notice has run."""
    notice = terms.payment.set_off_notice_days if terms.payment else None
    if notice is None:
        return Decision(True, "the terms require no notice before set-off")
    wait = delay(terms, notice)
    if notice_sent_on is None:
        return Decision(False, f"set-off needs a notice sent {wait.text} before; none sent",
                        wait.clause)
    # « quinze (15) jours auparavant »: the client has the whole 15 days (reading
    # T-SET-OFF-NOTICE-START); the set-off is allowed from the day after the last one.
    earliest = wait.beyond(notice_sent_on)
    if on < earliest:
        return Decision(False, f"the set-off notice of {notice_sent_on.isoformat()} runs until "
                               f"{wait.after(notice_sent_on).isoformat()} ({wait.text})",
                        wait.clause, earliest)
    return Decision(True, f"notice of {notice_sent_on.isoformat()} has run ({wait.text})",
                    wait.clause, earliest)


# --------------------------------------------------------------------------- legal interest rate


def half_year_of(day: date) -> str:
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def half_year_bounds(label: str) -> tuple[date, date]:
    """``2026-H1`` → (2026-01-01, 2026-06-30)."""
    try:
        year_text, half = label.strip().upper().split("-")
        year = int(year_text)
    except ValueError:
        raise RuleRefusal(Refused.half_year_malformed, "half_year",
                          f"{label!r} is not YYYY-H1 or YYYY-H2") from None
    if half == "H1":
        return date(year, 1, 1), date(year, 6, 30)
    if half == "H2":
        return date(year, 7, 1), date(year, 12, 31)
    raise RuleRefusal(Refused.half_year_malformed, "half_year",
                      f"{label!r} is not YYYY-H1 or YYYY-H2")


@dataclass(frozen=True)
class LegalRate:
    """A rate as recorded by the operator for a half-year, in percent a year."""

    half_year: str
    percent: Decimal
    source: str = "french_legal_rate"


# --------------------------------------------------------------------------- late payment


def charges_interest(terms: Terms) -> bool:
    late = terms.late_payment
    return bool(late and late.interest_multiple_of_legal_rate)


def rate_day(terms: Terms, issue_date: date, due_date: date) -> date:
    """The day whose rate applies: the invoice date unless the sheet says the due date."""
    late = terms.late_payment
    if late and late.rate_reference and late.rate_reference.value == "due_date":
        return due_date
    return issue_date


def rate_source(terms: Terms) -> str:
    late = terms.late_payment
    return late.rate_source.value if late and late.rate_source else "french_legal_rate"


@dataclass(frozen=True)
class Settlement:
    """A payment applied to the invoice after its due date."""

    on: date
    amount: Decimal


def late_interest(terms: Terms, number: str, due_date: date, unpaid_at_due: Decimal,
                  settlements: Sequence[Settlement], until: date, rate: LegalRate) -> Explained:
    """Interest from the day after the due date until each payment, on what was still unpaid:
    ``days × (multiple × legal rate) × amount / 365``, one line per period (CGV art. 11.1)."""
    late = terms.late_payment
    if not charges_interest(terms):
        return Explained()
    multiple = late.interest_multiple_of_legal_rate
    yearly = multiple.value * rate.percent
    clause = f"{multiple.clause}; {rate.source.replace('_', ' ')} {rate.half_year} recorded " \
             f"{fr_number(rate.percent)} %"
    lines, owed, start = [], money(unpaid_at_due), due_date
    for settlement in sorted(settlements, key=lambda s: s.on):
        if settlement.on > until:
            break
        if settlement.on > start and owed > 0:
            lines.append(_interest_line(number, owed, start, settlement.on, multiple.value, rate,
                                        yearly, clause))
        owed = max(ZERO, owed - settlement.amount)
        start = max(start, settlement.on)
    if owed > 0 and until > start:
        lines.append(_interest_line(number, owed, start, until, multiple.value, rate, yearly, clause))
    return Explained(tuple(lines))


def _interest_line(number: str, owed: Decimal, start: date, end: date, multiple: Decimal,
                   rate: LegalRate, yearly: Decimal, clause: str) -> Line:
    days = (end - start).days
    amount = money(owed * yearly / 100 * days / DAYS_IN_YEAR)
    return Line(msg("Late interest on {number} from {start} to {end}", number=number,
                    start=start + ONE_DAY, end=end),
                amount,
                msg("{days} days × ({multiple} × {rate} %) × {amount} / {year_days}", days=days,
                    multiple=fr_number(multiple), rate=fr_number(rate.percent), amount=owed,
                    year_days=DAYS_IN_YEAR), clause)


def recovery_indemnity(terms: Terms, number: str) -> Explained:
    """The flat recovery indemnity (*indemnité forfaitaire pour frais de recouvrement*), once
    per late invoice."""
    late = terms.late_payment
    if not (late and late.recovery_indemnity):
        return Explained()
    return Explained((Line(msg("Flat recovery indemnity on {number}", number=number),
                           late.recovery_indemnity.value,
                           msg("{quantity} × {fee}", quantity=1, fee=late.recovery_indemnity.value),
                           late.recovery_indemnity.clause),))


def rejected_debit_fee(terms: Terms, end_to_end_id: str, reason: str) -> Explained:
    late = terms.late_payment
    if not (late and late.rejected_debit_fee):
        return Explained()
    return Explained((Line(msg("Rejected direct debit {id} ({reason})", id=end_to_end_id,
                               reason=reason),
                           late.rejected_debit_fee.value,
                           msg("1 rejection × {amount}", amount=late.rejected_debit_fee.value),
                           late.rejected_debit_fee.clause),))


def acceleration_date(terms: Terms, invoices: Sequence[OpenInvoice], on: date) -> date | None:
    """*Déchéance du terme*: when the sheet says so, an invoice left wholly unpaid after its due
    date makes every issued invoice of the customer due at once (from the day after)."""
    late = terms.late_payment
    if not (late and late.acceleration and late.acceleration.value):
        return None
    days = [i.due_date + ONE_DAY for i in invoices if i.fully_unpaid and i.due_date < on]
    return min(days) if days else None


def effective_due(invoice: OpenInvoice, accelerated_on: date | None) -> date:
    if accelerated_on is not None and invoice.due_date > accelerated_on:
        return accelerated_on
    return invoice.due_date


def overdue(invoices: Sequence[OpenInvoice], on: date,
            accelerated_on: date | None = None) -> list[OpenInvoice]:
    """The invoices whose undisputed part is due and unpaid on ``on``."""
    return [i for i in oldest_first(invoices)
            if i.undisputed > 0 and effective_due(i, accelerated_on) < on]


def reconnection_fees(terms: Terms, access_fees: Sequence[tuple[str, Decimal]]) -> Explained:
    """Reconnecting a contract terminated for unpaid bills re-bills its access fees (Ozone
    art. 9.6, reading OZ-RECONNECTION); nothing when the sheet does not say so."""
    late = terms.late_payment
    flag = late.reconnection_rebills_access_fees if late else None
    if not (flag and flag.value):
        return Explained()
    return Explained(tuple(Line(msg("Access fees re-billed on reconnection: {label}", label=label),
                                amount, msg("{quantity} × {fee}", quantity=1, fee=amount),
                                flag.clause)
                           for label, amount in access_fees if amount))


# --------------------------------------------------------------------------- dunning ladder


@dataclass(frozen=True)
class StepHistory:
    """What happened to a step of the ladder already reached."""

    step_id: str
    reached_on: date
    letter_received_on: date | None = None      # registered letter: first presentation
    debit_returned_on: date | None = None       # re-presented debit: its return
    sent_letter: bool = False


@dataclass(frozen=True)
class CaseFacts:
    opened_on: date
    due_date: date                    # the first presentation / oldest due date
    rejected_on: date | None = None
    history: tuple[StepHistory, ...] = ()


@dataclass(frozen=True)
class NextStep:
    step: DunningStep
    position: int
    due_on: date | None               # None: waiting for ``waiting_for``
    basis: str
    waiting_for: str | None = None

    def is_due(self, on: date) -> bool:
        return self.due_on is not None and self.due_on <= on


def _words(step: DunningStep) -> Message:
    # « jours ouvrés » are business days, « jours ouvrables » working days (explain.po)
    unit, n = step.counted_in.value, step.after_days
    days = (msg("{n} calendar days", n=n) if unit == "calendar" else
            msg("{n} business days", n=n) if unit == "ouvres" else
            msg("{n} working days", n=n) if unit == "ouvrables" else
            msg("{n} {unit}", n=n, unit=unit))
    if step.after_months:
        return msg("{n} month(s) + {rest}", n=step.after_months, rest=days)
    return days


def next_step(steps: Sequence[DunningStep], facts: CaseFacts,
              restrict_early: Sourced[bool] | None = None) -> NextStep | None:
    """The first step of the ladder not reached yet, with the day it falls due (never before the
    case opened nor before the previous step), or what it waits for. ``restrict_early`` is the
    sheet's ``restriction_from_first_late_payment``: when true, a restriction step falls due as
    soon as the steps before it."""
    reached = {h.step_id: h for h in facts.history}
    for position, step in enumerate(steps):
        if step.id in reached:
            continue
        previous = reached.get(steps[position - 1].id) if position else None
        if step.action == DunningAction.restrict and restrict_early and restrict_early.value:
            due_on = max(facts.opened_on, previous.reached_on if previous else facts.opened_on)
            return NextStep(step, position, due_on,
                            msg("restriction allowed from the first late payment — {clause}",
                                clause=restrict_early.clause))
        if step.after == "due_date":
            anchor, anchor_words = facts.due_date, msg("due date {date}", date=facts.due_date)
        elif step.after == "rejection":
            anchor = facts.rejected_on or facts.due_date
            anchor_words = (msg("rejection of {date}", date=anchor) if facts.rejected_on
                            else msg("due date {date}", date=anchor))
        elif previous is None:
            anchor, anchor_words = facts.opened_on, msg("opening {date}", date=facts.opened_on)
        elif step.counted_from == "receipt":
            letter = next((h for h in reversed(facts.history) if h.sent_letter), None)
            if letter is None or letter.letter_received_on is None:
                return NextStep(step, position, None, "", msg("receipt of the registered letter"))
            anchor = letter.letter_received_on
            anchor_words = msg("receipt on {date} of the letter of {sent}", date=anchor,
                               sent=letter.reached_on)
        elif steps[position - 1].action == DunningAction.re_present_debit:
            if previous.debit_returned_on is None:
                return NextStep(step, position, None, "", msg("the result of the re-presented debit"))
            anchor = previous.debit_returned_on
            anchor_words = msg("return of the re-presented debit on {date}", date=anchor)
        else:
            anchor, anchor_words = (previous.reached_on,
                                   msg("the previous step of {date}", date=previous.reached_on))
        target = anchor + relativedelta(months=step.after_months or 0)
        target = CALENDAR.add_days(target, step.after_days, step.counted_in.day_kind)
        if step.after_days:
            # « Sous N jours … Au-delà de ce délai »: the client has the whole Nth day; the step
            # is allowed from the calendar day after it. A delay in months lands on its date.
            target += timedelta(days=1)
        floor = max(facts.opened_on, previous.reached_on if previous else facts.opened_on)
        due_on = max(target, floor)
        basis = msg("the day after {delay} after {anchor} — {clause}" if step.after_days
                    else "{delay} after {anchor} — {clause}", delay=_words(step),
                    anchor=anchor_words, clause=str(step.src))
        return NextStep(step, position, due_on, basis)
    return None


def due_steps(steps: Sequence[DunningStep], facts: CaseFacts, on: date,
              restrict_early: Sourced[bool] | None = None) -> list[NextStep]:
    """Every step falling due by ``on``, in order, as if each were reached on ``on``."""
    found = []
    while (step := next_step(steps, facts, restrict_early)) is not None and step.is_due(on):
        found.append(step)
        facts = replace(facts, history=facts.history + (StepHistory(
            step.step.id, on, sent_letter=Channel.registered_letter in step.step.channels),))
    return found


# A step in words (the labels of the pages' ``dunning_action`` table): its action, numbered when
# the ladder has several steps of that action.
STEP_WORDS = {
    DunningAction.reminder: msg("reminder"), DunningAction.formal_notice: msg("formal notice"),
    DunningAction.restrict: msg("service restricted"),
    DunningAction.suspend: msg("service suspended"),
    DunningAction.re_present_debit: msg("debit presented again"),
    DunningAction.terminate: msg("termination"), DunningAction.litigation: msg("litigation"),
}


def _rank(steps: Sequence[DunningStep], position: int) -> tuple[int, int]:
    """The step's rank among the ladder's steps of its action, and how many there are."""
    same = [i for i, s in enumerate(steps) if s.action == steps[position].action]
    return same.index(position) + 1, len(same)


def step_label(steps: Sequence[DunningStep], position: int) -> Message:
    """The step at ``position`` in words (never its code): « mise en demeure n° 2 »."""
    words = STEP_WORDS[steps[position].action]
    n, count = _rank(steps, position)
    return words if count == 1 else msg("{step} no. {n}", step=words, n=n)


def letter_subject(steps: Sequence[DunningStep], position: int) -> Message:
    """The subject of the letter a step sends, in the words of the clause (CGV art. 8.4: « mise
    en demeure de paiement »), numbered when the ladder sends several."""
    action = steps[position].action
    n, count = _rank(steps, position)
    if action == DunningAction.formal_notice:
        return (msg("Formal notice of payment") if count == 1
                else msg("Formal notice of payment no. {n}", n=n))
    if action == DunningAction.reminder:
        return msg("Payment reminder") if count == 1 else msg("Payment reminder no. {n}", n=n)
    return msg("Unpaid invoices: {step}", step=step_label(steps, position))


def pay_within_words(steps: Sequence[DunningStep], position: int) -> Message | str:
    """How the letter of a step words its deadline: the unit of the step that counts from it
    (a message, in the recipient's language; "" when the step sets no deadline)."""
    step = steps[position]
    if not step.pay_within_days:
        return ""
    following = next((s for s in steps[position + 1:] if s.after == "previous_step"
                      and s.after_days), None)
    counted_in = following.counted_in.value if following else "calendar"
    unit = (msg("business days") if counted_in == "ouvres"
            else msg("working days") if counted_in == "ouvrables" else msg("calendar days"))
    start = (msg("its receipt") if following and following.counted_from == "receipt"
             else msg("its sending"))
    return msg("{n} {unit} from {start}", n=step.pay_within_days, unit=unit, start=start)


def letter_consequence(steps: Sequence[DunningStep], position: int) -> Message | str:
    """What follows a letter, in the letter's words: the actions of the steps up to the next
    letter (CGV 8.4: « restreindre ou suspendre »), "" when none."""
    words = {DunningAction.restrict: msg("restrict"), DunningAction.suspend: msg("suspend"),
             DunningAction.terminate: msg("terminate"),
             DunningAction.litigation: msg("take legal action over")}
    actions: list[Message] = []
    for later in steps[position + 1:]:
        if later.action in (DunningAction.formal_notice, DunningAction.reminder):
            break
        if later.action in words and words[later.action] not in actions:
            actions.append(words[later.action])
    if not actions:
        return ""
    joined = actions[0]
    for action in actions[1:]:
        joined = msg("{first} or {second}", first=joined, second=action)
    return msg("Failing that, we may {actions} the services concerned.", actions=joined)


# --------------------------------------------------------------------------- deposits


def deposit_ground(terms: Terms, ground: str) -> str:
    """The clause that allows asking for a deposit on ``ground``; refused otherwise."""
    block = terms.deposit
    if block is None or block.grounds is None:
        raise RuleRefusal(Refused.no_deposit_clause, "ground", "the terms provide no deposit")
    if ground not in block.grounds.value:
        raise RuleRefusal(Refused.deposit_ground_not_listed, "ground",
                          f"{ground!r} is not one of {', '.join(block.grounds.value)}",
                          block.grounds.clause)
    return block.grounds.clause


def may_draw_deposit(terms: Terms, notice_sent_on: date | None, on: date) -> Decision:
    """Draw on the deposit after a formal notice left unanswered N days from its sending."""
    block = terms.deposit
    days = block.draw_after_notice_days if block else None
    if days is None:
        return Decision(False, "the terms provide no drawing on a deposit")
    wait = delay(terms, days)
    if notice_sent_on is None:
        return Decision(False, "no formal notice has been sent", wait.clause)
    # "sans effet pendant huit (8) jours": the deposit may be drawn the day after the delay.
    earliest = wait.beyond(notice_sent_on)
    if on < earliest:
        return Decision(False, f"the formal notice of {notice_sent_on.isoformat()} has not been "
                               f"unanswered {wait.text} yet", wait.clause, earliest)
    return Decision(True, f"formal notice of {notice_sent_on.isoformat()} unanswered "
                          f"{wait.text}", wait.clause, earliest)


def replenish_by(terms: Terms, letter_received_on: date) -> tuple[date, str]:
    days = terms.deposit.replenish_within_days if terms.deposit else None
    if days is None:
        raise RuleRefusal(Refused.no_deposit_replenishment_delay, "deposit",
                          "the terms set no replenishment delay")
    within = delay(terms, days)
    return within.after(letter_received_on), within.clause


def release_date(terms: Terms, contract_end: date) -> tuple[date, str]:
    months = terms.deposit.release_after_months if terms.deposit else None
    if months is None:
        raise RuleRefusal(Refused.no_deposit_release_delay, "deposit",
                          "the terms set no release delay")
    return contract_end + relativedelta(months=months.value), months.clause


def may_release_deposit(terms: Terms, contract_end: date | None, on: date, owes: Decimal,
                        open_disputes: int) -> Decision:
    if contract_end is None:
        return Decision(False, "the contract has not ended")
    release_on, clause = release_date(terms, contract_end)
    if on < release_on:
        return Decision(False, f"released from {release_on.isoformat()}", clause, release_on)
    if owes > 0:
        return Decision(False, f"{fr_format(owes)} still owed", clause, release_on)
    if open_disputes:
        return Decision(False, f"{open_disputes} dispute(s) open", clause, release_on)
    return Decision(True, f"contract ended {contract_end.isoformat()}, nothing owed", clause, release_on)


# --------------------------------------------------------------------------- disputes


@dataclass(frozen=True)
class DisputeDecision:
    admissible: bool
    deadline: date | None
    reasons: tuple[str, ...] = ()
    clauses: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"admissible": self.admissible,
                "deadline": self.deadline.isoformat() if self.deadline else None,
                "reasons": list(self.reasons), "clauses": list(self.clauses)}


def dispute_admissible(terms: Terms, invoice_received_on: date, received_on: date, channel: str,
                       usage_invoice: bool) -> DisputeDecision:
    """A dispute of a usage invoice is admissible only within the sheet's window from the
    invoice's receipt and by the sheet's channel (CGV art. 11.3). Other invoices have no window."""
    payment = terms.payment
    window = payment.dispute_window_days if payment else None
    wanted = payment.dispute_channel if payment else None
    if not usage_invoice or window is None:
        return DisputeDecision(True, None, (msg("no dispute window applies to this invoice"),))
    # The window's own unit when the clause qualifies it, else the sheet's « jour ».
    within = delay(terms, window, payment.dispute_window_counted_in)
    deadline = within.after(invoice_received_on)
    unit = UNIT_WORDS[within.kind]
    reasons, clauses = [], []
    day = CALENDAR.count_days(invoice_received_on, received_on, within.kind)
    if received_on > deadline:
        reasons.append(msg("received on day {day} ({unit}) after the invoice's receipt; the window "
                           "is {window} (until {deadline})", day=day, unit=unit,
                           window=within.text, deadline=deadline))
        clauses.append(within.clause)
    if wanted is not None and channel != wanted.value:
        # the channels' words (« lettre recommandée ») are the catalogues'
        reasons.append(msg("sent by {channel}; the terms require {wanted}",
                           channel=channel.replace("_", " "),
                           wanted=wanted.value.replace("_", " ")))
        clauses.append(wanted.clause)
    if reasons:
        return DisputeDecision(False, deadline, tuple(reasons), tuple(clauses))
    return DisputeDecision(True, deadline, (msg("received on day {day}, within {window}", day=day,
                                                window=within.text),), (within.clause,))


# --------------------------------------------------------------------------- SEPA direct debit

# The SEPA Core rulebook's figures (scheme rules, not an operator's terms).
MANDATE_LAPSES_AFTER_MONTHS = 36

# ISO 20022 return reasons (ExternalStatusReason1Code) seen on direct debits; the second value
# says whether the mandate itself is no longer usable.
RETURN_REASONS: dict[str, tuple[str, bool]] = {
    "AC01": ("Incorrect account number", True),
    "AC04": ("Closed account number", True),
    "AC06": ("Blocked account", False),
    "AC13": ("Invalid debtor account type", True),
    "AG01": ("Transaction forbidden on this account", True),
    "AG02": ("Invalid bank operation code", False),
    "AM04": ("Insufficient funds", False),
    "AM05": ("Duplication", False),
    "BE05": ("Unrecognised initiating party", False),
    "CNOR": ("Creditor bank is not registered", False),
    "DNOR": ("Debtor bank is not registered", False),
    "FF01": ("Invalid file format", False),
    "MD01": ("No valid mandate", True),
    "MD02": ("Missing mandatory mandate information", True),
    "MD06": ("Refund requested by the debtor", False),
    "MD07": ("Debtor deceased", True),
    "MS02": ("Refused by the debtor", False),
    "MS03": ("Reason not specified", False),
    "RC01": ("Bank identifier incorrect", True),
    "RR01": ("Missing debtor account or identification", False),
    "RR02": ("Missing debtor name or address", False),
    "RR03": ("Missing creditor name or address", False),
    "RR04": ("Regulatory reason", False),
    "SL01": ("Specific service offered by the debtor bank", False),
}


def return_reason(code: str) -> tuple[str, bool]:
    code = code.strip().upper()
    if code not in RETURN_REASONS:
        raise RuleRefusal(Refused.sepa_return_reason_unknown, "reason_code",
                          f"{code!r} is not an ISO 20022 return reason "
                          f"({', '.join(sorted(RETURN_REASONS))})")
    return RETURN_REASONS[code]


def sequence_type(presented_before: bool) -> str:
    """FRST for a mandate's first collection, RCUR once one has been settled."""
    return "RCUR" if presented_before else "FRST"


def mandate_lapsed(signed_on: date, last_collection_on: date | None, on: date) -> bool:
    """A mandate not used for 36 months lapses (SEPA Core rulebook)."""
    last = last_collection_on or signed_on
    return on >= last + relativedelta(months=MANDATE_LAPSES_AFTER_MONTHS)


def collection_date(due_date: date, scheduled_on: date, prenotification_days: int) -> date:
    """Collected on the due date, but never before the pre-notification has run."""
    return max(due_date, scheduled_on + timedelta(days=prenotification_days))
