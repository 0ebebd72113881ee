"""Ledger rules: the annual indexation of the fees, the notice of a price change and the right
to leave it opens, and the monthly rent of rented equipment. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from clausier.billing.periods import (
    ONE_DAY,
    Refused,
    add_months,
    month_end,
    month_start,
    months,
    period_label,
)
from clausier.billing.runs.inputs import ItemFacts, PriceStep
from clausier.billing.runs.rules import billing_terms, month_share, months_due, recurring_clause
from clausier.core.errors import RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import msg
from clausier.core.money import (
    ZERO,
    money,
)
from clausier.terms.delays import delay
from clausier.terms.schema import Terms, Timing

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
        return msg("{label}: {formula} = {amount} — {clause}", label=line.label,
                   formula=line.formula, amount=self.new, clause=line.clause)


def index_months(terms: Terms, revision_on: date, recorded: Iterable[date]) -> tuple[date, date]:
    """(month of I_new, month of I_old): the latest index recorded before the revision date, and
    the one published ``reference_lag_months`` earlier (CGV art. 9.4)."""
    indexation = terms.indexation
    if indexation is None or indexation.series_id is None:
        raise RuleRefusal(Refused.no_indexation_clause, "indexation",
                          "the term sheet has no indexation clause")
    before = [m for m in recorded if m < month_start(revision_on)]
    if not before:
        raise RuleRefusal(Refused.no_index_value_before_revision, "indexation",
                          f"no value of index {indexation.series_id.value} is recorded "
                          f"before {revision_on.isoformat()}", indexation.series_id.clause)
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
        raise RuleRefusal(Refused.index_not_positive, "index",
                          f"the old value {i_old} must be positive")
    indexation = terms.indexation
    variation = (i_new - i_old) / i_old
    new = money(old * (1 + variation))
    name = indexation.series_id.value if indexation and indexation.series_id else "index"
    label = msg("Indexed monthly fee ({name})", name=name)
    formula = msg("{old} × (1 + ({i_new} [{month_new}] − {i_old} [{month_old}]) / {i_old})",
                  old=old, i_new=str(i_new), month_new=period_label(month_new), i_old=str(i_old),
                  month_old=period_label(month_old))
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
        raise RuleRefusal(Refused.price_change_kind_unknown, "kind",
                          f"{kind!r} is not one of {', '.join(PRICE_CHANGE_KINDS)}")
    changes = terms.price_changes
    if changes is None:
        raise RuleRefusal(Refused.no_price_change_clause, "price_changes",
                          "the term sheet says nothing about price changes")
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
        raise RuleRefusal(Refused.no_price_change_notice, "price_changes",
                          f"the sheet gives no notice for a {kind} price change")
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
        except RuleRefusal:
            continue
        if month_old not in index_values:
            continue
        indexed = indexed_fee(terms, fee, index_values[month_old], index_values[month_new],
                              month_old, month_new)
        steps.append(PriceStep(on, fee, indexed.new,
                               msg("{label}: {note}", label=rent.label, note=indexed.note)))
        fee = indexed.new
    return tuple(steps)


def rent_months(rent: RentFacts, terms: Terms, period: date,
                index_values: dict[date, Decimal] | None = None) -> list[RentMonth]:
    """Each month of rent due by the run of ``period``: monthly, in advance like the
    subscriptions (the month of the run included), prorated or due in full for a started or
    ending month as the sheet says, indexed on the revision date. The caller bills each month
    once (it is keyed by item and month)."""
    billing = billing_terms(terms)
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
    timing_clause = recurring_clause(terms)
    item = ItemFacts(rent.label, 1, rent.monthly_rent, rent.basis,
                     revisions=rent_revisions(rent, terms, month_end(last), index_values or {}))
    due = []
    for month in months(rent.starts_on, last):
        days, month_days, share_clause = month_share(month, rent.starts_on, last_day, terms)
        fee, revision = item.fee_on(max(month, rent.starts_on))
        if days == 0 or fee == ZERO:
            continue
        label, amount, formula = months_due(
            rent.label, period_label(month), fee, 1, 1,
            None if days == month_days else (days, month_days), bool(share_clause))
        notes = [msg("Billed monthly in advance like the subscriptions — {clause}",
                     clause=timing_clause)] if timing_clause else []
        if share_clause:
            notes.append(msg("Started or ending month — {clause}", clause=share_clause))
        if revision is not None and revision.note:
            notes.append(revision.note)
        explained = Explained((Line(label, amount, formula, rental.clause if rental else timing_clause),),
                              notes=tuple(notes))
        due.append(RentMonth(rent.item_id, month, label, explained))
    return due
