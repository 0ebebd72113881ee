"""Personal data rules: retention periods and due dates, legal holds, data-subject deadlines, the
sub-processor timeline, audit requests, what the law requires keeping and what may be erased.

Pure: no database, no clock, no I/O. Operator figures come from the sheet (``retention`` and
``privacy`` blocks); the few figures set by law (GDPR art. 12(3), Code de commerce L123-22) are
below with their article, because no operator can change them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum, auto

from dateutil.relativedelta import relativedelta

from clausier.core.calendar import BusinessCalendar, DayKind, OpeningHours
from clausier.core.errors import RefusalCode, RuleRefusal
from clausier.terms.schema import (DayCount, Privacy, PrivacyFigures, PrivacyFlags, RetentionRule,
                                   Sourced, Terms)

# Unqualified "jours" of the GDPR annex are business days (reading T-D-JOURS); public holidays
# are those of metropolitan France.
FRENCH_DAYS = BusinessCalendar(OpeningHours.heures_ouvrees())


class Refused(RefusalCode):
    """What the privacy desk refuses (privacy.service)."""

    legal_hold_without_reason = auto()
    legal_hold_already_placed = auto()
    privacy_subject_unknown = auto()
    erasure_under_legal_hold = auto()
    subject_request_kind_unknown = auto()
    subject_request_role_unknown = auto()
    subject_request_requester_missing = auto()
    subject_request_contact_of_another_customer = auto()
    subject_request_subject_missing = auto()
    subject_request_already_answered = auto()
    subject_request_note_missing = auto()
    subject_request_status_unknown = auto()
    sub_processor_name_missing = auto()
    sub_processor_already_listed = auto()
    sub_processor_change_too_early = auto()
    objection_already_made = auto()
    objection_already_closed = auto()
    objection_outcome_unknown = auto()
    objection_termination_not_essential = auto()
    objection_talks_not_over = auto()
    breach_nature_missing = auto()
    breach_data_category_unknown = auto()
    breach_notice_incomplete = auto()
    end_of_contract_choice_unknown = auto()
    end_of_contract_already_handled = auto()
    end_of_contract_services_live = auto()
    # refused by the rules below
    retention_period_unstated = auto()
    retention_override_empty = auto()
    retention_override_negative = auto()
    retention_override_longer = auto()
    legal_obligation_unknown = auto()
    extension_reason_missing = auto()
    extension_already_granted = auto()
    extension_informed_too_late = auto()
    privacy_figure_unstated = auto()
    objection_before_notice = auto()
    objection_window_closed = auto()
    breach_detected_after_notice = auto()


class RequestStatus(StrEnum):
    """A data-subject request (RGPD art. 12): open until answered (or refused)."""

    OPEN = "open"
    ANSWERED = "answered"
    REFUSED = "refused"


class ChangeNoticeStatus(StrEnum):
    """A customer's notice of a sub-processor change: sent, then objected to (or not: silence
    is acceptance)."""

    SENT = "sent"
    OBJECTED = "objected"


class ObjectionStatus(StrEnum):
    """An objection to a sub-processor change: talks, then resolved, withdrawn or terminated."""

    TALKS = "talks"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    TERMINATED = "terminated"

DATA_SUBJECT_REQUEST_KINDS = ("access", "rectification", "erasure", "restriction", "portability",
                              "objection")

# Personal-data categories a column may be marked with (``info={"personal": ...}``); the first
# four are those of the GDPR annex A.1 (L10275-10287); bank details (a mandate's IBAN) are the
# operator's own, as controller.
PERSONAL_CATEGORIES = ("identity", "contact", "identification", "connection_and_usage",
                       "location", "content", "financial")


# --------------------------------------------------------------------------- retention

@dataclass(frozen=True)
class RetentionPeriod:
    """How long one kind of data is kept, from which event, and the clause that says so."""

    data: str
    months: int | None
    days: int | None
    counted_in: DayCount
    after: str
    clause: str
    can_only_shorten: bool = False

    @classmethod
    def of(cls, rule: RetentionRule) -> RetentionPeriod:
        if not rule.months and not rule.days:
            raise RuleRefusal(Refused.retention_period_unstated, f"retention.{rule.data}",
                              "states neither months nor days")
        return cls(rule.data, rule.months, rule.days, rule.counted_in, rule.after, str(rule.src),
                   rule.can_only_shorten)

    def describe(self) -> str:
        parts = []
        if self.months:
            parts.append(f"{self.months} month{'s' if self.months > 1 else ''}")
        if self.days:
            unit = {DayCount.ouvres: "business day", DayCount.ouvrables: "working day"}.get(
                self.counted_in, "day")
            parts.append(f"{self.days} {unit}{'s' if self.days > 1 else ''}")
        return f"{' + '.join(parts)} after {self.after.replace('_', ' ')}"

    def end(self, start: date) -> date:
        """The first day on which data whose period started on ``start`` is due for deletion."""
        day = start + relativedelta(months=self.months or 0)
        if self.days:
            day = FRENCH_DAYS.add_days(day, self.days, self.counted_in.day_kind)
        return day

    def is_due(self, start: date, today: date) -> bool:
        return self.end(start) <= today

    def cutoff(self, today: date) -> date:
        """The latest start day that is due on ``today``: data started on or before it go."""
        day = today - relativedelta(months=self.months or 0) - timedelta(days=self.days or 0)
        # business days and month ends (31 Aug + 6 months = 28 Feb): settle on the boundary
        while self.end(day) > today:
            day -= timedelta(days=1)
        while self.end(day + timedelta(days=1)) <= today:
            day += timedelta(days=1)
        return day

    def shortened(self, *, months: int | None = None, days: int | None = None,
                  reference: date) -> RetentionPeriod:
        """A customer's shorter period (CX §3.2: recordings 'can be reduced'). Longer is refused
        when the sheet says the period can only be shortened."""
        if not months and not days:
            raise RuleRefusal(Refused.retention_override_empty, "months",
                              "give months or days (a positive number)")
        if (months or 0) < 0 or (days or 0) < 0:
            raise RuleRefusal(Refused.retention_override_negative,
                              "months" if (months or 0) < 0 else "days", "cannot be negative")
        shorter = RetentionPeriod(self.data, months, days,
                                  DayCount.calendar if days else self.counted_in, self.after,
                                  self.clause, self.can_only_shorten)
        if self.can_only_shorten and shorter.end(reference) > self.end(reference):
            raise RuleRefusal(Refused.retention_override_longer, self.data,
                              f"the period can only be shortened below {self.describe()} "
                              f"({self.clause}); {shorter.describe()} is longer")
        return shorter


@dataclass(frozen=True)
class RuleInForce:
    """One retention rule of an operator's sheet and the families it governs: what a purger is
    called with. ``families`` empty means every family of the operator."""

    operator_id: int
    operator_code: str
    sheet_id: str
    period: RetentionPeriod
    families: tuple[str, ...] = ()

    @property
    def data(self) -> str:
        return self.period.data

    @property
    def clause(self) -> str:
        return self.period.clause

    def describe(self) -> str:
        scope = f" ({', '.join(self.families)})" if self.families else ""
        return (f"{self.operator_code}: {self.data} {self.period.describe()}{scope} — "
                f"{self.clause}")


def rules_in_force(operator_id: int, operator_code: str, sheet_id: str, general: Terms,
                   families: dict[str, Terms]) -> list[RuleInForce]:
    """The distinct retention rules of a sheet: a rule that every family states the same way is
    one rule; a rule some families state (recordings in CX) names them."""
    by_period: dict[RetentionPeriod, list[str]] = {}
    for family, terms in sorted(families.items()):
        for rule in terms.retention.rules if terms.retention else ():
            by_period.setdefault(RetentionPeriod.of(rule), []).append(family)
    if not families and general.retention:
        by_period = {RetentionPeriod.of(rule): [] for rule in general.retention.rules}
    out = []
    for period, named in by_period.items():
        scope = () if set(named) == set(families) else tuple(named)
        out.append(RuleInForce(operator_id, operator_code, sheet_id, period, scope))
    return sorted(out, key=lambda r: (r.data, r.families))


# The unit of a purge line that Clausier did not delete itself: a deletion for staff to carry
# out on the operator's platform (not counted as deleted in the run's total).
ON_PLATFORM = "to delete by hand"


@dataclass(frozen=True)
class Purged:
    """What a purger deleted for a rule: ``count`` items of ``unit``; ``held`` items of customers
    under a legal hold were kept."""

    data: str
    what: str
    count: int
    unit: str = "rows"
    held: int = 0
    detail: str = ""

    def as_dict(self) -> dict:
        return {"data": self.data, "what": self.what, "count": self.count, "unit": self.unit,
                "held": self.held, "detail": self.detail}


def held_out(customer_ids: Iterable[int | None], held: frozenset[int]) -> tuple[list, list]:
    """Split customer ids into (may be purged, kept by a legal hold)."""
    free, kept = [], []
    for customer_id in customer_ids:
        (kept if customer_id in held else free).append(customer_id)
    return free, kept


# --------------------------------------------------------------------------- legal obligations

@dataclass(frozen=True)
class LegalObligation:
    """Data the law requires keeping, whatever the person asks."""

    key: str
    years: int
    basis: str
    what: str

    def kept_until(self, dated: date) -> date:
        return dated + relativedelta(years=self.years)


# A table or column is tied to an obligation by ``info={"kept_for": "accounting"}`` (table) or
# ``info={"personal": ..., "needed_for": "accounting"}`` (a column the kept records need).
LEGAL_OBLIGATIONS = {
    "accounting": LegalObligation(
        "accounting", 10, "Code de commerce art. L123-22",
        "invoices, accounting records and their supporting documents (10 years)"),
    # the proof of compliance (requests answered, notices sent, holds); the five years are the
    # limitation period of the actions the proof answers (Code civil art. 2224)
    "accountability": LegalObligation(
        "accountability", 5, "RGPD art. 5(2); Code civil art. 2224",
        "records proving how personal data were handled (5 years)"),
}


def obligation(key: str) -> LegalObligation:
    try:
        return LEGAL_OBLIGATIONS[key]
    except KeyError:
        raise RuleRefusal(Refused.legal_obligation_unknown, "kept_for",
                          f"{key!r} is not a known legal obligation "
                          f"({', '.join(LEGAL_OBLIGATIONS)})") from None


@dataclass(frozen=True)
class ColumnFacts:
    name: str
    category: str
    nullable: bool
    needed_for: str | None = None
    unique: bool = False


@dataclass(frozen=True)
class TableFacts:
    """What the erasure needs to know of one table holding rows about the person."""

    name: str
    rows: int
    columns: tuple[ColumnFacts, ...]
    kept_for: str | None = None           # the whole table is kept under this obligation
    latest_record: date | None = None     # date of its newest row (for the keeping period)


@dataclass(frozen=True)
class ColumnDecision:
    table: str
    column: str
    action: str          # erase | pseudonymise | keep
    reason: str

    def as_dict(self) -> dict:
        return {"table": self.table, "column": self.column, "action": self.action,
                "reason": self.reason}


def erasure_plan(tables: Iterable[TableFacts], obligations_in_force: dict[str, date],
                 today: date) -> list[ColumnDecision]:
    """For each table about the person: kept whole when the law requires keeping it (column
    ``*``); else for each personal column: keep it when kept records need it, pseudonymise it
    when it must stay filled (a name, a unique login), erase it otherwise. ``obligations_in_force``
    maps an obligation to the day of the person's newest record under it: records older than the
    keeping period bind nothing."""
    binding = {key: LEGAL_OBLIGATIONS[key] for key, latest in obligations_in_force.items()
               if LEGAL_OBLIGATIONS[key].kept_until(latest) > today}
    decisions = []
    for table in tables:
        if table.kept_for in binding:
            law = binding[table.kept_for]
            until = law.kept_until(obligations_in_force[law.key])
            decisions.append(ColumnDecision(table.name, "*", "keep",
                                            f"{law.what}: kept until {until} — {law.basis}"))
            continue
        for column in table.columns:
            if column.needed_for in binding:
                law = binding[column.needed_for]
                decisions.append(ColumnDecision(table.name, column.name, "keep",
                                                f"needed by the {law.what} — {law.basis}"))
            elif (column.category == "identity" or column.unique) and not column.nullable:
                decisions.append(ColumnDecision(table.name, column.name, "pseudonymise",
                                                "no legal obligation requires it; the row stays "
                                                "for the records that point to it"))
            else:
                decisions.append(ColumnDecision(table.name, column.name, "erase",
                                                "no legal obligation requires it"))
    return decisions


def pseudonym(table: str, row_id: object) -> str:
    return f"erased-{table}-{row_id}"


# --------------------------------------------------------------------------- data-subject requests

# GDPR art. 12(3): one month, extendable by two further months; law, not an operator figure,
# used when the operator's sheet states none (Technicophone restates it, Annexe 1 B.1.e).
GDPR_REPLY = (1, 2, 1, "RGPD art. 12(3)")


@dataclass(frozen=True)
class RequestDeadline:
    received_on: date
    due_on: date
    clause: str
    extension_possible_until: date   # the reasons for an extension must be given by then
    extended_due_on: date | None = None
    extension_reason: str = ""

    @property
    def deadline(self) -> date:
        return self.extended_due_on or self.due_on

    def as_dict(self) -> dict:
        return {"received_on": self.received_on.isoformat(), "due_on": self.due_on.isoformat(),
                "extended_due_on": self.extended_due_on and self.extended_due_on.isoformat(),
                "extension_reason": self.extension_reason, "deadline": self.deadline.isoformat(),
                "extension_possible_until": self.extension_possible_until.isoformat(),
                "clause": self.clause}


def _reply_figures(privacy: Privacy | None) -> tuple[int, int, int, str]:
    figures = privacy.figures if privacy else PrivacyFigures()
    reply = figures.data_subject_reply_months
    if reply is None:
        return GDPR_REPLY
    extension = figures.data_subject_extension_months
    within = figures.data_subject_extension_reasons_within_months
    return (int(reply.value), int(extension.value) if extension else GDPR_REPLY[1],
            int(within.value) if within else int(reply.value), reply.clause)


def request_deadline(received_on: date, privacy: Privacy | None) -> RequestDeadline:
    reply, _, within, clause = _reply_figures(privacy)
    return RequestDeadline(received_on, received_on + relativedelta(months=reply), clause,
                           received_on + relativedelta(months=within))


def extend_request(deadline: RequestDeadline, reason: str, informed_on: date,
                   privacy: Privacy | None) -> RequestDeadline:
    """Extend by the sheet's months: only with a reason, told to the person within the first
    month (Annexe 1 B.1.e L10658-10662; RGPD art. 12(3))."""
    _, extension, _, clause = _reply_figures(privacy)
    if not reason.strip():
        raise RuleRefusal(Refused.extension_reason_missing, "reason",
                          f"an extension must give its reasons ({clause})")
    if deadline.extended_due_on is not None:
        raise RuleRefusal(Refused.extension_already_granted, "extension",
                          f"the request was already extended to {deadline.extended_due_on} "
                          f"({clause})")
    if informed_on > deadline.extension_possible_until:
        raise RuleRefusal(Refused.extension_informed_too_late, "informed_on",
                          f"the reasons for an extension must be given by "
                          f"{deadline.extension_possible_until}, not {informed_on} ({clause})")
    return RequestDeadline(deadline.received_on, deadline.due_on, clause,
                           deadline.extension_possible_until,
                           deadline.due_on + relativedelta(months=extension), reason.strip())


# --------------------------------------------------------------------------- sub-processors

def _stated(figure: Sourced[Decimal] | None, name: str) -> tuple[int, str]:
    """A figure the rule cannot do without; refused, naming it, when the sheet is silent."""
    if figure is None:
        raise RuleRefusal(Refused.privacy_figure_unstated, f"privacy.figures.{name}",
                          "the operator's sheet does not state it")
    return int(figure.value), figure.clause


@dataclass(frozen=True)
class SubProcessorTimeline:
    """A change of sub-processor announced to one customer (Annexe 1 A.2.c)."""

    notified_on: date
    earliest_change_on: date           # the notice runs at least N days before the change
    objection_deadline: date           # silence until then is acceptance
    clauses: dict[str, str]
    objected_on: date | None = None
    talks_end_on: date | None = None   # after the talks the customer may terminate without fees
    termination_without_fees: bool = False

    def as_dict(self) -> dict:
        return {"notified_on": self.notified_on.isoformat(),
                "earliest_change_on": self.earliest_change_on.isoformat(),
                "objection_deadline": self.objection_deadline.isoformat(),
                "objected_on": self.objected_on and self.objected_on.isoformat(),
                "talks_end_on": self.talks_end_on and self.talks_end_on.isoformat(),
                "termination_without_fees": self.termination_without_fees,
                "clauses": self.clauses}

    def state_on(self, day: date) -> str:
        if self.objected_on is None:
            return "objection_window" if day <= self.objection_deadline else "accepted_by_silence"
        return "talks" if day <= self.talks_end_on else "may_terminate"


def subprocessor_timeline(notified_on: date, privacy: Privacy | None,
                          objected_on: date | None = None) -> SubProcessorTimeline:
    figures = privacy.figures if privacy else PrivacyFigures()
    notice, notice_clause = _stated(figures.subprocessor_change_notice_business_days,
                                    "subprocessor_change_notice_business_days")
    window, window_clause = _stated(figures.subprocessor_objection_window_business_days,
                                    "subprocessor_objection_window_business_days")
    talks, talks_clause = _stated(figures.essential_subprocessor_talks_business_days,
                                  "essential_subprocessor_talks_business_days")
    deadline = FRENCH_DAYS.add_days(notified_on, window, DayKind.OUVRES)
    clauses = {"notice": notice_clause, "objection_window": window_clause, "talks": talks_clause}
    timeline = SubProcessorTimeline(
        notified_on, FRENCH_DAYS.add_days(notified_on, notice, DayKind.OUVRES), deadline, clauses)
    if objected_on is None:
        return timeline
    if objected_on < notified_on:
        raise RuleRefusal(Refused.objection_before_notice, "received_on",
                          f"the objection ({objected_on}) predates the notice ({notified_on})")
    if objected_on > deadline:
        raise RuleRefusal(Refused.objection_window_closed, "received_on",
                          f"the objection window closed on {deadline}; the change was accepted "
                          f"by silence ({window_clause})")
    flag = privacy.flags.subprocessor_objection_termination_without_fees
    if flag is not None:
        clauses["termination"] = flag.clause
    return SubProcessorTimeline(
        notified_on, timeline.earliest_change_on, deadline, clauses, objected_on,
        FRENCH_DAYS.add_days(objected_on, talks, DayKind.OUVRES), bool(flag and flag.value))


# --------------------------------------------------------------------------- audits

@dataclass(frozen=True)
class AuditDecision:
    accepted: bool
    reasons: tuple[str, ...]
    earliest_start: date
    clauses: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "reasons": list(self.reasons),
                "earliest_start": self.earliest_start.isoformat(), "clauses": list(self.clauses)}


def audit_decision(letter_received_on: date, starts_on: date, days: int,
                   previous_starts: Iterable[date], privacy: Privacy | None, *,
                   registered_letter: bool = True,
                   auditor_is_competitor: bool = False) -> AuditDecision:
    """An audit request (Annexe 1 A.2.g): N business days' notice by registered letter, at most
    M business days, at most one per window, never by a competitor."""
    figures = privacy.figures if privacy else PrivacyFigures()
    notice, notice_clause = _stated(figures.audit_notice_business_days,
                                    "audit_notice_business_days")
    longest, duration_clause = _stated(figures.audit_max_duration_business_days,
                                       "audit_max_duration_business_days")
    per_window, frequency_clause = _stated(figures.audits_per_window, "audits_per_window")
    window_months, _ = _stated(figures.audit_window_months, "audit_window_months")
    earliest = FRENCH_DAYS.add_days(letter_received_on, notice, DayKind.OUVRES)
    reasons = []
    if starts_on < earliest:
        reasons.append(f"{notice} business days' notice: the audit may start on {earliest} at "
                       f"the earliest ({notice_clause})")
    if days < 1 or days > longest:
        reasons.append(f"an audit lasts at most {longest} business days, not {days} "
                       f"({duration_clause})")
    if not FRENCH_DAYS.is_business_day(starts_on, DayKind.OUVRES):
        reasons.append(f"{starts_on} is not a business day ({duration_clause})")
    recent = [d for d in previous_starts if starts_on - relativedelta(months=window_months) < d
              <= starts_on]
    if len(recent) >= per_window:
        reasons.append(f"at most {per_window} audit per {window_months} months: one started on "
                       f"{max(recent)} ({frequency_clause})")
    flags = privacy.flags if privacy else PrivacyFlags()
    if registered_letter is False and flags.audit_by_registered_letter is not None:
        reasons.append(f"the request must come by registered letter "
                       f"({flags.audit_by_registered_letter.clause})")
    if auditor_is_competitor and flags.audit_by_competitor_excluded is not None:
        reasons.append(f"the auditor may not be a competitor "
                       f"({flags.audit_by_competitor_excluded.clause})")
    return AuditDecision(not reasons, tuple(reasons), earliest,
                         (notice_clause, duration_clause, frequency_clause))


# --------------------------------------------------------------------------- breaches and the end

def breach_notice_missing(contents: dict[str, str], privacy: Privacy | None) -> list[str]:
    """The items the sheet requires in a breach notice that are empty (Annexe 1 A.2.a)."""
    required = privacy.lists.breach_notice_contents if privacy else None
    return [item for item in (required.value if required else ())
            if not str(contents.get(item) or "").strip()]


@dataclass(frozen=True)
class BreachTiming:
    """When a breach notice goes out, measured from the detection: the delay is recorded, never
    held against an hour limit the clause does not state."""

    elapsed: timedelta
    text: str
    clause: str


def breach_notice_timing(detected_at: datetime, notified_at: datetime,
                         privacy: Privacy | None) -> BreachTiming:
    """Annexe 1 A.2.a: the processor informs the client of a breach "dans les meilleurs délais",
    with no hour figure. The notice states when the breach was detected and after how long it is
    notified; the GDPR's 72 hours bind the controller towards the CNIL, not this clause, and are
    not counted (reading T-GDPR-BREACH-DELAY)."""
    if notified_at < detected_at:
        raise RuleRefusal(Refused.breach_detected_after_notice, "detected_at",
                          f"the breach was detected at {detected_at.isoformat()}, "
                          f"after this notice ({notified_at.isoformat()})")
    soon = privacy.flags.breach_notified_as_soon_as_possible if privacy else None
    elapsed = notified_at - detected_at
    hours, rest = divmod(int(elapsed.total_seconds()) // 60, 60)
    wording = "as soon as possible" if soon is not None and soon.value else "without a stated delay"
    return BreachTiming(elapsed, f"notified {hours} h {rest:02d} min after detection ({wording})",
                        soon.clause if soon is not None else "GDPR art. 33(2)")


def end_of_contract_choices(privacy: Privacy | None) -> tuple[list[str], str]:
    """The controller's choices at the end of the contract (Annexe 1 A.2.e); deletion when the
    sheet says nothing, since no stated duty lets the operator keep the data."""
    listed = privacy.lists.end_of_contract_choices if privacy else None
    if listed is None:
        return ["delete"], "RGPD art. 28(3)(g)"
    return list(listed.value), listed.clause


# What the register says, as codes the pages and the CLI put in words (web/labels.py).
CONTROLLER_PURPOSE = "customer_relationship"
PROCESSOR_PURPOSE = "customer_instructions"


@dataclass
class Register:
    """One activity of the register of processing activities (RGPD art. 30), in codes: purpose,
    legal basis, people and recipients are codes; each retention item is a rule of the sheet
    (data, period, start, clause) or an obligation of the law (key, years, basis); the clauses
    are the terms of sale's."""

    operator: str
    role: str                 # processor | controller
    purpose: str
    legal_basis: str
    data_categories: list[str]
    data_subjects: list[str]
    retention: list[dict]
    recipients: list[str]
    sub_processors: list[str] = field(default_factory=list)
    clauses: list[str] = field(default_factory=list)
    administrator_is_controller: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def retention_item(rule: RuleInForce) -> dict:
    period = rule.period
    return {"data": period.data, "months": period.months, "days": period.days,
            "counted_in": str(period.counted_in), "after": period.after,
            "families": list(rule.families), "clause": period.clause}


def register_entries(operator_code: str, privacy: Privacy | None, categories: list[str],
                     retention: list[RuleInForce], sub_processors: list[str]) -> list[Register]:
    """An operator's activities: as controller of its customer relationship, and, when its sheet
    has a privacy annex, as processor of the data its customers entrust to the services. The
    clauses are those of the terms of sale: the retention rules' and the annex's."""
    kept = [retention_item(rule) for rule in retention]
    kept += [{"obligation": o.key, "years": o.years, "clause": o.basis}
             for o in LEGAL_OBLIGATIONS.values()]
    register_clause = privacy.flags.processing_register_kept if privacy else None
    controller_clauses = sorted({rule.clause for rule in retention}
                                | ({register_clause.clause} if register_clause else set()))
    entries = [Register(
        operator_code, "controller", CONTROLLER_PURPOSE, "contract_and_legal_obligation",
        categories, ["customers", "customer_contacts", "portal_users"], kept,
        ["operator_staff", "sub_processors", "authorities_on_legal_request"], sub_processors,
        controller_clauses)]
    if privacy is None:
        return entries
    listed = privacy.lists.processed_data_categories
    entries.append(Register(
        operator_code, "processor", PROCESSOR_PURPOSE, "controller_instructions",
        list(listed.value) if listed else categories, ["entrusted_people"], kept,
        ["customer_as_controller", "sub_processors"], sub_processors,
        sorted({v.clause for v in (*privacy.flags.stated().values(),
                                   *privacy.lists.stated().values())}),
        administrator_is_controller=privacy.flags.administrator_is_controller is not None))
    return entries
