"""Contract lifecycle rules: commitment periods, renewal, notice, and the explained exit quotes.

Pure: the facts of a subscription and the blocks of its term sheet come in, dates and
explained amounts come out. Every figure comes from the sheet (``Terms``); this module only
knows the *kinds* of rules (``remaining_months_x_monthly_fees``, ``chatel``…).

Conventions (named once here, used everywhere):

* a period ``end`` is the last day of the period (inclusive);
* a termination's ``effective_date`` is the first day without service: the service and its
  recurring fees run until the day before;
* "a started month counts whole" (*tout mois commencé est dû*): months from a date to a
  period end are counted with :func:`months_started`;
* Chatel remaining months count whole months only (:func:`months_whole`): the closing invoice
  already bills the prorata up to the effective date, so a partial month is not charged twice
  (reading favourable to the client, Code civil art. 1190).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import auto

from dateutil.relativedelta import relativedelta

from clausier.core.calendar import DayKind
from clausier.contracts.statuses import SubscriptionStatus
from clausier.core.errors import RefusalCode, RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import Message, msg
from clausier.core.money import ZERO, fr_format, fr_number, money
from clausier.terms.delays import FRANCE, Delay, delay
from clausier.terms.schema import (
    ChatelFee,
    ExemptionReason,
    FeeRule,
    FlatFee,
    FlatPerUnitFee,
    MinimumBillingRemaining,
    MultipleOfAccessFees,
    NoticeEffect,
    RemainingMonthsFee,
    RenewalMode,
    Sourced,
    StartEvent,
    Terms,
    UsageLists,
)

ONE_DAY = timedelta(days=1)


# --------------------------------------------------------------------------- calendar arithmetic

def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clipped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    return day + relativedelta(months=months)


def months_started(start: date, end: date) -> int:
    """Months or parts of months from ``start`` to ``end`` inclusive (a started month counts)."""
    if end < start:
        return 0
    count = 0
    while add_months(start, count) <= end:
        count += 1
    return count


def months_whole(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` inclusive; a partial last month is not counted."""
    if end < start:
        return 0
    count = 0
    while add_months(start, count + 1) - ONE_DAY <= end:
        count += 1
    return count


# --------------------------------------------------------------------------- facts

@dataclass(frozen=True)
class Item:
    """An offer within the subscription, at the prices of the order."""

    label: str
    unit: str
    quantity: int
    monthly_fee: Decimal            # per unit
    access_fee: Decimal = ZERO       # per unit, as sold
    access_fee_undiscounted: Decimal = ZERO
    minimum_billing: Decimal | None = None
    is_option: bool = False

    @property
    def monthly_total(self) -> Decimal:
        return money(self.monthly_fee * self.quantity)


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about one subscription (at one site, one service)."""

    family: str
    signed_on: date
    commitment_months: int
    items: tuple[Item, ...]
    status: str = SubscriptionStatus.ACTIVE
    commitment_start: date | None = None
    go_live_on: date | None = None
    shipped_on: date | None = None
    recommitted_on: date | None = None
    recommit_months: int | None = None
    channel: str = "on_premises"
    outside_main_activity: bool = False
    employees: int | None = None
    customer_kind: str = "company"
    price_basis: str = "HT"
    equipment_received_on: date | None = None
    delivered_on: date | None = None
    ordered_on: date | None = None      # a distance order placed before the contract's signature

    @property
    def monthly_fees(self) -> Decimal:
        return money(sum((item.monthly_total for item in self.items), ZERO))


@dataclass(frozen=True)
class Period:
    """A commitment period: ``initial``, a tacit ``renewal``, or ``indefinite`` (no end)."""

    kind: str
    start: date
    end: date | None
    number: int = 0          # 0 = initial, 1 = first renewal…
    clause: str = ""

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class Refused(RefusalCode):
    """Why the contracts' rules (and ``changes``) refuse what is asked."""

    no_notice_effect = auto()
    no_notice_months = auto()
    notice_effect_unknown = auto()
    fee_rule_unknown = auto()
    subscription_already_ended = auto()
    no_running_period = auto()
    termination_not_open_yet = auto()       # during the commitment, before the month allowed
    no_preselection_clause = auto()
    management_mode_missing = auto()
    management_mode_unknown = auto()
    no_plan_change_grid = auto()
    change_not_in_grid = auto()
    change_of_another_family = auto()
    recommit_months_not_offered = auto()
    no_move_clause = auto()
    # changes.py: a change order
    change_action_unknown = auto()
    quantity_below_one = auto()
    quantity_above_held = auto()
    offer_not_in_catalogue = auto()
    offer_of_another_family = auto()
    offer_not_an_option = auto()
    offer_is_an_option = auto()
    offer_not_in_force = auto()
    several_main_items = auto()
    no_main_service_left = auto()
    subscription_not_changeable = auto()    # terminated, cancelled or under notice
    no_change_during_term = auto()
    removal_during_commitment_unsettled = auto()
    family_not_in_change_grid = auto()
    import_customers_not_a_list = auto()
    import_columns_missing = auto()
    import_columns_unknown = auto()
    import_rows_refused = auto()
    import_date_malformed = auto()
    subscription_ref_ambiguous = auto()
    subscription_ref_taken = auto()
    subscription_transition_not_allowed = auto()
    order_customer_unknown = auto()
    order_channel_unknown = auto()
    order_without_lines = auto()
    order_not_draft = auto()
    event_in_the_future = auto()
    service_identifier_refused = auto()
    billed_until_not_a_month_end = auto()
    billed_until_before_signature = auto()
    restriction_action_unknown = auto()
    new_site_not_of_the_customer = auto()
    notice_channel_refused = auto()
    withdrawal_refused = auto()
    no_recommit_clause = auto()
    change_order_empty = auto()
    change_order_not_requested = auto()
    order_site_not_of_the_customer = auto()
    offer_family_not_in_sheet = auto()
    site_outside_territory = auto()
    option_change_malformed = auto()
    amount_malformed = auto()
    offer_quantity_malformed = auto()


# --------------------------------------------------------------------------- commitment

def commitment_start(facts: Facts, terms: Terms) -> date | None:
    """When the initial period starts, per the sheet's start event.

    Rozoh: activation, or at the latest N months after shipment (``start_at_latest``).
    """
    commitment = terms.commitment
    event = commitment.start_event.value if commitment and commitment.start_event else StartEvent.go_live
    latest_months = (commitment.start_at_latest_months_after_shipment.value
                     if commitment and commitment.start_at_latest_months_after_shipment else None)
    started = facts.commitment_start or facts.go_live_on
    if event == StartEvent.activation and latest_months is not None and facts.shipped_on:
        latest = add_months(facts.shipped_on, latest_months)
        return min(started, latest) if started else latest
    return started


def _next_working_day(day: date) -> date:
    while not FRANCE.is_business_day(day, DayKind.OUVRES):
        day += ONE_DAY
    return day


# --------------------------------------------------------------------------- lifecycle events

# The dated events of a subscription's lifecycle, in the order goods move: shipped by the
# operator, delivered at the customer's (the carrier's proof), received by the customer (their
# acknowledgement); activation (*mise en service*, first connection, a pack's activation) needs
# only the order.
GOODS_EVENTS = ("shipment", "delivery", "receipt")
LIFECYCLE_EVENTS = (*GOODS_EVENTS, "activation")


@dataclass(frozen=True)
class Lifecycle:
    """The lifecycle dates recorded so far (None: not recorded)."""

    signed_on: date
    shipment: date | None = None
    delivery: date | None = None
    receipt: date | None = None
    activation: date | None = None


@dataclass(frozen=True)
class LifecycleRefusal:
    """Why an event cannot be recorded: ``code`` is stable (already_recorded, before_order,
    out_of_order, unknown_event); ``field`` names the input at fault."""

    code: str
    field: str
    reason: str


def lifecycle_refusal(recorded: Lifecycle, event: str, on: date) -> LifecycleRefusal | None:
    """None when ``event`` may be recorded on ``on``: each event once, never before the order's
    signature, goods never received before they were delivered nor delivered before shipped."""
    if event not in LIFECYCLE_EVENTS:
        return LifecycleRefusal("unknown_event", "event",
                                f"{event!r} is not one of {', '.join(LIFECYCLE_EVENTS)}")
    earlier = getattr(recorded, event)
    if earlier is not None:
        return LifecycleRefusal("already_recorded", event, f"already recorded on {earlier.isoformat()}")
    if on < recorded.signed_on:
        return LifecycleRefusal("before_order", "on", f"{event} on {on.isoformat()} is before the order "
                                                      f"signed on {recorded.signed_on.isoformat()}")
    if event in GOODS_EVENTS:
        rank = GOODS_EVENTS.index(event)
        for other in GOODS_EVENTS[:rank]:
            day = getattr(recorded, other)
            if day is not None and on < day:
                return LifecycleRefusal("out_of_order", "on", f"{event} on {on.isoformat()} is before "
                                                              f"the {other} recorded on {day.isoformat()}")
        for other in GOODS_EVENTS[rank + 1:]:
            day = getattr(recorded, other)
            if day is not None and on > day:
                return LifecycleRefusal("out_of_order", "on", f"{event} on {on.isoformat()} is after "
                                                              f"the {other} recorded on {day.isoformat()}")
    return None


def anchor(facts: Facts, terms: Terms) -> tuple[date, int, str] | None:
    """The start and length of the running commitment: the initial one, or the last
    re-commitment (a change restarts the whole service's commitment, CGV art. 7)."""
    start = commitment_start(facts, terms)
    if facts.recommitted_on and facts.recommit_months:
        clause = (terms.commitment.recommit_on_change_months.clause
                  if terms.commitment and terms.commitment.recommit_on_change_months else "")
        return facts.recommitted_on, facts.recommit_months, clause
    if start is None:
        return None
    clause = terms.commitment.initial_months.clause if terms.commitment and terms.commitment.initial_months else ""
    return start, facts.commitment_months, clause


def commitment_end(facts: Facts, terms: Terms) -> date | None:
    running = anchor(facts, terms)
    if running is None:
        return None
    start, months, _ = running
    return add_months(start, months) - ONE_DAY


def period_on(facts: Facts, terms: Terms, day: date) -> Period | None:
    """The commitment period running on ``day`` (None before the start or after a final end)."""
    running = anchor(facts, terms)
    if running is None:
        return None
    start, months, clause = running
    if day < start:
        return None
    end = add_months(start, months) - ONE_DAY
    if day <= end:
        return Period("initial", start, end, 0, clause)
    renewal = terms.renewal
    mode = renewal.mode.value if renewal and renewal.mode else RenewalMode.none
    if mode == RenewalMode.indefinite:
        return Period("indefinite", end + ONE_DAY, None, 1, renewal.mode.clause)
    if mode == RenewalMode.tacit_fixed:
        length = renewal.period_months.value if renewal.period_months else 12
        number = 1
        period_start = end + ONE_DAY
        while True:
            period_end = add_months(period_start, length) - ONE_DAY
            if day <= period_end:
                return Period("renewal", period_start, period_end, number,
                              renewal.period_months.clause if renewal.period_months else renewal.mode.clause)
            period_start = period_end + ONE_DAY
            number += 1
    return None


def notice_deadline(period: Period | None, terms: Terms) -> date | None:
    """Last day for the notice to be received so that the contract ends with ``period``.

    The notice must be received N months before the anniversary date, the first day after the
    period (Technicophone CGV art. 7, L244-250: "au moins trois mois avant la date
    anniversaire"): the last such day is the one whose notice runs out on the anniversary itself,
    so that a letter received on the deadline ends the contract with the period and a letter
    received the day after does not. Month-end clipping can make two days qualify
    (30 and 30 November + 3 months both reach 29 February): the later one is the deadline.
    """
    notice = terms.notice
    if period is None or period.end is None or notice is None or notice.months_before_term is None:
        return None
    months = notice.months_before_term.value
    anniversary = period.end + ONE_DAY
    deadline = add_months(anniversary, -months)
    while add_months(deadline + ONE_DAY, months) <= anniversary:
        deadline += ONE_DAY
    return deadline


def notice_reminder_due(deadline: date | None, day: date, terms: Terms) -> int | None:
    """How many days before the notice deadline ``day`` falls, when the sheet reminds the client
    then (``notice.reminder_days_before_deadline``); None on any other day. No reminder is sent
    when the sheet names no days."""
    notice = terms.notice
    if deadline is None or notice is None or notice.reminder_days_before_deadline is None:
        return None
    days_before = (deadline - day).days
    return days_before if days_before in notice.reminder_days_before_deadline.value else None


def next_notice_deadline(facts: Facts, terms: Terms, on: date) -> date | None:
    """The notice deadline a letter received on ``on`` is measured against: the running period's,
    or, once it has passed, the following period's (the contract renews)."""
    period = period_on(facts, terms, on)
    deadline = notice_deadline(period, terms)
    if deadline is not None and deadline < on and period is not None and period.end is not None:
        deadline = notice_deadline(period_on(facts, terms, period.end + ONE_DAY), terms)
    return deadline


def earliest_effective_date(terms: Terms, received: date) -> tuple[date, str]:
    """The first day without service for a termination received on ``received``."""
    notice = terms.notice
    if notice is None or notice.effect is None:
        raise RuleRefusal(Refused.no_notice_effect, "notice",
                          "the term sheet does not say how a termination takes effect")
    effect = notice.effect.value
    if effect == NoticeEffect.days_after_receipt:
        return received + timedelta(days=notice.days_after_receipt.value), notice.days_after_receipt.clause
    if notice.months_before_term is None:
        raise RuleRefusal(Refused.no_notice_months, "notice",
                          "months_before_term missing in the term sheet")
    months = notice.months_before_term.value
    if effect in (NoticeEffect.end_of_period, NoticeEffect.months_after_receipt):
        return add_months(received, months), notice.months_before_term.clause
    raise RuleRefusal(Refused.notice_effect_unknown, "notice", f"unknown effect {effect}",
                      notice.effect.clause)


# --------------------------------------------------------------------------- fee rules

@dataclass(frozen=True)
class FeeContext:
    """What a fee rule may use: the facts, the dates, and the months already worked out."""

    facts: Facts
    terms: Terms
    received: date
    effective: date
    period: Period | None
    billed_months: int = 0     # months billed as recurring fees until the effective date
    flat_fee_label: str = msg("Termination fee")     # a flat fee without a label of its own


def _months_times(count: int, rest) -> Message:
    """``3 months × rest``."""
    return msg("{n} month × {rest}" if count == 1 else "{n} months × {rest}", n=count, rest=rest)


def _remaining_months(period: Period) -> Message:
    if period.kind == "initial":
        return msg("Remaining months to the end of the initial period ({date})", date=period.end)
    if period.kind == "renewal":
        return msg("Remaining months to the end of the renewal period ({date})", date=period.end)
    return msg("Remaining months to the end of the indefinite period ({date})", date=period.end)


def _period_for(rule: RemainingMonthsFee, ctx: FeeContext) -> Period | None:
    """The period whose remaining months the rule counts: the current one, or only the initial
    period / commitment (the CGV 8.2 floor stops at the end of the initial commitment)."""
    if rule.until == "current_period_end" or ctx.period is None:
        return ctx.period
    if ctx.period.kind == "initial":
        return ctx.period
    return None


def fee_lines(rule: FeeRule, ctx: FeeContext) -> list[Line]:
    """The explained lines one fee rule yields (empty when it does not apply)."""
    facts = ctx.facts
    fees = facts.monthly_fees
    if isinstance(rule, RemainingMonthsFee):
        period = _period_for(rule, ctx)
        if period is None or period.end is None:
            return []
        start = ctx.received if rule.counted_from == "receipt" else ctx.effective
        counter = months_started if rule.started_month_counts_whole else months_whole
        remaining = counter(start, period.end)
        # Counted from receipt, the notice months are inside the remaining months and are
        # already billed as recurring fees: take them out once. From the effective date they
        # are not inside.
        already_billed = ctx.billed_months if rule.counted_from == "receipt" else 0
        extra = max(0, remaining - already_billed)
        if rule.counted_from == "effective_date":
            # Month-end clipping may make the two counts overlap by a month: never count one twice.
            extra = min(extra, max(0, months_started(ctx.received, period.end) - ctx.billed_months))
        if extra == 0:
            return []
        share = rule.percent / 100
        amount = money(fees * extra * share)
        fees_text = (msg("{percent} % × {amount}", percent=fr_number(rule.percent), amount=fees)
                     if rule.percent != 100 else fees)
        return [Line(
            _remaining_months(period),
            amount,
            _months_times(extra, msg(
                "{fees} of monthly fees ({n} months from {date}, of which {count} billed during "
                "notice)", fees=fees_text, n=remaining, date=start, count=already_billed)
                if already_billed else
                msg("{fees} of monthly fees (from {date})", fees=fees_text, date=start)),
            rule.clause)]
    if isinstance(rule, ChatelFee):
        end = commitment_end(facts, ctx.terms)
        if end is None or ctx.effective > end:
            return []
        remaining = months_whole(ctx.effective, end)
        running = anchor(facts, ctx.terms)
        total_months = running[1] if running else facts.commitment_months
        elapsed = total_months - remaining
        within = max(0, min(remaining, rule.full_months - elapsed))
        beyond = remaining - within
        lines = []
        if within:
            lines.append(Line(msg("Remaining fees within the first {n} months",
                                  n=rule.full_months),
                              money(fees * within), _months_times(within, fees), rule.clause))
        if beyond:
            fraction = rule.beyond_fraction
            lines.append(Line(msg("Share of the fees remaining beyond month {n}",
                                  n=rule.full_months),
                              money(fees * beyond * fraction),
                              msg("{factor} × {rest}", factor=fr_number(fraction),
                                  rest=_months_times(beyond, fees)),
                              rule.clause))
        return lines
    if isinstance(rule, FlatPerUnitFee):
        if rule.only_during_initial_period and (ctx.period is None or ctx.period.kind != "initial"):
            return []
        # Options priced per line (Télétaxe…) are not lines themselves.
        units = sum(item.quantity for item in facts.items if item.unit == rule.unit and not item.is_option)
        if not units:
            return []
        return [Line(msg("Flat fee per {unit}", unit=rule.unit.replace('_', ' ')),
                     money(rule.amount * units),
                     msg("{units} × {amount} {basis}", units=units, amount=rule.amount,
                         basis=rule.basis), rule.clause)]
    if isinstance(rule, FlatFee):
        if rule.amount == 0:
            return []
        return [Line(rule.label or ctx.flat_fee_label, money(rule.amount),
                     msg("{amount} {basis}", amount=rule.amount, basis=rule.basis), rule.clause)]
    if isinstance(rule, MultipleOfAccessFees):
        base = sum(((item.access_fee_undiscounted if rule.undiscounted else item.access_fee)
                    * item.quantity for item in facts.items), ZERO)
        multiple = fr_number(rule.multiple)
        return [Line(msg("{multiple} × the undiscounted access fees" if rule.undiscounted
                         else "{multiple} × the access fees", multiple=multiple),
                     money(base * rule.multiple),
                     msg("{factor} × {rest}", factor=multiple, rest=money(base)), rule.clause)]
    if isinstance(rule, MinimumBillingRemaining):
        if ctx.period is None or ctx.period.end is None:
            return []
        minimum = sum(((item.minimum_billing or ZERO) for item in facts.items), ZERO)
        shortfall = max(ZERO, minimum - fees)
        months = max(0, months_started(ctx.received, ctx.period.end) - ctx.billed_months)
        if shortfall == 0 or months == 0:
            return []
        return [Line(msg("Minimum billing of the remaining period"), money(shortfall * months),
                     _months_times(months, msg("{rest} below the minimum", rest=shortfall)),
                     rule.clause)]
    raise RuleRefusal(Refused.fee_rule_unknown, "fee_rule", f"unknown fee rule {rule!r}")


def _exemption(terms: Terms, reason: str | None):
    if reason is None or terms.termination is None:
        return None
    for exemption in terms.termination.exemptions:
        if exemption.reason == reason:
            return exemption
    return None


# --------------------------------------------------------------------------- exit quotes

@dataclass(frozen=True)
class FeeWaiver:
    """A recorded right to leave without termination fees (a price-change notice): why, the
    words of the grant and its clause."""

    reason: str
    note: str
    clause: str


@dataclass(frozen=True)
class TerminationQuote:
    received: date
    effective_date: date
    period: Period | None
    explained: Explained          # everything leaving costs, lines with their clauses
    one_off: Explained            # the part billed as one-off charges when recorded
    exempted_by: str | None = None
    notice_deadline: date | None = None   # the deadline the letter was measured against


    def as_dict(self) -> dict:
        return {"effective_date": self.effective_date.isoformat(), **self.explained.as_dict(),
                "one_off_total": str(self.one_off.total),
                "notice_deadline": self.notice_deadline.isoformat() if self.notice_deadline else None,
                "period": None if self.period is None else {
                    "kind": self.period.kind, "start": self.period.start.isoformat(),
                    "end": self.period.end.isoformat() if self.period.end else None}}


def quote_termination(facts: Facts, terms: Terms, received: date, *,
                      wanted_effective: date | None = None,
                      reason: ExemptionReason | str | None = None,
                      waiver: FeeWaiver | None = None) -> TerminationQuote:
    """What terminating costs when the registered letter is received on ``received``.

    A ``waiver`` (the right to leave a price change opened, letter within its window) replaces
    the termination fees by a zero line with its clause, as a sheet's exemption does.

    Before go-live it is a cancellation (:func:`quote_cancellation`). The notice months are
    billed as recurring fees until the effective date and are part of the remaining months
    of the period, never counted twice.
    """
    if facts.status in (SubscriptionStatus.TERMINATED, SubscriptionStatus.CANCELLED):
        raise RuleRefusal(Refused.subscription_already_ended, "status",
                          f"the subscription is already {facts.status}")
    if commitment_start(facts, terms) is None:
        return quote_cancellation(facts, terms, received)
    _check_termination_allowed(facts, terms, received, terms.commitment.termination_allowed_from_month
                               if terms.commitment else None)
    earliest, notice_clause = earliest_effective_date(terms, received)
    effective = max(earliest, wanted_effective) if wanted_effective else earliest
    period = period_on(facts, terms, effective - ONE_DAY)
    if period is None:
        raise RuleRefusal(Refused.no_running_period, "dates",
                          "the contract has no running period on that date")
    lines: list[Line] = []
    billed_months = 0
    if terms.notice and terms.notice.effect and terms.notice.effect.value != NoticeEffect.days_after_receipt:
        billed_months = months_started(received, effective - ONE_DAY)
        if billed_months and facts.monthly_fees:
            lines.append(Line(
                msg("Monthly fees during the notice, billed on the regular invoices"),
                money(facts.monthly_fees * billed_months),
                _months_times(billed_months, msg("{rest} (until {date})", rest=facts.monthly_fees,
                                                 date=effective - ONE_DAY)),
                notice_clause))
    exemption = _exemption(terms, str(reason) if reason else None)
    ctx = FeeContext(facts, terms, received, effective, period, billed_months)
    one_off: list[Line] = []
    if exemption is not None:
        one_off.append(Line(msg("No termination fee: {reason}",
                                reason=exemption.reason.value.replace('_', ' ')),
                            ZERO, exemption.note, exemption.clause))
    elif waiver is not None:
        one_off.append(Line(msg("No termination fee: {reason}", reason=waiver.reason), ZERO,
                            waiver.note, waiver.clause))
    else:
        for rule in (terms.termination.fees if terms.termination else []):
            one_off.extend(fee_lines(rule, ctx))
    return TerminationQuote(received, effective, period, Explained(tuple(lines + one_off)),
                            Explained(tuple(one_off)),
                            exemption.reason.value if exemption else
                            "price_change" if waiver is not None else None,
                            next_notice_deadline(facts, terms, received))


def _check_termination_allowed(facts: Facts, terms: Terms, received: date,
                               allowed: Sourced[int] | None) -> None:
    """A sheet may open early termination only from a month of the commitment (Ozone CGV art.
    4.2 says "à compter de la fin du douzième mois"; reading OZ-EARLY-TERMINATION opens it from
    month 0, the indemnity of art. 11.1 pricing any earlier exit)."""
    start = commitment_start(facts, terms)
    end = commitment_end(facts, terms)
    if allowed is None or start is None or end is None or received > end:
        return
    opens_on = add_months(start, allowed.value)
    if received < opens_on:
        raise RuleRefusal(Refused.termination_not_open_yet, "received",
                          f"a termination during the commitment may be received from "
                          f"{opens_on.isoformat()} (end of month {allowed.value} of the commitment, "
                          f"{allowed.clause}), not on {received.isoformat()}", allowed.clause)


def notice_channel_refusal(terms: Terms, channel: str, reason: str | None = None) -> str | None:
    """Why a termination notice given by ``channel`` is not valid, or None when it is. The
    sheet's channel is required (Technicophone CGV art. 4.2: a registered letter); the exit a
    clause grants on a refused usage-fee increase may be given by any notification of CGV art.
    4.1, e-mail with acknowledgement included (reading T-NOTICE-CHANNEL)."""
    notice = terms.notice
    if notice is None or notice.channel is None or notice.channel.value == "any_notification":
        return None
    required = notice.channel.value
    exemption = _exemption(terms, reason)
    if reason == ExemptionReason.usage_price_increase_refused and exemption is not None:
        if channel in ("registered_letter", "email", "any_notification"):
            return None
        return (f"channel: the exit on a refused usage-fee increase is given by a notification "
                f"(registered letter or e-mail with acknowledgement; {exemption.clause}; "
                f"{notice.channel.clause}), not by {channel}")
    if channel != required:
        return (f"channel: a termination notice must be given by {required.replace('_', ' ')} "
                f"({notice.channel.clause}), not by {channel.replace('_', ' ')}")
    return None


def preselection_elsewhere(facts: Facts, terms: Terms, preselected_on: date) -> tuple[date, TerminationQuote]:
    """Another operator preselects the line (Technicophone CP II §2.3): that counts as a
    termination notice received that day, priced by the schedule's notice (§4.2), and routing
    may stop at the end of the 90 calendar days the schedule states (reading T-PRESEL-90-DAYS).
    Returns the last day the operator routes the calls, and the exit quote."""
    days = terms.usage.figures.routing_stops_days_after_preselection_elsewhere if terms.usage else None
    if days is None:
        raise RuleRefusal(Refused.no_preselection_clause, "family",
                          f"the {facts.family} schedule says nothing of a preselection by "
                          f"another operator")
    last_routed = Delay(int(days.value), DayKind.CALENDAR, (days.clause,)).after(preselected_on)
    return last_routed, quote_termination(facts, terms, preselected_on)


def territory_refusal(terms: Terms, country: str, postcode: str) -> str | None:
    """Why premises are outside the territory where a service is available, or None (Ozone
    CPV VIGILIANS art. 9 and Annexe 3: metropolitan France, Andorra and Monaco, without the
    overseas departments and Corsica; reading OZ-AXA-TERRITORY)."""
    lists = terms.usage.lists if terms.usage else UsageLists()
    territory, excluded = lists.territory, lists.territory_excluded
    if territory is None:
        return None
    place = _territory_of(country, postcode)
    if excluded is not None and place in excluded.value:
        return (f"site: the service is not available in {place} ({excluded.clause})")
    if place not in territory.value and country.upper() not in territory.value:
        return (f"site: the service is available only in {', '.join(territory.value)} "
                f"({territory.clause}), not in {country.upper()} {postcode}".rstrip())
    return None


def _territory_of(country: str, postcode: str) -> str:
    """The territory words of the sheets for premises: Corsica's postcodes start with 20, the
    overseas departments' with 97 or 98 (Monaco, also 98, has its own country code)."""
    country = country.upper()
    if country != "FR":
        return country
    if postcode.startswith("20"):
        return "Corse"
    if postcode.startswith(("97", "98")):
        return "DOM"
    return "France métropolitaine"


def identifier_refusal(terms: Terms, identifier: str) -> str | None:
    """Why a line cannot go live under ``identifier``, or None. The mobile data service is not
    compatible with M2M uses, which need the specific numbers of the ARCEP plan (07 00 followed
    by ten digits); the sentence stops there, so it adds no duty nor sanction (Technicophone
    CP IX §22, reading T-MOB-M2M-TRUNCATED)."""
    unsupported = terms.usage.flags.m2m_data_use_unsupported if terms.usage else None
    if unsupported is None or not unsupported.value:
        return None
    digits = "".join(ch for ch in identifier if ch.isdigit())
    national = "0" + digits[2:] if identifier.strip().startswith("+33") else digits
    if len(national) == 14 and national.startswith("0700"):
        return (f"identifier: {identifier} is an M2M number; the service does not support M2M "
                f"uses ({unsupported.clause})")
    return None


def management_mode(terms: Terms, ordered: str | None) -> tuple[str, str] | None:
    """Who manages a hosting service's virtual machines, and the clause: the variant the order
    states, else the schedule's default (Technicophone CP XI §2.2: OPTION 1, the operator manages
    and supervises them and the client has no access to the Interface; reading T-HOST-VARIANTS).
    None for a service without variants."""
    modes = terms.usage.lists.management_modes if terms.usage else None
    if modes is None:
        return None
    if ordered is None:
        default = terms.usage.flags.provider_managed_by_default
        if default is None or not default.value:
            raise RuleRefusal(Refused.management_mode_missing, "management",
                              f"the order must say who manages the machines, one of "
                              f"{', '.join(modes.value)} ({modes.clause})", modes.clause)
        return "provider_managed", default.clause
    if ordered not in modes.value:
        raise RuleRefusal(Refused.management_mode_unknown, "management",
                          f"{ordered!r} is not one of {', '.join(modes.value)} ({modes.clause})",
                          modes.clause)
    return ordered, modes.clause


def quote_cancellation(facts: Facts, terms: Terms, received: date) -> TerminationQuote:
    """Cancelling before go-live (*annulation*): the sheet's cancellation fees."""
    rules = terms.termination.cancellation_fees if terms.termination else []
    ctx = FeeContext(facts, terms, received, received, None)
    one_off = Explained(tuple(line for rule in rules for line in fee_lines(rule, ctx)))
    return TerminationQuote(received, received, None, one_off, one_off)


# --------------------------------------------------------------------------- withdrawal

@dataclass(frozen=True)
class WithdrawalDecision:
    allowed: bool
    deadline: date | None
    reasons: tuple[str, ...]
    clause: str

    def as_dict(self) -> dict:
        return {"allowed": self.allowed, "deadline": self.deadline.isoformat() if self.deadline else None,
                "reasons": list(self.reasons), "clause": self.clause}


def withdrawal(facts: Facts, terms: Terms, requested_on: date) -> WithdrawalDecision:
    """*Droit de rétractation*: who may withdraw, until when, and why not."""
    block = terms.withdrawal
    if block is None or block.days is None or block.who is None or block.who.value == "nobody":
        return WithdrawalDecision(False, None, ("the terms grant no withdrawal right",), "")
    window = delay(terms, block.days, block.days_counted_in)
    clause = window.clause
    days = window.text
    reasons: list[str] = []
    if block.who.value == "small_business_off_premises":
        if block.requires_off_premises and block.requires_off_premises.value and facts.channel != "off_premises":
            reasons.append(f"the contract was signed {facts.channel.replace('_', ' ')}, not off premises")
        if (block.requires_outside_main_activity and block.requires_outside_main_activity.value
                and not facts.outside_main_activity):
            reasons.append("the services fall within the customer's main activity")
        if block.max_employees is not None:
            limit = block.max_employees.value
            if facts.employees is None:
                reasons.append("the number of employees at signature is unknown")
            elif facts.employees > limit:
                reasons.append(f"the customer had {facts.employees} employees at signature (at most {limit})")
        start = facts.signed_on
    else:
        if facts.customer_kind != "household":
            reasons.append("the withdrawal right is for consumers")
        start, clause = _withdrawal_start(facts, block.start_service, clause)
        if block.start_goods and block.start_goods.value == "delivery" and facts.delivered_on:
            start = max(start, facts.delivered_on)
            clause = "; ".join(dict.fromkeys(c for c in (clause, block.start_goods.clause) if c))
    deadline = window.after(start)
    if block.who.value != "small_business_off_premises":
        # A consumer's period ending on a Saturday, Sunday or public holiday runs to the next
        # working day (C. consom. art. L221-19 3°).
        extended = _next_working_day(deadline)
        if extended != deadline:
            deadline, clause = extended, f"{clause}; C. consom. art. L221-19 3°"
    if requested_on > deadline:
        reasons.append(f"the period of {days} ended on {deadline.isoformat()}")
    return WithdrawalDecision(not reasons, deadline, tuple(reasons), clause)


def _withdrawal_start(facts: Facts, start: Sourced[str] | None, clause: str) -> tuple[date, str]:
    """The day a consumer's withdrawal period runs from for the service: the sheet says
    signature or order (Ozone CGV art. 5 says both; reading OZ-WITHDRAWAL-START takes the
    signature, the later of the two)."""
    if start is None:
        return facts.signed_on, clause
    # An order is never after its signature: without a recorded order day, the signature's.
    ordered = facts.ordered_on or facts.signed_on
    day = {"signature": facts.signed_on, "order": ordered,
           "day_after_order": ordered + ONE_DAY}[start.value]
    return day, "; ".join(dict.fromkeys(c for c in (clause, start.clause) if c))


# --------------------------------------------------------------------------- plan change and move

@dataclass(frozen=True)
class ChangeQuote:
    effective_date: date
    explained: Explained
    recommit_months: int | None
    numbers_kept: bool | None = None

    def as_dict(self) -> dict:
        return {"effective_date": self.effective_date.isoformat(), **self.explained.as_dict(),
                "recommit_months": self.recommit_months, "numbers_kept": self.numbers_kept}


def quote_plan_change(facts: Facts, terms: Terms, change: str, on: date, *,
                      equipment_change: bool = False, recommit_months: int | None = None,
                      confirmation_amounts: dict[str, Decimal] | None = None) -> ChangeQuote:
    """Change of offer (*avenant*): the fee of the sheet's grid, the items the grid bills at the
    amount of the change confirmation (``confirmation_amounts``: new access fees, connection kit…),
    shipping, effective date and the new commitment. The row must be about the service's family
    (the grid's headings); the effective date is the telephony one for a telephony contract
    (Ozone CGV art. 3.3 L149-151)."""
    block = terms.plan_change
    if block is None or not block.fees:
        raise RuleRefusal(Refused.no_plan_change_grid, "plan_change",
                          "the term sheet has no plan-change grid")
    entry = next((fee for fee in block.fees if fee.change == change), None)
    if entry is None:
        known = ", ".join(fee.change for fee in block.fees)
        raise RuleRefusal(Refused.change_not_in_grid, "change",
                          f"{change!r} is not in the grid ({known})")
    if entry.families and facts.family not in entry.families:
        fitting = ", ".join(fee.change for fee in block.fees
                            if not fee.families or facts.family in fee.families)
        raise RuleRefusal(Refused.change_of_another_family, "change",
                          f"{change!r} is a change of {' or '.join(entry.families)} services "
                          f"({entry.src}), not of a {facts.family} subscription; its rows: {fitting}",
                          entry.src)
    end = commitment_end(facts, terms)
    committed = end is not None and on <= end
    rule = entry.in_commitment if committed else entry.out_of_commitment
    effective = on
    telephony = block.telephony_families is not None and facts.family in block.telephony_families.value
    timing = block.telephony_effective if telephony else block.effective
    if timing is not None and timing.value == "first_day_next_month":
        effective = (on.replace(day=1) + relativedelta(months=1))
    lines: list[Line] = []
    if rule is not None:
        ctx = FeeContext(facts, terms, on, effective, period_on(facts, terms, on),
                         flat_fee_label=msg("Change fee ({change})", change=change.replace('_', ' ')))
        lines += fee_lines(rule, ctx)
        if not lines:
            lines.append(Line(msg("Change fee ({change})", change=change.replace('_', ' ')), ZERO,
                              "0,00 €", str(entry.src)))
    notes: list[str] = []
    for item in entry.bills:
        label = item.replace("_", " ").capitalize()
        amount = (confirmation_amounts or {}).get(item)
        if amount is None:
            notes.append(msg("{label}: billed at the amount on the change confirmation ({clause})",
                             label=label, clause=str(entry.src)))
        else:
            lines.append(Line(label, money(amount), msg("amount on the change confirmation"),
                              str(entry.src)))
    if equipment_change and block.shipping_fee_on_equipment_change is not None:
        fee = block.shipping_fee_on_equipment_change
        lines.append(Line(msg("Shipping of the new equipment"), money(fee.value), fr_format(fee.value),
                          fee.clause))
    choices = (terms.commitment.recommit_on_change_choices_months.value
               if terms.commitment and terms.commitment.recommit_on_change_choices_months else None)
    months = recommit_months
    if choices:
        months = months or choices[0]
        if months not in choices:
            raise RuleRefusal(Refused.recommit_months_not_offered, "recommit_months",
                              f"must be one of {choices}",
                              terms.commitment.recommit_on_change_choices_months.clause)
    elif terms.commitment and terms.commitment.recommit_on_change_months:
        months = terms.commitment.recommit_on_change_months.value
    return ChangeQuote(effective, Explained(tuple(lines), notes=tuple(notes)), months)


def quote_move(facts: Facts, terms: Terms, on: date, *, same_numbering_zone: bool,
               extra_fees: tuple[tuple[str, Decimal], ...] = ()) -> ChangeQuote:
    """Site move (*déménagement*): remaining fees of the period, the fees of the move, numbers
    kept only within the same numbering zone, and a new initial period."""
    move = terms.move
    if move is None:
        raise RuleRefusal(Refused.no_move_clause, "move", "the term sheet has no site-move rules")
    lines: list[Line] = []
    period = period_on(facts, terms, on)
    if move.remaining_fees_percent is not None and period is not None and period.end is not None:
        remaining = months_started(on, period.end)
        share = move.remaining_fees_percent.value / 100
        if remaining:
            lines.append(Line(msg("Monthly fees remaining to the end of the period"),
                              money(facts.monthly_fees * remaining * share),
                              _months_times(remaining, msg(
                                  "{percent} % × {amount}",
                                  percent=fr_number(move.remaining_fees_percent.value),
                                  amount=facts.monthly_fees)), move.remaining_fees_percent.clause))
    for label, amount in extra_fees:
        lines.append(Line(label, money(amount), fr_format(amount), "order / quote"))
    kept: bool | None = None
    if move.numbers_kept_same_zone_only is not None:
        kept = same_numbering_zone
    months = move.recommit_months.value if move.recommit_months else None
    notes: tuple[str, ...] = ()
    if kept is not None:
        clause = move.numbers_kept_same_zone_only.clause
        notes = ((msg("Numbers kept: the new site is in the same numbering zone ({clause})",
                      clause=clause),) if kept else
                 (msg("Numbers lost: the new site is in another numbering zone ({clause})",
                      clause=clause),))
    return ChangeQuote(on, Explained(tuple(lines), notes=notes), months, kept)


# --------------------------------------------------------------------------- summary

@dataclass(frozen=True)
class Timeline:
    """Where a subscription stands on a date: its period, commitment end and notice deadline."""

    on: date
    commitment_start: date | None
    commitment_end: date | None
    period: Period | None
    notice_deadline: date | None
    termination_if_received_today: date | None
    renewals: tuple[Period, ...] = field(default=())

    def as_dict(self) -> dict:
        def iso(value: date | None) -> str | None:
            return value.isoformat() if value else None
        return {
            "on": iso(self.on), "commitment_start": iso(self.commitment_start),
            "commitment_end": iso(self.commitment_end),
            "current_period": None if self.period is None else {
                "kind": self.period.kind, "number": self.period.number,
                "start": iso(self.period.start), "end": iso(self.period.end)},
            "notice_deadline": iso(self.notice_deadline),
            "termination_if_received_today": iso(self.termination_if_received_today),
        }


def timeline(facts: Facts, terms: Terms, on: date) -> Timeline:
    period = period_on(facts, terms, on)
    start = commitment_start(facts, terms)
    effective: date | None = None
    if start is not None and terms.notice is not None and terms.notice.effect is not None:
        effective = earliest_effective_date(terms, on)[0]
    return Timeline(on, start, commitment_end(facts, terms), period,
                    next_notice_deadline(facts, terms, on), effective)
