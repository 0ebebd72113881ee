"""Billing rules: what one customer owes for a period, line by line, each line explained.

Pure: facts of the subscriptions, usage summaries and pending charges come in with the blocks of
their term sheets (``Terms``); explained invoice lines, VAT breakdown and totals come out.

Conventions (named once here):

* a bill run of period ``P`` (a calendar month) bills recurring fees *in advance* up to the end
  of the periodicity block that contains ``P`` (in arrears: up to the end of the month before
  ``P``), every month not billed yet since the billing start (so a go-live recorded after a run
  is caught up), and usage of the months before ``P`` (late usage keeps its own month);
* a subscription's ``end_on`` is the first day without service (as in ``contracts.rules``);
* first and last months follow the sheet's ``billing.first_period`` / ``last_period``:
  ``prorata`` by calendar days, ``whole_month`` (*tout mois entamé est dû*), ``none``;
* a price revision applies to the months whose first day of service falls on or after its date;
* the minimum billing amount (*montant minimal de facturation*) tops up the month's recurring fees
  of the service, as in the contracts room's exit quotes (``MinimumBillingRemaining``);
* amounts are in the basis of the price list (HT or TTC) and rounded to the cent per line; VAT
  is computed per rate on the sum of the lines (HT lists) or taken out of the TTC sum (TTC lists).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache

from clausier.core.errors import RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.money import (
    ZERO,
    UnknownVatRate,
    VatRate,
    fr_format,
    fr_number,
    money,
    vat_rate_on,
)
from clausier.terms.delays import delay
from clausier.terms.schema import Proration, Terms, Timing

ONE_DAY = timedelta(days=1)
# Formulas repeat the same few prices thousands of times in a bill run.
_fr = lru_cache(maxsize=8192)(fr_format)
# Code de commerce art. L441-10 and D441-5: the legal defaults when a business sheet is silent.
LEGAL_RECOVERY_INDEMNITY = Decimal("40")
LEGAL_RECOVERY_CLAUSE = "C. com. art. L441-10, D441-5"
NO_DISCOUNT_CLAUSE = "C. com. art. L441-9"


class BillingError(RuleRefusal):
    """The facts or the sheet do not allow billing (the message names the field or the clause)."""


# --------------------------------------------------------------------------- months


# A bill run shows a sign of life after each batch (seconds); one silent for this long has died.
BILL_RUN_LEASE = timedelta(minutes=5)


def bill_run_has_died(heartbeat_at: datetime | None, now: datetime) -> bool:
    """Whether a run still marked running stopped showing signs of life (a run from before
    heartbeats has none: it cannot be going on after the upgrade that added them)."""
    return heartbeat_at is None or now - heartbeat_at > BILL_RUN_LEASE


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return _month_end(day.year, day.month)


@lru_cache(maxsize=4096)
def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def next_month(month: date) -> date:
    return (month_end(month) + ONE_DAY)


def add_months(month: date, count: int) -> date:
    """First day of the month ``count`` months after ``month`` (negative goes back)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months(first: date, last: date) -> Iterator[date]:
    """First days of the months from ``first`` to ``last`` inclusive."""
    current = month_start(first)
    while current <= last:
        yield current
        current = next_month(current)


def parse_period(text: str) -> date:
    """``YYYY-MM`` → the first day of that month (clear error otherwise)."""
    try:
        year, month = str(text).strip().split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise BillingError(f"period: {text!r} is not a month written YYYY-MM") from None


def period_label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _plural(count: int | Decimal, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class PriceStep:
    """A monthly fee in force from ``effective_on`` (indexation or price change)."""

    effective_on: date
    old_fee: Decimal
    new_fee: Decimal
    note: str = ""          # the revision's explanation, shown on the next invoice


@dataclass(frozen=True)
class ItemFacts:
    """One offer of a subscription, at the order's prices (per unit)."""

    label: str
    quantity: int
    monthly_fee: Decimal
    price_basis: str = "HT"
    vat_rate: str = "normal"
    access_fee: Decimal = ZERO
    one_off_price: Decimal = ZERO
    minimum_billing: Decimal | None = None
    active_from: date | None = None
    active_until: date | None = None          # first day without the item
    common: bool = False                      # a fee common to several sites
    revisions: tuple[PriceStep, ...] = ()

    def fee_on(self, day: date) -> tuple[Decimal, PriceStep | None]:
        """The monthly fee in force on ``day`` and the revision that set it (if any)."""
        fee, step = self.monthly_fee, None
        for revision in sorted(self.revisions, key=lambda r: r.effective_on):
            if revision.effective_on <= day:
                fee, step = revision.new_fee, revision
        return fee, step


@dataclass(frozen=True)
class BilledMonthFacts:
    """A month already billed: ``days`` of ``month_days`` for ``amount``."""

    month: date
    days: int
    month_days: int
    amount: Decimal


@dataclass(frozen=True)
class SubscriptionFacts:
    id: int
    ref: str
    family: str
    site_id: int | None
    site_name: str
    signed_on: date
    items: tuple[ItemFacts, ...]
    status: str = "active"
    go_live_on: date | None = None
    equipment_received_on: date | None = None
    end_on: date | None = None                 # first day without service
    periodicity_months: int = 1
    billed_through: date | None = None         # last month already billed (first day)
    billed_until: date | None = None           # imported: last day billed by the old system
    billed_after_end: tuple[BilledMonthFacts, ...] = ()   # billed months from the last one of service


@dataclass(frozen=True)
class UsageFacts:
    id: int
    subscription_id: int
    month: date
    amount: Decimal
    basis: str
    vat_rate: str = "normal"
    label: str = ""
    records: int = 0
    annex: dict = field(default_factory=dict)    # the rating's month per destination class


@dataclass(frozen=True)
class ChargeFacts:
    id: int
    subscription_id: int | None
    label: str
    amount: Decimal
    basis: str
    incurred_on: date
    vat_rate: str = "normal"
    explanation: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Site:
    id: int
    name: str


# --------------------------------------------------------------------------- draft lines


@dataclass(frozen=True)
class DraftLine:
    """A line before it is stored: ``amount`` is in ``basis``; ``explained.total == amount``."""

    kind: str                     # recurring | one_off | usage | charge | adjustment | minimum
    label: str
    explained: Explained
    basis: str
    vat_rate: str = "normal"
    quantity: Decimal = Decimal(1)
    subscription_id: int | None = None
    site: Site | None = None
    period_start: date | None = None
    period_end: date | None = None
    source_id: int | None = None   # the usage summary or charge it bills
    # A usage line's detail per destination class (the invoice's usage annex), in ``basis``.
    annex: dict = field(default_factory=dict, compare=False)

    @cached_property
    def amount(self) -> Decimal:
        return self.explained.total

    @property
    def clause(self) -> str:
        return next((line.clause for line in self.explained.lines if line.clause), "")

    @property
    def unit_price(self) -> Decimal:
        return money(self.amount / self.quantity) if self.quantity else self.amount


@dataclass(frozen=True)
class MonthBilled:
    """What a draft bills of a subscription's month (to be stored as a ``BilledMonth``)."""

    subscription_id: int
    month: date
    days: int
    month_days: int
    amount: Decimal


@dataclass(frozen=True)
class MonthRevised:
    """A billed month whose due share fell after the service ended (credited on this invoice)."""

    subscription_id: int
    month: date
    days: int
    amount: Decimal


# --------------------------------------------------------------------------- billing start


def _billing(terms: Terms):
    return terms.billing


def billing_start(sub: SubscriptionFacts, terms: Terms) -> tuple[date | None, str]:
    """When recurring fees start, and the clause: go-live (Technicophone), first connection or
    at the latest N days after the equipment is received (Ozone), or the sale."""
    billing = _billing(terms)
    starts = billing.starts_at if billing and billing.starts_at else None
    kind = starts.value if starts else "go_live"
    clause = starts.clause if starts else ""
    if kind == "sale":
        return sub.signed_on, clause
    start = sub.go_live_on
    latest = billing.start_at_latest_days_after_receipt if billing else None
    if kind == "first_connection" and latest is not None and sub.equipment_received_on:
        deadline = sub.equipment_received_on + timedelta(days=latest.value)
        if start is None or deadline < start:
            return deadline, latest.clause
    return start, clause


def _proration(terms: Terms, which: str) -> tuple[Proration, str]:
    billing = _billing(terms)
    value = getattr(billing, which) if billing else None
    if value is None:
        # Silent sheet: the reading most favourable to the client (Code civil art. 1190).
        return Proration.prorata, "Code civil art. 1190 (sheet silent)"
    return value.value, value.clause


def month_share(month: date, start: date, last_day: date | None, terms: Terms
                ) -> tuple[int, int, str]:
    """Days of ``month`` due for a service from ``start`` to ``last_day`` (inclusive), out of the
    month's days, and the clause of the proration applied (empty for a whole month of service)."""
    first_day, final_day = month, month_end(month)
    month_days = final_day.day
    begin, end, clauses = first_day, final_day, []
    if start > first_day:
        rule, clause = _proration(terms, "first_period")
        clauses.append(clause)
        if rule == Proration.none:
            return 0, month_days, clause
        if rule == Proration.prorata:
            begin = start
    if last_day is not None and last_day < final_day:
        rule, clause = _proration(terms, "last_period")
        clauses.append(clause)
        if rule == Proration.none:
            return 0, month_days, clause
        if rule == Proration.prorata:
            end = last_day
    return max(0, (end - begin).days + 1), month_days, "; ".join(c for c in clauses if c)


# --------------------------------------------------------------------------- recurring fees


def target_month(sub: SubscriptionFacts, terms: Terms, period: date, start: date) -> date:
    """The last month a run of ``period`` bills: the end of the periodicity block containing the
    period (in advance) or the month before it (in arrears)."""
    billing = _billing(terms)
    timing = billing.recurring_timing.value if billing and billing.recurring_timing else Timing.in_advance
    if timing == Timing.in_arrears:
        return add_months(period, -1)
    every = _periodicity(sub, terms)
    first = month_start(start)
    elapsed = (period.year - first.year) * 12 + period.month - first.month
    block_end = elapsed - elapsed % every + every - 1 if elapsed >= 0 else 0
    return add_months(first, block_end)


def _item_window(item: ItemFacts, start: date, last_day: date | None) -> tuple[date, date | None]:
    begin = max(start, item.active_from) if item.active_from else start
    end = last_day
    if item.active_until is not None:
        until = item.active_until - ONE_DAY
        end = until if end is None else min(end, until)
    return begin, end


def _recurring_clause(terms: Terms) -> str:
    billing = _billing(terms)
    return billing.recurring_timing.clause if billing and billing.recurring_timing else ""


def recurring_lines(sub: SubscriptionFacts, terms: Terms, period: date, central: Site | None
                    ) -> tuple[list[DraftLine], list[MonthBilled]]:
    """Recurring fees of the months due and not billed yet (consecutive whole months at one fee
    make one line), access fees with the first of them, and the minimum billing top-up."""
    start, start_clause = billing_start(sub, terms)
    if start is None or start > month_end(period):
        return [], []
    last_day = sub.end_on - ONE_DAY if sub.end_on else None
    if last_day is not None and last_day < start:
        return [], []
    through = billed_through(sub, start)
    first = next_month(through) if through else month_start(start)
    target = target_month(sub, terms, period, start)
    last = target if last_day is None else min(target, month_start(last_day))
    if first > last:
        return [], []
    due_months = list(months(first, last))
    # The months this run bills in its own right: the block of the period (in advance), the month
    # before it (in arrears); earlier ones are arrears, one line per month.
    own_from = add_months(target, 1 - _periodicity(sub, terms))
    billing = _billing(terms)
    own_site = Site(sub.site_id, sub.site_name) if sub.site_id else None
    to_central = bool(central and billing and billing.common_fees_to_central_site
                      and billing.common_fees_to_central_site.value)
    month_totals = {month: ZERO for month in due_months}
    lines: list[DraftLine] = []
    for item in sub.items:
        site = central if item.common and to_central else own_site
        for line, month_amounts in _item_lines(sub, item, due_months, start, last_day, terms, site,
                                               own_from):
            lines.append(line)
            for month, amount in month_amounts.items():
                month_totals[month] += amount
    billed = []
    for month in due_months:
        days, month_days, _ = month_share(month, start, last_day, terms)
        minimum = _minimum_line(sub, terms, month, days, month_days, start, own_site)
        if minimum is not None:
            lines.append(minimum)
            month_totals[month] += minimum.amount
        billed.append(MonthBilled(sub.id, month, days, month_days, money(month_totals[month])))
    if through is None:
        lines = _one_off_lines(sub, terms, start, start_clause, own_site,
                               central if to_central else own_site) + lines
    return lines, billed


def billed_through(sub: SubscriptionFacts, start: date) -> date | None:
    """The last month already billed (its first day): by Clausier's runs, or, for a subscription
    taken over from an old system, up to the day that system billed. A ``billed_until`` before
    the billing start means the old system billed none of this service: it is ignored."""
    imported = (month_start(sub.billed_until)
                if sub.billed_until is not None and sub.billed_until >= start else None)
    known = [month for month in (sub.billed_through, imported) if month is not None]
    return max(known) if known else None


def _periodicity(sub: SubscriptionFacts, terms: Terms) -> int:
    """Months billed together in advance (1 in arrears: each run bills the month before)."""
    billing = _billing(terms)
    if billing and billing.recurring_timing and billing.recurring_timing.value == Timing.in_arrears:
        return 1
    return max(1, sub.periodicity_months or (billing.periodicity_months.value
                                             if billing and billing.periodicity_months else 1))


def _item_lines(sub: SubscriptionFacts, item: ItemFacts, due_months: list[date], start: date,
                last_day: date | None, terms: Terms, site: Site | None, own_from: date
                ) -> Iterator[tuple[DraftLine, dict[date, Decimal]]]:
    """One item's lines over the due months: a prorated month alone, whole months at the same
    fee of the run's own block together, each month of arrears (before ``own_from``: a go-live
    recorded late, a first run long after the start) alone, with its period; with what each month
    costs (for the months billed)."""
    begin, end = _item_window(item, start, last_day)
    timing_clause = _recurring_clause(terms)
    run: list[date] = []
    run_fee: tuple[Decimal, PriceStep | None] | None = None

    def flush():
        if run:
            yield _recurring_line(sub, item, run[0], month_end(run[-1]), len(run), None,
                                  run_fee[0], run_fee[1], timing_clause, site,
                                  arrears=run[-1] < own_from), \
                {m: money(run_fee[0] * item.quantity) for m in run}

    for month in due_months:
        if begin > month_end(month) or (end is not None and end < month):
            continue
        days, month_days, clause = _item_share(month, begin, end, start, last_day, terms)
        fee = item.fee_on(max(month, begin))
        if days == 0 or fee[0] == ZERO:
            continue
        if days == month_days and not clause:
            if run and (fee != run_fee or next_month(run[-1]) != month or run[-1] < own_from):
                yield from flush()
                run = []
            run_fee = fee
            run.append(month)
            continue
        # A started or ending month: its own line, with the proration clause that applied.
        yield from flush()
        run = []
        share = None if days == month_days else (days, month_days)
        period_start = month if share is None else max(month, begin)
        period_end = (month_end(month) if share is None or end is None
                      else min(month_end(month), end))
        line = _recurring_line(sub, item, period_start, period_end, 1, share, fee[0], fee[1],
                               clause, site, partial=True)
        yield line, {month: line.amount}
    yield from flush()


def _item_share(month: date, begin: date, end: date | None, start: date, last_day: date | None,
                terms: Terms) -> tuple[int, int, str]:
    """:func:`month_share` of an item: the sheet's first/last-period readings apply to the
    service's own start and end; a change order splits its month by days between the items
    before it and those from it (the units kept are billed once, CGV art. 7.4 changes the
    service, it neither starts nor ends it)."""
    added = begin > start and begin > month
    closed = end is not None and end != last_day and end < month_end(month)
    if not (added or closed):
        return month_share(month, begin, end, terms)
    days, month_days, clause = month_share(month, start if added else begin,
                                           last_day if closed else end, terms)
    first, last = max(month, begin), min(month_end(month), end or month_end(month))
    return min(days, (last - first).days + 1), month_days, _change_clause(terms) or clause


def _change_clause(terms: Terms) -> str:
    """The clause a change of the service's items is billed under (its re-commitment clause)."""
    commitment = terms.commitment
    return (commitment.recommit_on_change_months.clause
            if commitment and commitment.recommit_on_change_months else _recurring_clause(terms))


def _in_force(item: ItemFacts, day: date) -> bool:
    return ((item.active_from is None or item.active_from <= day)
            and (item.active_until is None or item.active_until > day))


def _months_due(label: str, when: str, fee: Decimal, quantity: int, count: int,
                share: tuple[int, int] | None, partial: bool, arrears: bool = False
                ) -> tuple[str, Decimal, str]:
    """(label, amount, formula) of ``count`` whole months of a monthly ``fee``, or of one month's
    ``share`` (days, days in the month); ``partial``: a month of partial service due in full;
    ``arrears``: a month before the run's own, not billed by an earlier run."""
    times = f"{quantity} × " if quantity != 1 else ""
    if share is None:
        return (f"{label} — {when}" + (" (started month due in full)" if partial
                                       else " (arrears)" if arrears else ""),
                money(fee * quantity) * count, f"{_plural(count, 'month')} × {times}{_fr(fee)}")
    days, month_days = share
    return (f"{label} — {when} prorata", money(fee * quantity * days / month_days),
            f"{days}/{month_days} days × {times}{_fr(fee)}")


def _recurring_line(sub: SubscriptionFacts, item: ItemFacts, period_start: date, period_end: date,
                    count: int, share: tuple[int, int] | None, fee: Decimal,
                    revision: PriceStep | None, clause: str, site: Site | None,
                    partial: bool = False, arrears: bool = False) -> DraftLine:
    """``count`` whole months, or one month's ``share`` (days, days in the month); ``partial``:
    a month of partial service due in full; ``arrears``: a month of arrears."""
    first, last = period_label(period_start), period_label(period_end)
    when = first if first == last else f"{first} to {last}"
    label, amount, formula = _months_due(item.label, when, fee, item.quantity, count, share,
                                         partial, arrears)
    explained = Explained((Line(label, amount, formula, clause),))
    if revision is not None and revision.note:
        explained = explained.with_note(revision.note)
    return DraftLine("recurring", label, explained, item.price_basis, item.vat_rate,
                     Decimal(item.quantity), sub.id, site, period_start, period_end)


def _minimum_line(sub: SubscriptionFacts, terms: Terms, month: date, days: int, month_days: int,
                  start: date, site: Site | None) -> DraftLine | None:
    billing = _billing(terms)
    if not (billing and billing.minimum_billing and billing.minimum_billing.value) or days == 0:
        return None
    # The items of the month's last day: a change order's new items replace the old ones.
    on = month_end(month) if sub.end_on is None else min(month_end(month), sub.end_on - ONE_DAY)
    items = [item for item in sub.items if _in_force(item, on)] or list(sub.items)
    minimum = sum((item.minimum_billing or ZERO for item in items), ZERO)
    if minimum == ZERO:
        return None
    fees = sum((item.fee_on(max(month, start))[0] * item.quantity for item in items), ZERO)
    shortfall = minimum - fees
    if shortfall <= ZERO:
        return None
    amount = money(shortfall * days / month_days)
    share = "" if days == month_days else f" × {days}/{month_days} days"
    label = f"Minimum billing top-up — {period_label(month)}"
    line = Line(label, amount,
                f"({_fr(minimum)} minimum − {_fr(money(fees))} monthly fees){share}",
                billing.minimum_billing.clause)
    return DraftLine("minimum", label, Explained((line,)), sub.items[0].price_basis,
                     sub.items[0].vat_rate, Decimal(1), sub.id, site, month, month_end(month))


def _one_off_lines(sub: SubscriptionFacts, terms: Terms, start: date, start_clause: str,
                   site: Site | None, common_site: Site | None) -> list[DraftLine]:
    """Access / go-live fees (*frais d'accès, de mise en service*), billed with the first
    recurring fees of the service."""
    billing = _billing(terms)
    clause = (billing.one_off_timing.clause if billing and billing.one_off_timing else start_clause)
    lines = []
    # The items in force at the start: a change order after it charges its own access fees.
    for item in sub.items:
        if item.access_fee == ZERO or not _in_force(item, start):
            continue
        amount = money(item.access_fee * item.quantity)
        label = f"Access fee — {item.label}"
        formula = f"{item.quantity} × {_fr(item.access_fee)}"
        lines.append(DraftLine("one_off", label, Explained((Line(label, amount, formula, clause),)),
                               item.price_basis, item.vat_rate, Decimal(item.quantity), sub.id,
                               common_site if item.common else site, start, start))
    return lines


def pack_lines(sub: SubscriptionFacts, terms: Terms, site: Site | None) -> list[DraftLine]:
    """Prepaid packs (Rozoh) are sold once: their price is billed at sale, whatever the start of
    the service period (``kind='pack'``, billed once per subscription)."""
    pack = terms.pack
    clause = pack.service_months.clause if pack and pack.service_months else ""
    months_text = f" ({pack.service_months.value} months of service prepaid)" if clause else ""
    lines = []
    for item in sub.items:
        if item.one_off_price == ZERO:
            continue
        amount = money(item.one_off_price * item.quantity)
        label = f"{item.label} — prepaid pack sold {sub.signed_on.isoformat()}"
        formula = f"{item.quantity} × {_fr(item.one_off_price)}{months_text}"
        lines.append(DraftLine("pack", label, Explained((Line(label, amount, formula, clause),)),
                               item.price_basis, item.vat_rate, Decimal(item.quantity), sub.id, site,
                               sub.signed_on, sub.signed_on))
    return lines


def end_adjustments(sub: SubscriptionFacts, terms: Terms) -> tuple[list[DraftLine], list[MonthRevised]]:
    """Months billed in advance beyond what is due once the end is known: the unused share is
    credited (``last_period: prorata``); nothing changes when the whole month is due."""
    if sub.end_on is None or not sub.billed_after_end:
        return [], []
    start, _ = billing_start(sub, terms)
    if start is None:
        return [], []
    last_day = sub.end_on - ONE_DAY
    lines, revised = [], []
    site = Site(sub.site_id, sub.site_name) if sub.site_id else None
    for billed in sub.billed_after_end:
        if billed.month > last_day:
            due, clause = 0, _proration(terms, "last_period")[1]
        else:
            due, _, clause = month_share(billed.month, start, last_day, terms)
        if due >= billed.days or billed.days == 0:
            continue
        credit = -money(billed.amount * (billed.days - due) / billed.days)
        label = f"Service ended {sub.end_on.isoformat()}: {period_label(billed.month)} credited"
        formula = (f"−{billed.days - due}/{billed.days} of the {_fr(billed.amount)} billed "
                   f"for {period_label(billed.month)}")
        basis = sub.items[0].price_basis if sub.items else "HT"
        vat = sub.items[0].vat_rate if sub.items else "normal"
        lines.append(DraftLine("adjustment", label, Explained((Line(label, credit, formula, clause),)),
                               basis, vat, Decimal(1), sub.id, site,
                               max(billed.month, sub.end_on), month_end(billed.month)))
        revised.append(MonthRevised(sub.id, billed.month, due, money(billed.amount + credit)))
    return lines, revised


def change_corrections(sub: SubscriptionFacts, terms: Terms, billed: tuple[BilledMonthFacts, ...],
                       effective: date, ended: tuple[ItemFacts, ...],
                       started: tuple[ItemFacts, ...]) -> tuple[list[Explained],
                                                                 list[MonthRevised]]:
    """The corrections of the ``billed`` months a change effective on ``effective`` falls in:
    each item ``ended`` by the change is credited the days it was billed for and is no longer
    due, each item ``started`` is charged the days due from the change — the days read as the
    bill run reads a change month (:func:`_item_share`: by days, the sheet's first/last-period
    rule for the service's own start and end); months billed after the change month are
    credited and charged whole."""
    start, _ = billing_start(sub, terms)
    if start is None:
        return [], []
    last_day = sub.end_on - ONE_DAY if sub.end_on else None
    corrections: list[Explained] = []
    revised: list[MonthRevised] = []
    for month in sorted(b.month for b in billed):
        total = ZERO
        for item, sign in [(item, -1) for item in ended] + [(item, 1) for item in started]:
            # An ended item was billed as if it went on: its window without the change's end.
            billed_days = (_due_days(replace(item, active_until=None), month, start, last_day,
                                     terms)[0] if sign == -1 else 0)
            due_days, month_days, clause = _due_days(item, month, start, last_day, terms)
            days = billed_days - due_days if sign == -1 else due_days
            if days <= 0:
                continue
            fee = item.fee_on(max(month, effective))[0]
            amount = sign * money(fee * item.quantity * days / month_days)
            first = max(month, effective)
            last = month_end(month) if last_day is None else min(month_end(month), last_day)
            what = "credited: no longer billed" if sign == -1 else "charged: billed"
            label = (f"{item.label} — {first.isoformat()} to {last.isoformat()} {what} from "
                     "the change")
            times = f"{item.quantity} × " if item.quantity != 1 else ""
            formula = f"{'−' if sign == -1 else ''}{days}/{month_days} days × {times}{_fr(fee)}"
            corrections.append(Explained(
                (Line(label, amount, formula, clause or _change_clause(terms)),)))
            total += amount
        top_up = _minimum_correction(sub, terms, month, start, last_day, ended, started)
        if top_up is not None:
            corrections.append(top_up)
            total += top_up.total
        if total:
            previous = next(b for b in billed if b.month == month)
            revised.append(MonthRevised(sub.id, month, previous.days,
                                        money(previous.amount + total)))
    return corrections, revised


def _minimum_correction(sub: SubscriptionFacts, terms: Terms, month: date, start: date,
                        last_day: date | None, ended: tuple[ItemFacts, ...],
                        started: tuple[ItemFacts, ...]) -> Explained | None:
    """The minimum billing top-up of a billed month, as due with the change against as billed
    without it (the items before the change going on)."""
    before = tuple(replace(item, active_until=None) if item in ended else item
                   for item in sub.items if item not in started)
    days, month_days, _ = month_share(month, start, last_day, terms)
    site = Site(sub.site_id, sub.site_name) if sub.site_id else None
    due = _minimum_line(sub, terms, month, days, month_days, start, site)
    billed = _minimum_line(replace(sub, items=before), terms, month, days, month_days, start, site)
    difference = (due.amount if due else ZERO) - (billed.amount if billed else ZERO)
    if difference == ZERO:
        return None
    clause = (due or billed).clause
    label = f"Minimum billing top-up — {period_label(month)} revised after the change"
    formula = (f"{_fr(due.amount if due else ZERO)} due − "
               f"{_fr(billed.amount if billed else ZERO)} billed")
    return Explained((Line(label, difference, formula, clause),))


def _due_days(item: ItemFacts, month: date, start: date, last_day: date | None,
              terms: Terms) -> tuple[int, int, str]:
    """Days of ``month`` an item is due for (0 outside its window), as the bill run reads them."""
    begin, end = _item_window(item, start, last_day)
    month_days = month_end(month).day
    if begin > month_end(month) or (end is not None and end < month):
        return 0, month_days, ""
    return _item_share(month, begin, end, start, last_day, terms)


# --------------------------------------------------------------------------- usage and charges


def usage_line(usage: UsageFacts, terms: Terms, period: date, site: Site | None) -> DraftLine:
    """A month of rated usage, in arrears. A month before the previous one holds late records
    (up to the sheet's ``late_usage_max_days``): it keeps its own month in its label."""
    billing = _billing(terms)
    late = usage.month < add_months(period, -1)
    label = f"{usage.label or 'Usage'} — {period_label(usage.month)}" + (" (late records)" if late else "")
    clauses = [billing.usage_timing.clause] if billing and billing.usage_timing else []
    if late and billing and billing.late_usage_max_days:
        clauses.append(billing.late_usage_max_days.clause)
    records = _plural(usage.records, "rated record") if usage.records else "rated usage"
    explained = Explained((Line(label, usage.amount, f"{records} of {period_label(usage.month)}",
                                "; ".join(clauses)),))
    annex = {"basis": usage.basis, **usage.annex} if usage.annex.get("destinations") else {}
    return DraftLine("usage", label, explained, usage.basis, usage.vat_rate, Decimal(1),
                     usage.subscription_id, site, usage.month, month_end(usage.month), usage.id, annex)


@dataclass(frozen=True)
class AnnexRow:
    """A row of the usage annex: a destination class (figures in seconds) or a line of the month
    tied to no single class (a surcharge, a pool; no figures)."""

    label: str
    amount: Decimal
    clause: str
    calls: int | None = None
    seconds: int | None = None
    included_seconds: int | None = None
    charged_seconds: int | None = None


@dataclass(frozen=True)
class UsageAnnex:
    """The detail of a usage line (*détail des consommations*), as kept with the invoice."""

    label: str
    site_name: str
    basis: str
    rows: tuple[AnnexRow, ...]

    @property
    def total(self) -> Decimal:
        return money(sum((row.amount for row in self.rows), ZERO))


def usage_annex(label: str, site_name: str, explanation: dict) -> UsageAnnex | None:
    """The annex of an invoice line, from the detail its explanation keeps (``annex``: the
    rating's month per destination class, then its other lines); None for other lines."""
    annex = explanation.get("annex")
    if not annex:
        return None
    rows = [AnnexRow(d["label"], Decimal(d["amount"]), d["clause"], d["calls"], d["seconds"],
                     d["included_seconds"], d["charged_seconds"]) for d in annex["destinations"]]
    rows += [AnnexRow(line["label"], Decimal(line["amount"]), line.get("clause", ""))
             for line in annex.get("other_lines", [])]
    return UsageAnnex(label, site_name, annex["basis"], tuple(rows))


def usage_annexes(lines: Iterable) -> list[UsageAnnex]:
    """The usage annexes of an invoice's stored lines (``label``, ``site_name``, ``explanation``)."""
    return [annex for line in lines
            if (annex := usage_annex(line.label, line.site_name, line.explanation or {})) is not None]


def charge_line(charge: ChargeFacts, site: Site | None) -> DraftLine:
    """A one-off charge queued by another room, with the explanation it came with."""
    lines = tuple(Line(l["label"], Decimal(l["amount"]), l.get("formula", ""), l.get("clause", ""))
                  for l in charge.explanation.get("lines", []))
    explained = Explained(lines, notes=tuple(charge.explanation.get("notes", [])))
    if not lines or explained.total != money(charge.amount):
        explained = Explained((Line(charge.label, charge.amount, "", ""),))
    return DraftLine("charge", charge.label, explained, charge.basis, charge.vat_rate, Decimal(1),
                     charge.subscription_id, site, charge.incurred_on, charge.incurred_on, charge.id)


# --------------------------------------------------------------------------- VAT and totals


@dataclass(frozen=True)
class VatBucket:
    code: str
    rate: Decimal            # fraction, 0.20
    base_ht: Decimal
    vat: Decimal
    total_ttc: Decimal

    def as_dict(self) -> dict:
        return {"code": self.code, "rate": str(self.rate), "base_ht": str(self.base_ht),
                "vat": str(self.vat), "total_ttc": str(self.total_ttc)}


@dataclass(frozen=True)
class PricedLine:
    """A line in the invoice's basis, with its net (HT) amount for the VAT breakdown."""

    draft: DraftLine
    amount: Decimal            # in the invoice's basis
    amount_ht: Decimal
    explained: Explained


@dataclass(frozen=True)
class Totals:
    basis: str
    lines: tuple[PricedLine, ...]
    vat: tuple[VatBucket, ...]

    @property
    def total(self) -> Decimal:
        """The sum of the lines, in the invoice's basis."""
        return money(sum((line.amount for line in self.lines), ZERO))

    @property
    def total_ht(self) -> Decimal:
        return money(sum((bucket.base_ht for bucket in self.vat), ZERO))

    @property
    def total_vat(self) -> Decimal:
        return money(sum((bucket.vat for bucket in self.vat), ZERO))

    @property
    def total_ttc(self) -> Decimal:
        return money(sum((bucket.total_ttc for bucket in self.vat), ZERO))


def vat_rate(code: str, on: date) -> VatRate:
    """The rate of VAT category ``code`` in force on ``on`` (the invoice's date)."""
    try:
        return vat_rate_on(code, on)
    except UnknownVatRate as exc:
        raise BillingError(str(exc)) from None


def _in_basis(line: DraftLine, basis: str, on: date) -> tuple[Decimal, Explained]:
    """The line's amount in the invoice's basis; a conversion is explained on the line."""
    if line.basis == basis:
        return line.amount, line.explained
    rate = vat_rate(line.vat_rate, on)
    percent = f"{fr_number(rate.rate * 100)} %"
    if basis == "TTC":
        converted = rate.ttc_from_ht(line.amount)
        formula = f"{_fr(line.amount)} HT × (1 + {percent})"
    else:
        converted = rate.ht_from_ttc(line.amount)
        formula = f"{_fr(line.amount)} TTC ÷ (1 + {percent})"
    lines = (Line(f"{line.label} ({basis})", converted, formula, line.clause),)
    return converted, Explained(lines, notes=line.explained.notes)


def totals(drafts: Iterable[DraftLine], basis: str, on: date) -> Totals:
    """The invoice's lines in its basis and its VAT breakdown per rate, at the rates in force on
    ``on`` (the invoice's date).

    HT list: VAT = rate × the sum of the HT lines of that rate. TTC list: the TTC sum is what the
    customer was quoted; HT = TTC ÷ (1 + rate), VAT = TTC − HT, and each line's HT share is
    allocated so that the lines add up to the base (Factur-X BR-CO-10, BR-S-08)."""
    if basis not in ("HT", "TTC"):
        raise BillingError(f"price_basis: {basis!r} is neither HT nor TTC")
    converted = [(draft, *_in_basis(draft, basis, on)) for draft in drafts]
    by_rate: dict[str, list[int]] = {}
    for index, (draft, _amount, _explained) in enumerate(converted):
        by_rate.setdefault(draft.vat_rate, []).append(index)
    net = [ZERO] * len(converted)
    buckets = []
    for code in sorted(by_rate):
        rate = vat_rate(code, on)
        indexes = by_rate[code]
        amounts = [converted[i][1] for i in indexes]
        total = money(sum(amounts, ZERO))
        if basis == "HT":
            base, tax = total, rate.tax_on(total)
            for i in indexes:
                net[i] = converted[i][1]
        else:
            base = rate.ht_from_ttc(total)
            tax = total - base
            shares = [rate.ht_from_ttc(a) for a in amounts]
            gap = base - sum(shares, ZERO)
            if gap and shares:
                largest = max(range(len(shares)), key=lambda k: abs(amounts[k]))
                shares[largest] += gap
            for i, share in zip(indexes, shares, strict=True):
                net[i] = share
        buckets.append(VatBucket(code, rate.rate, base, tax, base + tax))
    priced = tuple(PricedLine(draft, amount, net[i], explained)
                   for i, (draft, amount, explained) in enumerate(converted))
    return Totals(basis, priced, tuple(buckets))


# --------------------------------------------------------------------------- one customer's invoice


@dataclass(frozen=True)
class CustomerFacts:
    """Everything one customer's invoice of a period is made of."""

    id: int
    business: bool
    central: Site | None
    subscriptions: tuple[tuple[SubscriptionFacts, Terms], ...]
    usage: tuple[UsageFacts, ...] = ()
    charges: tuple[ChargeFacts, ...] = ()
    packs_billed: frozenset[int] = frozenset()      # subscriptions whose pack is already billed


@dataclass(frozen=True)
class InvoiceDraft:
    totals: Totals
    due: date
    due_clause: str
    mentions: tuple[Mention, ...]
    billed: tuple[MonthBilled, ...]
    revised: tuple[MonthRevised, ...]
    usage_ids: tuple[int, ...]
    charge_ids: tuple[int, ...]

    @property
    def is_empty(self) -> bool:
        return not self.totals.lines


def draft_invoice(customer: CustomerFacts, general: Terms, basis: str, period: date,
                  issue_date: date) -> InvoiceDraft:
    """The invoice of ``period`` for one customer: recurring fees, packs, end-of-service credits,
    usage and queued charges, in that order, then VAT, due date and mentions."""
    lines: list[DraftLine] = []
    billed: list[MonthBilled] = []
    revised: list[MonthRevised] = []
    terms_of = {sub.id: terms for sub, terms in customer.subscriptions}
    sites = {sub.id: Site(sub.site_id, sub.site_name) if sub.site_id else None
             for sub, _ in customer.subscriptions}
    for sub, terms in customer.subscriptions:
        # A pack sold while an old system billed the subscription was billed by it.
        sold_before_import = sub.billed_until is not None and sub.billed_until >= sub.signed_on
        if sub.id not in customer.packs_billed and not sold_before_import:
            lines += pack_lines(sub, terms, sites[sub.id])
        billing = _billing(terms)
        if (sub.status == "suspended" and billing and billing.billed_while_suspended
                and not billing.billed_while_suspended.value):
            continue
        recurring, months_billed = recurring_lines(sub, terms, period, customer.central)
        lines += recurring
        billed += months_billed
        credits, months_revised = end_adjustments(sub, terms)
        lines += credits
        revised += months_revised
    for usage in customer.usage:
        if usage.subscription_id not in terms_of:
            raise BillingError(f"usage {usage.id}: subscription {usage.subscription_id} is not "
                               "one of the customer's")
        lines.append(usage_line(usage, terms_of[usage.subscription_id], period,
                                sites[usage.subscription_id]))
    for charge in customer.charges:
        site = sites.get(charge.subscription_id) if charge.subscription_id else customer.central
        lines.append(charge_line(charge, site))
    due, due_clause = due_date(general, issue_date)
    return InvoiceDraft(totals(lines, basis, issue_date), due, due_clause,
                        tuple(legal_mentions(general, customer.business, due, due_clause)),
                        tuple(billed), tuple(revised), tuple(u.id for u in customer.usage),
                        tuple(c.id for c in customer.charges))


# --------------------------------------------------------------------------- due date and mentions


def due_date(terms: Terms, issue: date) -> tuple[date, str]:
    """Technicophone: the 25th « jour » after the invoice date, a working day in France as CGV
    art. 2 defines the word (art. 10.4); Ozone: debited in advance, due on issue."""
    payment = terms.payment
    if payment and payment.due_days_after_issue:
        within = delay(terms, payment.due_days_after_issue)
        return within.after(issue), within.clause
    if payment and payment.debited_in_advance and payment.debited_in_advance.value:
        return issue, payment.debited_in_advance.clause
    return issue, ""


@dataclass(frozen=True)
class Mention:
    """A mention as a message id (English, translated by the catalogues: ``billing.mentions``)
    and its parameters, JSON values: ``day`` an ISO date, ``amount`` and ``multiple`` decimals,
    ``rate`` and ``reference`` message ids themselves, others printed as they are."""
    message: str
    clause: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict:
        return {"message": self.message, "params": dict(self.params), "clause": self.clause}


def legal_mentions(terms: Terms, business_customer: bool, due: date, due_clause: str) -> list[Mention]:
    """The mentions French law requires on the invoice beyond the figures (CGI art. 242 nonies A,
    C. com. art. L441-9): payment date and terms; for business customers the late-payment rate
    and the flat recovery indemnity, and the early-payment discount terms."""
    mentions = [Mention("Due date: {day}", due_clause, (("day", due.isoformat()),))]
    payment = terms.payment
    if payment and payment.debited_in_advance and payment.debited_in_advance.value:
        mentions.append(Mention("Debited in advance, for the period to come",
                                payment.debited_in_advance.clause))
    if not business_customer:
        return mentions
    discount = payment.early_payment_discount if payment else None
    if discount is None or not discount.value:
        # The invoice states the discount terms (C. com. art. L441-9): terms silent on a
        # discount grant none.
        mentions.append(Mention("No discount for early payment",
                                discount.clause if discount else NO_DISCOUNT_CLAUSE))
    late = terms.late_payment
    if late and late.interest_multiple_of_legal_rate:
        source = (late.rate_source.value if late.rate_source else "french_legal_rate")
        rate = ("the French legal interest rate" if source == "french_legal_rate"
                else "the ECB refinancing rate")
        reference = ("in force on the invoice date"
                     if not late.rate_reference or late.rate_reference.value == "invoice_date"
                     else "in force on the due date")
        mentions.append(Mention(
            "Late-payment penalties: {multiple} times {rate} {reference}, due from the day after "
            "the due date without reminder", late.interest_multiple_of_legal_rate.clause,
            (("multiple", str(late.interest_multiple_of_legal_rate.value)), ("rate", rate),
             ("reference", reference))))
    else:
        mentions.append(Mention("Late-payment penalties: the ECB refinancing rate plus 10 points "
                                "(C. com. art. L441-10)", LEGAL_RECOVERY_CLAUSE))
    indemnity = (late.recovery_indemnity if late and late.recovery_indemnity else None)
    amount = indemnity.value if indemnity else LEGAL_RECOVERY_INDEMNITY
    mentions.append(Mention("Flat indemnity for recovery costs: {amount}",
                            f"{indemnity.clause}; {LEGAL_RECOVERY_CLAUSE}" if indemnity
                            else LEGAL_RECOVERY_CLAUSE, (("amount", str(amount)),)))
    return mentions


# --------------------------------------------------------------------------- indexation


@dataclass(frozen=True)
class Indexed:
    old: Decimal
    new: Decimal
    i_old: Decimal
    i_new: Decimal
    month_old: date
    month_new: date
    explained: Explained      # one line: the new fee, with the formula and the clause

    @property
    def note(self) -> str:
        line = self.explained.lines[0]
        return f"{line.label}: {line.formula} = {_fr(self.new)} — {line.clause}"


def index_months(terms: Terms, revision_on: date, recorded: Iterable[date]) -> tuple[date, date]:
    """(month of I_new, month of I_old): the latest index recorded before the revision date, and
    the one published ``reference_lag_months`` earlier (CGV art. 9.4)."""
    indexation = terms.indexation
    if indexation is None or indexation.series_id is None:
        raise BillingError("indexation: the term sheet has no indexation clause")
    before = [m for m in recorded if m < month_start(revision_on)]
    if not before:
        raise BillingError(f"indexation: no value of index {indexation.series_id.value} is recorded "
                           f"before {revision_on.isoformat()}")
    newest = max(before)
    lag = indexation.reference_lag_months.value if indexation.reference_lag_months else 12
    return newest, add_months(newest, -lag)


def revision_date(terms: Terms, year: int) -> date:
    indexation = terms.indexation
    month_day = indexation.revision_month_day.value if indexation and indexation.revision_month_day else "01-01"
    month, day = (int(part) for part in month_day.split("-"))
    return date(year, month, day)


def indexed_fee(terms: Terms, old: Decimal, i_old: Decimal, i_new: Decimal, month_old: date,
                month_new: date) -> Indexed:
    """``new = old × (1 + (I_new − I_old) / I_old)``, rounded to the cent (CGV art. 9.4)."""
    if i_old <= 0:
        raise BillingError(f"index: the old value {i_old} must be positive")
    indexation = terms.indexation
    variation = (i_new - i_old) / i_old
    new = money(old * (1 + variation))
    name = indexation.series_id.value if indexation and indexation.series_id else "index"
    label = f"Indexed monthly fee ({name})"
    formula = (f"{_fr(old)} × (1 + ({i_new} [{period_label(month_new)}] − {i_old} "
               f"[{period_label(month_old)}]) / {i_old})")
    clause = indexation.series_id.clause if indexation and indexation.series_id else ""
    return Indexed(old, new, i_old, i_new, month_old, month_new,
                   Explained((Line(label, new, formula, clause),)))


# --------------------------------------------------------------------------- price changes


PRICE_CHANGE_KINDS = ("general", "usage", "regulatory")


@dataclass(frozen=True)
class NoticeRule:
    earliest_effective: date
    notice_clause: str
    may_leave: bool
    leave_clause: str
    leave_until: date | None

    def as_dict(self) -> dict:
        return {"earliest_effective": self.earliest_effective.isoformat(),
                "notice_clause": self.notice_clause, "may_leave_without_fees": self.may_leave,
                "leave_clause": self.leave_clause,
                "leave_until": self.leave_until.isoformat() if self.leave_until else None}


def price_change_notice(terms: Terms, kind: str, announced_on: date, increase: bool,
                        effective_on: date | None = None) -> NoticeRule:
    """The notice a price change needs under the sheet (30 days general, 7 days usage prices,
    one month for mobile regulatory changes…) and whether the customer may leave without fees
    (not for a regulatory pass-through, CGV art. 9.3), until when: the days the sheet gives from
    the notice (Technicophone: deemed accepted after 30 days), or the months after the change
    applies (Ozone art. 7.4: up to 4 months), else until the change applies."""
    if kind not in PRICE_CHANGE_KINDS:
        raise BillingError(f"kind: {kind!r} is not one of {', '.join(PRICE_CHANGE_KINDS)}")
    changes = terms.price_changes
    if changes is None:
        raise BillingError("price_changes: the term sheet says nothing about price changes")
    days_field, months_field = {
        "general": ("notice_days", "terms_change_notice_months"),
        "usage": ("usage_notice_days", "usage_notice_months"),
        "regulatory": ("regulatory_notice_days", "regulatory_notice_months"),
    }[kind]
    days, months_ = getattr(changes, days_field), getattr(changes, months_field)
    if days is None and months_ is None and kind == "usage":
        days = changes.notice_days            # no usage-specific notice: the general one
    if months_ is not None:
        earliest, clause = add_months_day(announced_on, months_.value), months_.clause
    elif days is not None:
        notice = delay(terms, days)
        earliest, clause = notice.after(announced_on), notice.clause
    else:
        raise BillingError(f"price_changes: the sheet gives no notice for a {kind} price change")
    if kind == "regulatory":
        leave = changes.regulatory_client_may_leave
        may_leave = bool(leave and leave.value)
    else:
        leave = changes.client_may_leave
        may_leave = bool(leave and leave.value) and increase
    leave_until = None
    leave_clause = leave.clause if leave else ""
    if may_leave:
        window = changes.deemed_accepted_after_days or changes.leave_notice_days
        after_change = changes.terms_change_leave_months
        if window:
            leave_until = delay(terms, window).after(announced_on)
        elif after_change:
            leave_until = add_months_day(max(effective_on or earliest, earliest), after_change.value)
            leave_clause = after_change.clause
        else:
            leave_until = earliest
    return NoticeRule(earliest, clause, may_leave, leave_clause, leave_until)


def add_months_day(day: date, count: int) -> date:
    """Same day ``count`` months later, clipped to the month's end."""
    target = add_months(month_start(day), count)
    return target.replace(day=min(day.day, month_end(target).day))


# --------------------------------------------------------------------------- rented equipment


@dataclass(frozen=True)
class RentFacts:
    """An item the customer rents (*location*): its monthly rent from the order, from the day it
    was received (shipped, failing that) to the first day it is no longer rented."""

    item_id: int
    label: str
    monthly_rent: Decimal
    basis: str
    starts_on: date
    ends_on: date | None = None         # returned, or bought: first day without rent
    subscription_id: int | None = None


@dataclass(frozen=True)
class RentMonth:
    item_id: int
    month: date
    label: str
    explained: Explained


def rent_revisions(rent: RentFacts, terms: Terms, through: date,
                   index_values: dict[date, Decimal]) -> tuple[PriceStep, ...]:
    """The annual revisions of a rent up to ``through``, when the sheet indexes rentals (CGV
    art. 9.5: the rental is a service to which art. 9.4 applies) and the index values are
    recorded; the same formula as the subscriptions' (:func:`indexed_fee`)."""
    indexation = terms.indexation
    if (indexation is None or indexation.series_id is None or indexation.applies_to is None
            or "rentals" not in indexation.applies_to.value):
        return ()
    steps, fee = [], rent.monthly_rent
    for year in range(rent.starts_on.year + 1, through.year + 1):
        on = revision_date(terms, year)
        if on > through:
            break
        try:
            month_new, month_old = index_months(terms, on, index_values)
        except BillingError:
            continue
        if month_old not in index_values:
            continue
        indexed = indexed_fee(terms, fee, index_values[month_old], index_values[month_new],
                              month_old, month_new)
        steps.append(PriceStep(on, fee, indexed.new, f"{rent.label}: {indexed.note}"))
        fee = indexed.new
    return tuple(steps)


def rent_months(rent: RentFacts, terms: Terms, period: date,
                index_values: dict[date, Decimal] | None = None) -> list[RentMonth]:
    """Each month of rent due by the run of ``period``: monthly, in advance like the
    subscriptions (the month of the run included), prorated or due in full for a started or
    ending month as the sheet says, indexed on the revision date. The caller bills each month
    once (it is keyed by item and month)."""
    billing = _billing(terms)
    in_arrears = bool(billing and billing.recurring_timing
                      and billing.recurring_timing.value == Timing.in_arrears)
    last = add_months(period, -1) if in_arrears else period
    last_day = rent.ends_on - ONE_DAY if rent.ends_on else None
    if last_day is not None:
        if last_day < rent.starts_on:
            return []
        last = min(last, month_start(last_day))
    equipment = terms.equipment
    rental = equipment.rental_billed_as_service if equipment else None
    timing_clause = _recurring_clause(terms)
    item = ItemFacts(rent.label, 1, rent.monthly_rent, rent.basis,
                     revisions=rent_revisions(rent, terms, month_end(last), index_values or {}))
    due = []
    for month in months(rent.starts_on, last):
        days, month_days, share_clause = month_share(month, rent.starts_on, last_day, terms)
        fee, revision = item.fee_on(max(month, rent.starts_on))
        if days == 0 or fee == ZERO:
            continue
        label, amount, formula = _months_due(
            rent.label, period_label(month), fee, 1, 1,
            None if days == month_days else (days, month_days), bool(share_clause))
        notes = [f"Billed monthly in advance like the subscriptions — {timing_clause}"] if timing_clause else []
        if share_clause:
            notes.append(f"Started or ending month — {share_clause}")
        if revision is not None and revision.note:
            notes.append(revision.note)
        explained = Explained((Line(label, amount, formula, rental.clause if rental else timing_clause),),
                              notes=tuple(notes))
        due.append(RentMonth(rent.item_id, month, label, explained))
    return due
