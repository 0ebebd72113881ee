"""Bill-run rules: what one customer owes for a period, line by line, each line explained.

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

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from clausier.billing.invoices.rules import (
    DraftLine,
    Mention,
    Site,
    Totals,
    due_date,
    legal_mentions,
    totals,
)
from clausier.billing.periods import (
    ONE_DAY,
    Refused,
    add_months,
    month_end,
    month_start,
    months,
    next_month,
    period_label,
)
from clausier.billing.runs.inputs import (
    BilledMonthFacts,
    ChargeFacts,
    ItemFacts,
    MonthBilled,
    MonthRevised,
    PriceStep,
    SubscriptionFacts,
    UsageFacts,
)
from clausier.contracts.statuses import SubscriptionStatus
from clausier.core.errors import RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import msg, stored
from clausier.core.money import (
    ZERO,
    money,
)
from clausier.terms.schema import Proration, Terms, Timing

class BillRunStatus(StrEnum):
    """Where a bill run stands."""

    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"


class PartitionStatus(StrEnum):
    """Where one partition (a chunk of customers) of a bill run stands."""

    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


# A bill run shows a sign of life after each batch (seconds); one silent for this long has died.
BILL_RUN_LEASE = timedelta(minutes=5)


def bill_run_has_died(heartbeat_at: datetime | None, now: datetime) -> bool:
    """Whether a run still marked running stopped showing signs of life (a run from before
    heartbeats has none: it cannot be going on after the upgrade that added them)."""
    return heartbeat_at is None or now - heartbeat_at > BILL_RUN_LEASE



# --------------------------------------------------------------------------- billing start


def billing_terms(terms: Terms):
    return terms.billing


def billing_start(sub: SubscriptionFacts, terms: Terms) -> tuple[date | None, str]:
    """When recurring fees start, and the clause: go-live (Technicophone), first connection or
    at the latest N days after the equipment is received (Ozone), or the sale."""
    billing = billing_terms(terms)
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
    billing = billing_terms(terms)
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
    billing = billing_terms(terms)
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


def recurring_clause(terms: Terms) -> str:
    billing = billing_terms(terms)
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
    billing = billing_terms(terms)
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
    billing = billing_terms(terms)
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
    timing_clause = recurring_clause(terms)
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
            if commitment and commitment.recommit_on_change_months else recurring_clause(terms))


def _in_force(item: ItemFacts, day: date) -> bool:
    return ((item.active_from is None or item.active_from <= day)
            and (item.active_until is None or item.active_until > day))


def months_due(label: str, when: str, fee: Decimal, quantity: int, count: int,
                share: tuple[int, int] | None, partial: bool, arrears: bool = False
                ) -> tuple[str, Decimal, str]:
    """(label, amount, formula) of ``count`` whole months of a monthly ``fee``, or of one month's
    ``share`` (days, days in the month); ``partial``: a month of partial service due in full;
    ``arrears``: a month before the run's own, not billed by an earlier run."""
    rest = msg("{quantity} × {fee}", quantity=quantity, fee=fee) if quantity != 1 else fee
    if share is None:
        return (msg("{label} — {when} (started month due in full)" if partial
                    else "{label} — {when} (arrears)" if arrears else "{label} — {when}",
                    label=label, when=when),
                money(fee * quantity) * count,
                msg("{n} month × {rest}" if count == 1 else "{n} months × {rest}", n=count,
                    rest=rest))
    days, month_days = share
    return (msg("{label} — {when} prorata", label=label, when=when),
            money(fee * quantity * days / month_days),
            msg("{days}/{month_days} days × {rest}", days=days, month_days=month_days, rest=rest))


def _months_explained(label: str, period_start: date, period_end: date, fee: Decimal,
                      quantity: int, count: int, share: tuple[int, int] | None, clause: str,
                      partial: bool, arrears: bool) -> tuple[str, Explained]:
    """The label and explanation of a recurring line (:func:`months_due`, its clause)."""
    first, last = period_label(period_start), period_label(period_end)
    when = first if first == last else msg("{start} to {end}", start=first, end=last)
    label, amount, formula = months_due(label, when, fee, quantity, count, share, partial, arrears)
    return label, Explained((Line(label, amount, formula, clause),))


@lru_cache(maxsize=8192)
def _recurring_explained(label: str, period_start: date, period_end: date, fee: Decimal,
                         fee_text: str, quantity: int, count: int, share: tuple[int, int] | None,
                         clause: str, partial: bool, arrears: bool) -> tuple[str, Explained]:
    """:func:`_months_explained` once per shape: the customers of a run mostly pay the same
    offers at the same quantities for the same months, so their lines share one (immutable)
    label and explanation, its messages encoded once. ``fee_text`` keys the fee as written
    (``Decimal`` 450 and 450.00 are equal, their stored parameters are not)."""
    return _months_explained(label, period_start, period_end, fee, quantity, count, share,
                             clause, partial, arrears)


def _recurring_line(sub: SubscriptionFacts, item: ItemFacts, period_start: date, period_end: date,
                    count: int, share: tuple[int, int] | None, fee: Decimal,
                    revision: PriceStep | None, clause: str, site: Site | None,
                    partial: bool = False, arrears: bool = False) -> DraftLine:
    """``count`` whole months, or one month's ``share`` (days, days in the month); ``partial``:
    a month of partial service due in full; ``arrears``: a month of arrears."""
    if type(item.label) is str and type(fee) is Decimal and type(item.quantity) is int:
        label, explained = _recurring_explained(item.label, period_start, period_end, fee,
                                                str(fee), item.quantity, count, share, clause,
                                                partial, arrears)
    else:
        label, explained = _months_explained(item.label, period_start, period_end, fee,
                                             item.quantity, count, share, clause, partial,
                                             arrears)
    if revision is not None and revision.note:
        explained = explained.with_note(revision.note)
    return DraftLine("recurring", label, explained, item.price_basis, item.vat_rate,
                     Decimal(item.quantity), sub.id, site, period_start, period_end)


def _minimum_line(sub: SubscriptionFacts, terms: Terms, month: date, days: int, month_days: int,
                  start: date, site: Site | None) -> DraftLine | None:
    billing = billing_terms(terms)
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
    shortfall_text = msg("({minimum} minimum − {fees} monthly fees)", minimum=minimum,
                         fees=money(fees))
    label = msg("Minimum billing top-up — {month}", month=period_label(month))
    line = Line(label, amount,
                shortfall_text if days == month_days else
                msg("{rest} × {days}/{month_days} days", rest=shortfall_text, days=days,
                    month_days=month_days),
                billing.minimum_billing.clause)
    return DraftLine("minimum", label, Explained((line,)), sub.items[0].price_basis,
                     sub.items[0].vat_rate, Decimal(1), sub.id, site, month, month_end(month))


def _one_off_lines(sub: SubscriptionFacts, terms: Terms, start: date, start_clause: str,
                   site: Site | None, common_site: Site | None) -> list[DraftLine]:
    """Access / go-live fees (*frais d'accès, de mise en service*), billed with the first
    recurring fees of the service."""
    billing = billing_terms(terms)
    clause = (billing.one_off_timing.clause if billing and billing.one_off_timing else start_clause)
    lines = []
    # The items in force at the start: a change order after it charges its own access fees.
    for item in sub.items:
        if item.access_fee == ZERO or not _in_force(item, start):
            continue
        if type(item.label) is str and type(item.access_fee) is Decimal \
                and type(item.quantity) is int:
            label, explained = _access_fee_explained(item.label, item.access_fee,
                                                     str(item.access_fee), item.quantity, clause)
        else:
            label, explained = _access_fee(item.label, item.access_fee, item.quantity, clause)
        lines.append(DraftLine("one_off", label, explained,
                               item.price_basis, item.vat_rate, Decimal(item.quantity), sub.id,
                               common_site if item.common else site, start, start))
    return lines


def _access_fee(label: str, fee: Decimal, quantity: int, clause: str) -> tuple[str, Explained]:
    amount = money(fee * quantity)
    label = msg("Access fee — {label}", label=label)
    formula = msg("{quantity} × {fee}", quantity=quantity, fee=fee)
    return label, Explained((Line(label, amount, formula, clause),))


@lru_cache(maxsize=2048)
def _access_fee_explained(label: str, fee: Decimal, fee_text: str, quantity: int, clause: str
                          ) -> tuple[str, Explained]:
    """:func:`_access_fee` once per shape (as :func:`_recurring_explained`)."""
    return _access_fee(label, fee, quantity, clause)


def pack_lines(sub: SubscriptionFacts, terms: Terms, site: Site | None) -> list[DraftLine]:
    """Prepaid packs (Rozoh) are sold once: their price is billed at sale, whatever the start of
    the service period (``kind='pack'``, billed once per subscription)."""
    pack = terms.pack
    clause = pack.service_months.clause if pack and pack.service_months else ""

    lines = []
    for item in sub.items:
        if item.one_off_price == ZERO:
            continue
        amount = money(item.one_off_price * item.quantity)
        label = msg("{label} — prepaid pack sold {date}", label=item.label, date=sub.signed_on)
        formula = msg("{quantity} × {fee}", quantity=item.quantity, fee=item.one_off_price)
        if clause:
            formula = msg("{rest} ({n} months of service prepaid)", rest=formula,
                          n=pack.service_months.value)
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
        label = msg("Service ended {date}: {month} credited", date=sub.end_on,
                    month=period_label(billed.month))
        formula = msg("−{days}/{month_days} of the {amount} billed for {month}",
                      days=billed.days - due, month_days=billed.days, amount=billed.amount,
                      month=period_label(billed.month))
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
            label = msg("{label} — {start} to {end} credited: no longer billed from the change"
                        if sign == -1 else
                        "{label} — {start} to {end} charged: billed from the change",
                        label=item.label, start=first, end=last)
            rest = msg("{quantity} × {fee}", quantity=item.quantity, fee=fee) \
                if item.quantity != 1 else fee
            formula = msg("−{days}/{month_days} days × {rest}" if sign == -1
                          else "{days}/{month_days} days × {rest}",
                          days=days, month_days=month_days, rest=rest)
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
    label = msg("Minimum billing top-up — {month} revised after the change",
                month=period_label(month))
    formula = msg("{due} due − {billed} billed", due=due.amount if due else ZERO,
                  billed=billed.amount if billed else ZERO)
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
    billing = billing_terms(terms)
    late = usage.month < add_months(period, -1)
    label = msg("{label} — {when}", label=usage.label or "Usage", when=period_label(usage.month))
    if late:
        label = msg("{label} (late records)", label=label)
    clauses = [billing.usage_timing.clause] if billing and billing.usage_timing else []
    if late and billing and billing.late_usage_max_days:
        clauses.append(billing.late_usage_max_days.clause)
    month = period_label(usage.month)
    records = (msg("{n} rated record of {month}" if usage.records == 1
                   else "{n} rated records of {month}", n=usage.records, month=month)
               if usage.records else msg("rated usage of {month}", month=month))
    explained = Explained((Line(label, usage.amount, records, "; ".join(clauses)),))
    annex = {"basis": usage.basis, **usage.annex} if usage.annex.get("destinations") else {}
    return DraftLine("usage", label, explained, usage.basis, usage.vat_rate, Decimal(1),
                     usage.subscription_id, site, usage.month, month_end(usage.month), usage.id, annex)


def charge_line(charge: ChargeFacts, site: Site | None) -> DraftLine:
    """A one-off charge queued by another room, with the explanation it came with."""
    kept = Explained.from_dict(charge.explanation)
    lines = kept.lines
    explained = Explained(lines, notes=kept.notes)
    label = stored(charge.label, charge.explanation.get("label_message"))
    if not lines or explained.total != money(charge.amount):
        explained = Explained((Line(label, charge.amount, "", ""),))
    return DraftLine("charge", label, explained, charge.basis, charge.vat_rate, Decimal(1),
                     charge.subscription_id, site, charge.incurred_on, charge.incurred_on, charge.id)


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
        billing = billing_terms(terms)
        if (sub.status == SubscriptionStatus.SUSPENDED and billing and billing.billed_while_suspended
                and not billing.billed_while_suspended.value):
            continue
        recurring, months_billed = _recurring_lines_as_shaped(sub, terms, period,
                                                              customer.central)
        lines += recurring
        billed += months_billed
        credits, months_revised = end_adjustments(sub, terms)
        lines += credits
        revised += months_revised
    for usage in customer.usage:
        if usage.subscription_id not in terms_of:
            raise RuleRefusal(Refused.usage_of_another_customer, "subscription_id",
                              f"subscription {usage.subscription_id} of usage {usage.id} is not "
                              "one of the customer's")
        lines.append(usage_line(usage, terms_of[usage.subscription_id], period,
                                sites[usage.subscription_id]))
    for charge in customer.charges:
        site = sites.get(charge.subscription_id) if charge.subscription_id else customer.central
        lines.append(charge_line(charge, site))
    due, due_clause, mentions = _due_and_mentions(general, issue_date, customer.business)
    return InvoiceDraft(totals(lines, basis, issue_date), due, due_clause, mentions,
                        tuple(billed), tuple(revised), tuple(u.id for u in customer.usage),
                        tuple(c.id for c in customer.charges))


# The due date and mentions of a run's invoices, the same for all its customers of one kind:
# computed once per general sheet (kept alive beside its id), issue date and kind of customer.
_due: dict[tuple[int, date, bool], tuple[Terms, tuple[date, str, tuple[Mention, ...]]]] = {}


def _due_and_mentions(general: Terms, issue_date: date, business: bool
                      ) -> tuple[date, str, tuple[Mention, ...]]:
    key = (id(general), issue_date, business)
    kept = _due.get(key)
    if kept is None:
        if len(_due) > 64:
            _due.clear()
        due, due_clause = due_date(general, issue_date)
        kept = _due[key] = (general, (due, due_clause, tuple(
            legal_mentions(general, business, due, due_clause))))
    return kept[1]


# --------------------------------------------------------------------------- shapes of subscriptions

# A run's subscriptions mostly come in a few shapes (the same offers and quantities, the same
# dates): their recurring lines are drafted once per shape, on a subscription standing for them
# all (its own site and the customer's central site as markers), then given to each its own
# subscription and sites. Keyed by the terms' identity (kept alive beside it) and every fact the
# lines depend on, the amounts as written (``Decimal`` 20 and 20.00 are equal, their stored
# parameters are not).
_OWN_SITE = Site(-1, "\0own site")
_CENTRAL_SITE = Site(-2, "\0central site")
_shapes: dict[tuple, tuple[Terms, tuple[tuple[DraftLine, ...], tuple[MonthBilled, ...]]]] = {}


def _recurring_lines_as_shaped(sub: SubscriptionFacts, terms: Terms, period: date,
                               central: Site | None) -> tuple[list[DraftLine], list[MonthBilled]]:
    """:func:`recurring_lines`, drafted once per shape of subscription."""
    if any(item.revisions or type(item.label) is not str for item in sub.items):
        return recurring_lines(sub, terms, period, central)
    key = (id(terms), period, bool(sub.site_id), central is not None, sub.signed_on,
           sub.status, sub.go_live_on, sub.equipment_received_on, sub.end_on,
           sub.periodicity_months, sub.billed_through, sub.billed_until, sub.items,
           tuple((str(item.monthly_fee), str(item.access_fee), str(item.one_off_price),
                  str(item.minimum_billing)) for item in sub.items))
    kept = _shapes.get(key)
    if kept is None:
        if len(_shapes) > 4096:
            _shapes.clear()
        standing = replace(sub, id=0, ref="", site_id=_OWN_SITE.id if sub.site_id else None,
                           site_name=_OWN_SITE.name, billed_after_end=())
        lines, billed = recurring_lines(standing, terms, period,
                                        _CENTRAL_SITE if central is not None else None)
        kept = _shapes[key] = (terms, (tuple(lines), tuple(billed)))
    lines, billed = kept[1]
    own = Site(sub.site_id, sub.site_name) if sub.site_id else None
    sites = {None: None, _OWN_SITE: own, _CENTRAL_SITE: central}
    return ([DraftLine(line.kind, line.label, line.explained, line.basis, line.vat_rate,
                       line.quantity, sub.id, sites[line.site], line.period_start,
                       line.period_end, line.source_id) for line in lines],
            [MonthBilled(sub.id, month.month, month.days, month.month_days, month.amount)
             for month in billed])
