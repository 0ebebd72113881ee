"""Service levels: the restoration clock, restoration-time penalties (GTR), availability credits.

Pure: dataclasses and term-sheet blocks in, readings and ``Explained`` amounts out; no database,
no wall clock (``now`` is a parameter), no I/O. Every figure comes from the sheet's
``service_levels`` block:

* the clock (Technicophone VGA §5.5, §5.7, §5.8): it starts at the time of the call when the
  written confirmation arrives within the sheet's window, otherwise at the confirmation; it is
  frozen from the request for site access until access is given; it stops when restoration is
  notified; it counts *heures ouvrées* or every hour according to the target;
* the *garantie de temps de rétablissement* (GTR, VGA §5.2–5.6): a penalty band per ticket on the
  restoration time, a percentage of the month's fee for the service at the site, capped per site
  and month, never for an excusable event;
* the availability objective (*objectif de disponibilité*, e.g. internet CP III §4.1):
  ``(minutes in the month − outage minutes) / minutes in the month``, a credit band, a cap, a
  claim window; probation phases without SLA (hosting §3.2); objectives reported without credit
  (VGA GTD §5.3).

Credits and penalties owed to the customer are negative amounts: they go to the next invoice.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum, auto

from clausier.core.calendar import BusinessCalendar, OpeningHours
from clausier.core.clock import PARIS
from clausier.core.errors import RefusalCode, RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.message import msg
from clausier.core.money import money
from clausier.terms.schema import (Band, DayCount, Restoration, RestorationTarget, ServiceLevels,
                                   Sourced)

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
HUNDRED = Decimal(100)

#: Why an outage or a ticket does not count (beyond the sheet's own excusable events).
NOT_COOPERATING = "customer_not_cooperating"


class Refused(RefusalCode):
    """Why the service-level rules cannot answer."""

    no_support_hours = auto()
    duration_counted_in_days = auto()
    access_ambiguous = auto()           # the option has targets for several accesses
    no_coverage_hours = auto()
    # What the ticket desk refuses (support.service)
    ticket_instant_not_aware = auto()
    ticket_instant_in_future = auto()
    ticket_before_call = auto()
    ticket_wrong_status = auto()            # the action is not allowed from the ticket's status
    ticket_already_confirmed = auto()
    ticket_already_waiting_for_access = auto()
    ticket_not_waiting_for_access = auto()
    ticket_access_given_before_request = auto()
    ticket_restored_before_access_request = auto()
    ticket_description_missing = auto()
    ticket_channel_unknown = auto()
    ticket_site_of_another_customer = auto()
    ticket_access_unknown = auto()
    ticket_access_not_said = auto()
    ticket_anomaly_unknown = auto()
    ticket_keep_informed_incomplete = auto()
    incident_subscription_not_live = auto()
    incident_reporter_not_a_contact = auto()
    incident_reporter_not_designated = auto()
    excusable_event_not_in_terms = auto()
    outage_instant_not_aware = auto()
    outage_ends_before_start = auto()
    outage_in_future = auto()
    sla_claim_month_not_over = auto()
    sla_claim_already_made = auto()
    sla_claim_nothing_granted = auto()


class TicketStatus(StrEnum):
    """Where an incident ticket stands (VGA §5.5–5.9): open, restored (clock stopped), closed."""

    OPEN = "open"
    RESTORED = "restored"
    CLOSED = "closed"


class NoticeStatus(StrEnum):
    """A notice to the people kept informed: pending (to send, or to try again), sent, failed
    (given up)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


# --------------------------------------------------------------------------- calendars


def counting_calendar(levels: ServiceLevels, counted_in: DayCount) -> BusinessCalendar:
    """The calendar a duration is counted in: the desk's *heures ouvrées* or every hour."""
    if counted_in is DayCount.business_hours:
        if levels.support_hours is None:
            raise RuleRefusal(Refused.no_support_hours, "service_levels.support_hours",
                              "the sheet counts in business hours but gives no support hours")
        return BusinessCalendar(OpeningHours.from_mapping(levels.support_hours.value))
    if counted_in in (DayCount.around_the_clock, DayCount.calendar):
        return BusinessCalendar(OpeningHours.around_the_clock())
    raise RuleRefusal(Refused.duration_counted_in_days, "counted_in",
                      f"{counted_in.value} counts days, not hours")


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """A restoration target: a duration counted in business hours or around the clock."""

    duration: timedelta
    counted_in: DayCount
    penalised: bool
    clause: str
    label: str
    access: str | None = None        # whose penalty table applies (VGA: analogue or isdn)

    @property
    def hours(self) -> Decimal:
        return hours_of(self.duration)


def has_service_level(levels: ServiceLevels | None) -> bool:
    """False for best-efforts services (Présélection §3) and families without a block."""
    return levels is not None and not (levels.no_service_level and levels.no_service_level.value)


def _best_effort(restoration: Restoration) -> bool:
    """Targets the operator only "s'efforcera" to meet: tracked, never penalised."""
    return bool(restoration.objective_only and restoration.objective_only.value)


def _targets(levels: ServiceLevels | None, option: str) -> list[RestorationTarget]:
    """The targets of the subscribed option; best-effort targets apply whatever the option."""
    if not has_service_level(levels) or levels.restoration is None:
        return []
    restoration = levels.restoration
    return [t for t in restoration.targets if _best_effort(restoration) or t.option == option]


def target_accesses(levels: ServiceLevels | None, option: str) -> tuple[str, ...]:
    """The accesses (or target kinds) the sheet gives a restoration target for under ``option``."""
    return tuple(dict.fromkeys(t.access for t in _targets(levels, option)))


def default_access(levels: ServiceLevels | None, option: str, item_units: Iterable[str]) -> str | None:
    """The access a ticket is about when the staff did not say: the only target of the option,
    else the only one whose name begins an item's unit (``isdn`` for ``isdn_access``), else for
    best-effort targets the sheet's first (the repair target); ``None`` when it must be said."""
    accesses = target_accesses(levels, option)
    if len(accesses) == 1:
        return accesses[0]
    units = set(item_units)
    found = [a for a in accesses if any(u == a or u.startswith(f"{a}_") for u in units)]
    if len(found) == 1:
        return found[0]
    if accesses and _best_effort(levels.restoration):
        return accesses[0]
    return None


def target_for(levels: ServiceLevels | None, option: str, access: str | None) -> Target | None:
    """The restoration target of a ticket, or ``None`` when the service has none."""
    if not has_service_level(levels) or levels.restoration is None:
        return None
    restoration = levels.restoration
    candidates = [t for t in _targets(levels, option) if access is None or t.access == access]
    if len(candidates) > 1:
        accesses = ", ".join(sorted({t.access for t in candidates}))
        raise RuleRefusal(Refused.access_ambiguous, "access",
                          f"option {option} has targets for {accesses}; say which access "
                          "is affected", "; ".join(dict.fromkeys(str(t.src) for t in candidates)))
    if candidates:
        target = candidates[0]
        unit = "business hours" if target.counted_in is DayCount.business_hours else "hours"
        return Target(timedelta(seconds=int(target.hours * 3600)), target.counted_in,
                      not _best_effort(restoration), str(target.src),
                      f"{target.access} {target.option}: {_num(target.hours)} {unit}", target.access)
    if restoration.targets:
        return None
    if restoration.restoration_days is not None:
        days = restoration.restoration_days
        return Target(timedelta(days=days.value), DayCount.calendar, False, days.clause,
                      f"restoration within {days.value} calendar days")
    return None


# --------------------------------------------------------------------------- the clock


@dataclass(frozen=True)
class Pause:
    """The clock is frozen from the request for site access until access is given (``end``)."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class ClockFacts:
    """What happened to a ticket, as recorded (events after ``now`` are ignored)."""

    called_at: datetime
    confirmed_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()
    restored_at: datetime | None = None


@dataclass(frozen=True)
class Span:
    """One stretch of a ticket's timeline: ``running``, ``paused`` or ``awaiting_confirmation``."""

    start: datetime
    end: datetime
    state: str
    counted: timedelta


@dataclass(frozen=True)
class ClockReading:
    start: datetime | None          # None: not started (written confirmation awaited)
    start_reason: str               # call | confirmation | awaiting_confirmation
    until: datetime                 # restoration notice, or now
    elapsed: timedelta              # counted time, pauses and closed hours excluded
    paused: timedelta               # counted time the clock spent frozen
    restored: bool
    paused_now: bool
    confirmation_due: datetime | None
    spans: tuple[Span, ...] = ()

    @property
    def running(self) -> bool:
        return self.start is not None and not self.restored and not self.paused_now


def read_clock(facts: ClockFacts, counting: BusinessCalendar,
               confirmation_window: Sourced[int] | None, now: datetime) -> ClockReading:
    """Read a ticket's restoration clock at ``now``.

    Start (VGA §5.7): the call time if the written confirmation arrives within the window, else
    the confirmation; before the confirmation arrives the clock has not started (so that a
    reading never goes backwards when the window passes). Without a window: the call.
    """
    restored_at = facts.restored_at if facts.restored_at and facts.restored_at <= now else None
    confirmed_at = facts.confirmed_at if facts.confirmed_at and facts.confirmed_at <= now else None
    until = restored_at or max(now, facts.called_at)
    due = None
    if confirmation_window is None:
        start, reason = facts.called_at, "call"
    else:
        due = facts.called_at + timedelta(minutes=confirmation_window.value)
        if confirmed_at is None:
            start, reason = None, "awaiting_confirmation"
        elif confirmed_at <= due:
            start, reason = facts.called_at, "call"
        else:
            start, reason = confirmed_at, "confirmation"
    if start is None:
        spans = (Span(facts.called_at, until, "awaiting_confirmation", timedelta(0)),)
        return ClockReading(None, reason, until, timedelta(0), timedelta(0), restored_at is not None,
                            False, due, spans)
    pauses = _merged_pauses(facts.pauses, start, until, now)
    spans: list[Span] = []
    cursor = start
    for p_start, p_end in pauses:
        if p_start > cursor:
            spans.append(Span(cursor, p_start, "running",
                              counting.business_time_between(cursor, p_start)))
        spans.append(Span(p_start, p_end, "paused", counting.business_time_between(p_start, p_end)))
        cursor = p_end
    if until > cursor or not spans:
        spans.append(Span(cursor, until, "running", counting.business_time_between(cursor, until)))
    elapsed = sum((s.counted for s in spans if s.state == "running"), timedelta(0))
    paused = sum((s.counted for s in spans if s.state == "paused"), timedelta(0))
    paused_now = restored_at is None and any(
        p.start <= now and (p.end is None or p.end > now) for p in facts.pauses)
    return ClockReading(start, reason, until, elapsed, paused, restored_at is not None, paused_now,
                        due, tuple(spans))


def _merged_pauses(pauses: Iterable[Pause], start: datetime, until: datetime,
                   now: datetime) -> list[tuple[datetime, datetime]]:
    """Pauses clipped to ``[start, until]`` and merged; an open pause runs until ``until``."""
    clipped = []
    for pause in pauses:
        if pause.start > now:
            continue
        end = pause.end if pause.end is not None and pause.end <= now else until
        lo, hi = max(pause.start, start), min(end, until)
        if hi > lo:
            clipped.append((lo, hi))
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(clipped):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


@dataclass(frozen=True)
class TargetStatus:
    target: Target
    left: timedelta                 # negative once breached
    deadline: datetime | None       # when the target falls if the clock keeps running
    breached: bool


def target_status(reading: ClockReading, target: Target, counting: BusinessCalendar) -> TargetStatus:
    left = target.duration - reading.elapsed
    deadline = None
    if reading.running and left > timedelta(0):
        deadline = counting.add_business_time(reading.until, left)
    return TargetStatus(target, left, deadline, left < timedelta(0))


# --------------------------------------------------------------------------- bands


def penalty_bands(restoration, access: str) -> list[Band]:
    """The penalty table of an access type (VGA §5.2 has one for analogue lines, one for ISDN),
    or the bands that hold for every access."""
    own = [band for band in restoration.penalty_bands if band.access == access]
    return own or [band for band in restoration.penalty_bands if band.access is None]


def band_for(bands: Sequence[Band], value: Decimal) -> Band | None:
    """The band holding ``value`` (bounds inclusive or not, as the sheet says), or ``None``."""
    for band in bands:
        above = (band.lower is None or value > band.lower
                 or (band.lower_inclusive and value == band.lower))
        below = (band.upper is None or value < band.upper
                 or (band.upper_inclusive and value == band.upper))
        if above and below:
            return band
    return None


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return money(amount * percent / HUNDRED)


# --------------------------------------------------------------------------- GTR penalties


@dataclass(frozen=True)
class RestorationCase:
    """A restored ticket of the month, as the penalty rule needs it."""

    ticket_ref: str
    restoration_time: timedelta     # counted in the target's unit
    target: Target
    excusable_event: str | None = None
    in_scope: bool | None = None
    anomaly: str | None = None      # major | minor | None (not qualified yet)
    # The monthly fees in force on the day of the call (a change order moves them within the
    # month); None: the month's amount.
    monthly_amount: Decimal | None = None


@dataclass(frozen=True)
class CaseOutcome:
    ticket_ref: str
    restoration_time: timedelta
    target: Target
    breached: bool
    percent: Decimal | None
    reason: str                      # why no penalty, or the band applied


def restoration_penalties(levels: ServiceLevels, cases: Sequence[RestorationCase],
                          monthly_amount: Decimal, service: str) -> tuple[Explained, tuple[CaseOutcome, ...]]:
    """Penalties of one service at one site for one month (VGA §5.2, §5.4, §5.6), as credits."""
    restoration = levels.restoration
    explained = Explained()
    outcomes = []
    for case in cases:
        outcome = _outcome(levels, case)
        outcomes.append(outcome)
        if outcome.percent is None:
            if outcome.breached:
                explained = explained.with_note(msg("{ticket}: {reason}", ticket=case.ticket_ref,
                                                    reason=outcome.reason))
            continue
        band = band_for(penalty_bands(restoration, case.target.access),
                        hours_of(case.restoration_time))
        base = monthly_amount if case.monthly_amount is None else case.monthly_amount
        amount = percent_of(base, outcome.percent)
        explained = explained.plus(Line(
            label=msg("Restoration-time penalty {ref} ({service})", ref=case.ticket_ref,
                      service=service),
            amount=-amount,
            formula=msg("TR {duration} > {hours} h target, band {band}: {percent} % × {amount}",
                        duration=duration_text(case.restoration_time),
                        hours=_num(case.target.hours), band=band_text(band),
                        percent=_num(outcome.percent),
                        amount=msg("{amount} monthly fees in force on the day of the call",
                                   amount=base)
                        if case.monthly_amount is not None and base != monthly_amount else base),
            clause=str(band.src)))
    return _capped(explained, restoration.cap_percent, monthly_amount,
                   msg("Cap on restoration-time penalties per site and month")), tuple(outcomes)


def _outcome(levels: ServiceLevels, case: RestorationCase) -> CaseOutcome:
    breached = case.restoration_time > case.target.duration

    def none(reason: str) -> CaseOutcome:
        return CaseOutcome(case.ticket_ref, case.restoration_time, case.target, breached, None, reason)

    if not breached:
        return none(msg("within target"))
    if case.excusable_event:
        clause = levels.excusable_events.clause if levels.excusable_events else ""
        return none(msg("excusable event ({event}): no penalty {clause}", event=case.excusable_event,
                        clause=clause) if clause else
                    msg("excusable event ({event}): no penalty", event=case.excusable_event))
    if case.in_scope is False:
        return none(msg("outside the operator's scope: no penalty"))
    if case.anomaly == "minor":
        return none(msg("minor anomaly, not an interruption: no restoration-time penalty"))
    if not case.target.penalised:
        clause = levels.restoration.objective_only.clause if levels.restoration.objective_only else ""
        return none(msg("target {label} is tracked without penalty {clause}",
                        label=case.target.label, clause=clause) if clause else
                    msg("target {label} is tracked without penalty", label=case.target.label))
    band = band_for(penalty_bands(levels.restoration, case.target.access),
                    hours_of(case.restoration_time))
    if band is None:
        return none(msg("no penalty band for {duration}",
                        duration=duration_text(case.restoration_time)))
    return CaseOutcome(case.ticket_ref, case.restoration_time, case.target, True, band.percent,
                       msg("band {band}: {percent} %", band=band_text(band),
                           percent=_num(band.percent)))


def _capped(explained: Explained, cap: Sourced[Decimal] | None, monthly_amount: Decimal,
            label: str) -> Explained:
    """Credits are negative: the cap adds back what exceeds ``cap % × monthly amount``."""
    if cap is None or not explained.lines:
        return explained
    ceiling = percent_of(monthly_amount, cap.value)
    owed = -explained.total
    if owed <= ceiling:
        return explained
    return explained.plus(Line(
        label=label, amount=owed - ceiling,
        formula=msg("{owed} owed, capped at {percent} % × {amount} = {ceiling}", owed=owed,
                    percent=_num(cap.value), amount=monthly_amount, ceiling=ceiling),
        clause=cap.clause))


# --------------------------------------------------------------------------- availability


@dataclass(frozen=True)
class OutageFact:
    """A total outage of the service (a degraded service is not an outage)."""

    start: datetime
    end: datetime
    excluded_reason: str | None = None     # excusable event or customer not cooperating


@dataclass(frozen=True)
class AvailabilityResult:
    applicable: bool
    period_start: datetime
    period_end: datetime
    total: timedelta = timedelta(0)
    down: timedelta = timedelta(0)
    excluded: timedelta = timedelta(0)
    percent: Decimal | None = None
    band: Band | None = None
    objective: Decimal | None = None
    objective_met: bool | None = None
    objective_only: bool = False
    credit: Explained = field(default_factory=Explained)
    notes: tuple[str, ...] = ()


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """``[first day 00:00, first day of next month 00:00)`` in Paris time."""
    first = month.replace(day=1)
    last_day = month_calendar.monthrange(first.year, first.month)[1]
    following = first + timedelta(days=last_day)
    return (datetime.combine(first, time(0), tzinfo=PARIS),
            datetime.combine(following, time(0), tzinfo=PARIS))


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def probation_end(levels: ServiceLevels | None, go_live: date | None) -> date | None:
    """End of the probation phase (*phase probatoire*, hosting §3.2), counted from go-live."""
    if not has_service_level(levels) or levels.availability is None or go_live is None:
        return None
    months = levels.availability.probation_months
    return add_months(go_live, months.value) if months is not None else None


def measure(outages: Iterable[OutageFact], start: datetime, end: datetime,
            counting: BusinessCalendar) -> tuple[timedelta, timedelta, timedelta]:
    """(total, counted outage, excluded outage) time over ``[start, end)``, overlaps merged."""
    counted = _union((o.start, o.end) for o in outages if not o.excluded_reason)
    excluded = _union((o.start, o.end) for o in outages if o.excluded_reason)
    down = sum((counting.business_time_between(max(a, start), min(b, end)) for a, b in counted),
               timedelta(0))
    # Time both excluded and counted is counted once, as an outage.
    excluded_only = sum((counting.business_time_between(max(a, start), min(b, end))
                         for a, b in excluded), timedelta(0))
    overlap = sum((counting.business_time_between(max(a, c, start), min(b, d, end))
                   for a, b in counted for c, d in excluded), timedelta(0))
    return counting.business_time_between(start, end), down, excluded_only - overlap


def _union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(i for i in intervals if i[1] > i[0]):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def availability_percent(total: timedelta, down: timedelta) -> Decimal:
    """``(total − down) / total × 100``, exact to the microsecond (no rounding before the bands)."""
    total_us = Decimal(total // timedelta(microseconds=1))
    down_us = Decimal(down // timedelta(microseconds=1))
    return (total_us - down_us) / total_us * HUNDRED


def _measured(levels: ServiceLevels, outages: Sequence[OutageFact], start: datetime,
              end: datetime) -> tuple[tuple[timedelta, timedelta, timedelta], str]:
    """What the rate counts, as the sheet says: every minute of the period, the objective's
    coverage hours (the desk's *heures ouvrées* when the sheet names none), or whichever of the
    two gives the lower availability."""
    availability = levels.availability
    over = availability.measured_over.value if availability.measured_over else "all_minutes"
    every = measure(outages, start, end, counting_calendar(levels, DayCount.around_the_clock))
    if over == "all_minutes":
        return every, msg("every minute")
    hours = availability.coverage_hours or levels.support_hours
    if hours is None:
        raise RuleRefusal(Refused.no_coverage_hours, "service_levels.availability.coverage_hours",
                          "the rate is measured over a coverage window but the sheet gives "
                          "no hours")
    window = measure(outages, start, end, BusinessCalendar(OpeningHours.from_mapping(hours.value)))
    if over == "coverage_window" or window[0] <= timedelta(0):
        return window, msg("the coverage hours")
    if availability_percent(window[0], window[1]) < availability_percent(every[0], every[1]):
        return window, msg("the coverage hours (lower than over every minute)")
    return every, msg("every minute (lower than over the coverage hours)")


def monthly_availability(levels: ServiceLevels | None, month: date, outages: Sequence[OutageFact],
                         monthly_amount: Decimal, service: str,
                         go_live: date | None = None) -> AvailabilityResult:
    """The month's availability, its band and credit (or the objective-only rate over the
    sheet's window ending with the month, reported without credit)."""
    month_start, month_end = month_bounds(month)
    availability = levels.availability if has_service_level(levels) else None
    if availability is None:
        return AvailabilityResult(False, month_start, month_end,
                                  notes=("no availability objective for this service",))
    objective_only = bool(availability.objective_only and availability.objective_only.value)
    start, end = month_start, month_end
    if objective_only and availability.objective_months is not None:
        start, _ = month_bounds(add_months(month, 1 - availability.objective_months.value))
    notes: list[str] = []
    ends = probation_end(levels, go_live)
    if ends is not None:
        probation_until = datetime.combine(ends, time(0), tzinfo=PARIS)
        clause = availability.probation_months.clause
        if probation_until >= end:
            return AvailabilityResult(False, start, end, notes=(
                msg("probation phase until {date}: no SLA ({clause})", date=ends, clause=clause),))
        if probation_until > start:
            start = probation_until
            notes.append(msg("probation phase until {date}: measured from then ({clause})",
                             date=ends, clause=clause))
    (total, down, excluded), basis = _measured(levels, outages, start, end)
    if availability.measured_over is not None:
        notes.append(msg("measured over {basis} ({clause})", basis=basis,
                         clause=availability.measured_over.clause))
    if total <= timedelta(0):
        return AvailabilityResult(False, start, end,
                                  notes=(*notes, msg("no counted time in the period")))
    percent = availability_percent(total, down)
    objective = availability.objective_percent.value if availability.objective_percent else None
    met = None if objective is None else percent >= objective
    if excluded:
        notes.append(msg("{duration} of outage excluded (excusable events, customer not "
                         "cooperating)", duration=duration_text(excluded)))
    if objective_only:
        notes.append(msg("objective {percent} % reported without penalty ({clause})",
                         percent=_num(objective), clause=availability.objective_only.clause))
        return AvailabilityResult(True, start, end, total, down, excluded, percent, None, objective,
                                  met, True, Explained(), tuple(notes))
    band = band_for(availability.bands, percent)
    credit = Explained()
    if band is not None and band.percent > 0:
        amount = percent_of(monthly_amount, band.percent)
        credit = credit.plus(Line(
            label=msg("Availability credit {month} ({service})", month=f"{month:%Y-%m}",
                      service=service), amount=-amount,
            formula=msg("({total} − {down} min) / {total_again} min = {percent} %, band {band}: "
                        "{rate} % × {amount}", total=minutes_text(total), down=minutes_text(down),
                        total_again=minutes_text(total), percent=percent_text(percent),
                        band=band_text(band), rate=_num(band.percent), amount=monthly_amount),
            clause=str(band.src)))
        credit = _capped(credit, availability.cap_percent, monthly_amount,
                         msg("Cap on availability credits"))
    if availability.sole_remedy and availability.sole_remedy.value:
        notes.append(msg("sole remedy ({clause})", clause=availability.sole_remedy.clause))
    return AvailabilityResult(True, start, end, total, down, excluded, percent, band, objective, met,
                              False, credit, tuple(notes))


# --------------------------------------------------------------------------- the month of a service


@dataclass(frozen=True)
class MonthReport:
    """One service at one site for one month: availability, restoration outcomes and what the
    customer may claim (penalties and credits are negative amounts)."""

    month: date
    service: str
    monthly_amount: Decimal
    has_service_level: bool
    availability: AvailabilityResult
    outcomes: tuple[CaseOutcome, ...]
    penalties: Explained
    claim_deadline: date | None

    @property
    def breaches(self) -> tuple[CaseOutcome, ...]:
        return tuple(o for o in self.outcomes if o.breached)

    @property
    def total(self) -> Decimal:
        return money(self.penalties.total + self.availability.credit.total)


def month_report(levels: ServiceLevels | None, month: date, service: str, monthly_amount: Decimal,
                 cases: Sequence[RestorationCase], outages: Sequence[OutageFact],
                 go_live: date | None) -> MonthReport:
    availability = monthly_availability(levels, month, outages, monthly_amount, service, go_live)
    if has_service_level(levels) and levels.restoration is not None:
        penalties, outcomes = restoration_penalties(levels, cases, monthly_amount, service)
    else:
        penalties, outcomes = Explained(), ()
    return MonthReport(month.replace(day=1), service, monthly_amount, has_service_level(levels),
                       availability, outcomes, penalties, claim_deadline(levels, month))


# --------------------------------------------------------------------------- claims


def claim_deadline(levels: ServiceLevels | None, month: date) -> date | None:
    """Last day to claim the month's availability credit: the sheet's window after the month
    (``30 Jours``; the sheet says whether they are calendar or business days)."""
    if not has_service_level(levels) or levels.availability is None:
        return None
    window = levels.availability.claim_window_days
    if window is None:
        return None
    counted = (levels.availability.claim_window_counted_in.value
               if levels.availability.claim_window_counted_in else DayCount.calendar)
    last_day = month_bounds(month)[1].date() - timedelta(days=1)
    return BusinessCalendar(OpeningHours.around_the_clock()).add_days(
        last_day, window.value, counted.day_kind)


class ClaimStanding(StrEnum):
    """Where a month's penalties and credits stand for the customer."""

    nothing_due = "nothing_due"        # no penalty, no credit: nothing to claim
    to_claim = "to_claim"              # owed, not yet claimed, the window still open
    claimed = "claimed"
    window_closed = "window_closed"    # owed, never claimed, the sheet's window has passed


def claim_standing(total: Decimal, deadline: date | None, claimed_on: date | None,
                   today: date) -> ClaimStanding:
    """A month's standing: what is owed (``total`` < 0 is owed to the customer) is claimed, to
    claim until ``deadline`` (the sheet's window, :func:`claim_deadline`), or lost after it."""
    if not total:
        return ClaimStanding.nothing_due
    if claimed_on is not None:
        return ClaimStanding.claimed
    if deadline is not None and today > deadline:
        return ClaimStanding.window_closed
    return ClaimStanding.to_claim


def restoration_claim_refusal(levels: ServiceLevels, claims_this_year: int) -> str | None:
    """Why a penalty calculation is refused (VGA §5.6: "qu'une fois par an"), or ``None``."""
    limit = levels.restoration.claims_per_year if levels.restoration else None
    if limit is None or claims_this_year < limit.value:
        return None
    return (f"the restoration-time penalties may be claimed {limit.value} time(s) a year and "
            f"{claims_this_year} claim(s) were already made this year ({limit.clause})")


def is_billable(levels: ServiceLevels | None, in_scope: bool | None, misuse: bool) -> bool:
    """A ticket outside the operator's scope or caused by misuse may be billed (VGA §5.8)."""
    flag = levels.wrongly_opened_ticket_billable if levels is not None else None
    return bool(flag and flag.value) and (in_scope is False or misuse)


# --------------------------------------------------------------------------- formatting


def hours_of(duration: timedelta) -> Decimal:
    return Decimal(duration // timedelta(microseconds=1)) / Decimal(3_600_000_000)


def duration_text(duration: timedelta) -> str:
    minutes = int(duration // MINUTE)
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours} h {rest:02d}"


def minutes_text(duration: timedelta) -> str:
    return _num(Decimal(duration // timedelta(seconds=1)) / 60)


def percent_text(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.001")), "f").replace(".", ",")


def band_text(band: Band | None) -> str:
    if band is None:
        return "none"
    lower = "" if band.lower is None else f"{_num(band.lower)} {'≤' if band.lower_inclusive else '<'} "
    upper = "" if band.upper is None else f" {'≤' if band.upper_inclusive else '<'} {_num(band.upper)}"
    return f"{lower}x{upper}"


def _num(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")


# --------------------------------------------------------------------------- notices

# A ticket's events as its notices name them (their English is the code's words).
NOTICE_LABELS = {"opened": msg("opened"), "qualified": msg("qualified"),
                 "confirmed": msg("confirmed"), "access_requested": msg("access requested"),
                 "access_given": msg("access given"), "restored": msg("restored"),
                 "closed": msg("closed")}


def notice_texts(ref: str, state: str, at: datetime, description: str) -> tuple[str, str]:
    """The subject and body of the notice of a ticket's event to the people kept informed
    (VGA §5.7, §5.9), messages naming the event by its label."""
    label = NOTICE_LABELS.get(state) or state.replace("_", " ")
    return (msg("[{ref}] {state}", ref=ref, state=label),
            msg("Ticket {ref}: {state} at {at}.\n{description}", ref=ref, state=label,
                at=at.isoformat(timespec="minutes"), description=description))
