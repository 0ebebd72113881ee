"""Use cases of personal data: the daily purge and its report, legal holds, shortened periods,
exports and erasures, data-subject requests, the register of processing activities,
sub-processor changes and objections, audits, breaches, and deletion or return at the end.

Rooms plug in without this room knowing their tables: personal columns and kept tables are
found in ``Base.metadata`` (``privacy.discovery``), and a room declares a purger for its
retention rule in its manifest (``retention_purgers``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import JSON, String, Text, delete, select, update
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.catalog import facts as catalog_facts
from clausier.catalog import service as catalog
from clausier.contracts import facts as contract_facts
from clausier.contracts import service as contracts
from clausier.contracts.statuses import SubscriptionStatus
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound, RuleRefusal, one_of
from clausier.core.message import Message, msg
from clausier.core.settings import Settings
from clausier.customers import facts as customer_facts
from clausier.customers import service as customers
from clausier.db.lookup import get_or_not_found
from clausier.privacy import discovery, rules
from clausier.privacy.models import (AuditRequest, BreachNotification, BreachRecord,
                                     DataSubjectRequest, EndOfContractDecision, LegalHold,
                                     Objection, PurgeReportLine, Recording, RetentionOverride,
                                     RetentionRun, SubProcessor, SubProcessorChange,
                                     SubProcessorNotice)
from clausier.rooms import ROOMS
from clausier.terms import service as terms
from clausier.terms.schema import Privacy, TermSheet

if TYPE_CHECKING:
    import polars as pl

USAGE_FILE = "usage_rated.csv"


def _files_dir(*parts: str) -> Path:
    folder = Settings.from_env().data_dir.joinpath("privacy", *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --------------------------------------------------------------------------- sheets

def _sheets(session: Session) -> list[tuple[catalog_facts.OperatorFacts, TermSheet]]:
    out = []
    for operator in catalog_facts.operators(session).values():
        try:
            out.append((operator, terms.get_sheet(session, operator.sheet_id)))
        except NotFound:
            continue
    return out


# The rules' refusals that are the terms' word (not allowed) rather than a bad value (invalid
# input naming the field).
_NOT_ALLOWED = frozenset({rules.Refused.retention_override_longer,
                          rules.Refused.extension_already_granted,
                          rules.Refused.extension_informed_too_late,
                          rules.Refused.privacy_figure_unstated,
                          rules.Refused.objection_window_closed})


def _checked(rule, *args, **kwargs):
    """Run a privacy rule; its refusal becomes the error it means."""
    try:
        return rule(*args, **kwargs)
    except RuleRefusal as exc:
        raise (exc.as_error(NotAllowed) if exc.code in _NOT_ALLOWED
               else exc.as_invalid_input()) from None


def privacy_terms(session: Session, operator_id: int) -> Privacy | None:
    operator = catalog.get_operator_by_id(session, operator_id)
    return terms.get_sheet(session, operator.sheet_id).general.privacy


def retention_rules(session: Session) -> list[rules.RuleInForce]:
    """Every operator's retention rules in force (its latest sheet version)."""
    out = []
    for operator, sheet in _sheets(session):
        families = {name: sheet.terms_for(name) for name in sheet.families}
        out.extend(_checked(rules.rules_in_force, operator.id, operator.code, sheet.id,
                            sheet.general, families))
    return out


# --------------------------------------------------------------------------- purge and holds

def held_customers(session: Session) -> frozenset[int]:
    return frozenset(customer_facts.customer_ids(session, legal_hold=True))


def purge(session: Session, clock: Clock, actor: Actor, day: date) -> RetentionRun:
    """Delete what is due on ``day`` under every retention rule, customers under a legal hold
    excepted, and write the purge report. Once per day: a second call returns the first run."""
    done = session.scalar(select(RetentionRun).where(RetentionRun.day == day))
    if done is not None:
        return done
    held = held_customers(session)
    run = RetentionRun(day=day, ran_at=clock.now(), actor=actor.name)
    session.add(run)
    session.flush()
    purgers = [purger for room in ROOMS for purger in room.retention_purgers()]
    for rule in retention_rules(session):
        results = [r for p in purgers if (r := p(session, clock, actor, rule, day, held)) is not None]
        if not results:
            session.add(_line(run, rule, rules.Purged(rule.data, "nothing stored by Clausier", 0,
                                                      detail="no purger handles this data")))
            continue
        found = [p for result in results for p in result]
        # every rule appears in the report, so that it shows what was checked
        for purged in found or [rules.Purged(rule.data, "nothing due", 0)]:
            session.add(_line(run, rule, purged))
            if purged.unit != rules.ON_PLATFORM:
                run.deleted += purged.count
            run.held += purged.held
    record(session, clock, actor, "privacy.purge", run,
           msg("{date}: {deleted} deleted, {held} kept by legal holds", date=day,
               deleted=run.deleted, held=run.held))
    return run


def _line(run: RetentionRun, rule: rules.RuleInForce, purged: rules.Purged) -> PurgeReportLine:
    return PurgeReportLine(run_id=run.id, operator=rule.operator_code, data=rule.data,
                           rule=rule.describe(), clause=rule.clause, what=purged.what,
                           count=purged.count, unit=purged.unit, held=purged.held,
                           detail=purged.detail)


def tick(session: Session, clock: Clock, actor: Actor, day: date) -> str:
    run = purge(session, clock, actor, day)
    return msg("purge: {deleted} deleted, {held} kept by legal holds", deleted=run.deleted,
               held=run.held)


def purge_report(session: Session, day: date | None = None) -> tuple[RetentionRun | None,
                                                                     list[PurgeReportLine]]:
    query = select(RetentionRun).order_by(RetentionRun.day.desc())
    if day is not None:
        query = query.where(RetentionRun.day == day)
    run = session.scalars(query).first()
    if run is None:
        return None, []
    lines = session.scalars(select(PurgeReportLine).where(PurgeReportLine.run_id == run.id)
                            .order_by(PurgeReportLine.id))
    return run, list(lines)


def list_runs(session: Session, limit: int = 60) -> list[RetentionRun]:
    return list(session.scalars(select(RetentionRun).order_by(RetentionRun.day.desc())
                                .limit(limit)))


def place_legal_hold(session: Session, clock: Clock, actor: Actor, customer_id: int,
                     reason: str, on: date) -> LegalHold:
    """Stop purges and erasures for a customer (litigation, authority request…)."""
    if not reason.strip():
        raise InvalidInput.on("reason", "a legal hold states why",
                              code=rules.Refused.legal_hold_without_reason)
    customer = customers.get_customer(session, customer_id)
    if customer.legal_hold:
        raise Conflict(f"customer: {customer.ref} is already under a legal hold",
                       code=rules.Refused.legal_hold_already_placed)
    customers.update_customer(session, clock, actor, customer_id, legal_hold=True)
    hold = LegalHold(customer_id=customer_id, placed_on=on, reason=reason.strip(),
                     placed_by=actor.name)
    session.add(hold)
    record(session, clock, actor, "privacy.hold.place", hold,
           msg("{ref}: {reason}", ref=customer.ref, reason=reason))
    return hold


def lift_legal_hold(session: Session, clock: Clock, actor: Actor, customer_id: int,
                    reason: str, on: date) -> LegalHold:
    hold = session.scalar(select(LegalHold).where(LegalHold.customer_id == customer_id,
                                                  LegalHold.lifted_on.is_(None)))
    customer = customers.get_customer(session, customer_id)
    if hold is None or not customer.legal_hold:
        raise NotFound(f"customer: {customer.ref} is under no legal hold", resource="legal_hold")
    customers.update_customer(session, clock, actor, customer_id, legal_hold=False)
    hold.lifted_on, hold.lifted_by, hold.lift_reason = on, actor.name, reason.strip()
    record(session, clock, actor, "privacy.hold.lift", hold,
           msg("{ref}: {reason}", ref=customer.ref, reason=reason))
    return hold


def list_legal_holds(session: Session) -> list[LegalHold]:
    """The holds in force, the newest first."""
    return list(session.scalars(select(LegalHold).where(LegalHold.lifted_on.is_(None))
                                .order_by(LegalHold.placed_on.desc(), LegalHold.id.desc())))


def _rule_for(session: Session, operator_id: int, data: str) -> rules.RuleInForce:
    for rule in retention_rules(session):
        if rule.operator_id == operator_id and rule.data == data:
            return rule
    raise NotFound(f"data: the operator's sheet has no retention rule for {data!r}",
                   resource="retention_rule")


def shorten_retention(session: Session, clock: Clock, actor: Actor, customer_id: int, data: str,
                      *, months: int | None = None, days: int | None = None, reason: str = "",
                      on: date) -> RetentionOverride:
    """The customer's shorter period for ``data`` (CX §3.2); longer than the sheet is refused."""
    customer = customers.get_customer(session, customer_id)
    rule = _rule_for(session, customer.operator_id, data)
    shorter = _checked(rule.period.shortened, months=months, days=days, reference=on)
    override = session.scalar(select(RetentionOverride).where(
        RetentionOverride.customer_id == customer_id, RetentionOverride.data == data))
    if override is None:
        override = RetentionOverride(customer_id=customer_id, data=data, clause=rule.clause,
                                     set_on=on, set_by=actor.name)
        session.add(override)
    override.months, override.days, override.reason = shorter.months, shorter.days, reason
    override.set_on, override.set_by = on, actor.name
    record(session, clock, actor, "privacy.retention.shorten", override,
           msg("{ref} {data}: {period} ({clause})", ref=customer.ref, data=data,
               period=_period_text(shorter), clause=rule.clause))
    return override


def _period_text(period: rules.RetentionPeriod) -> Message:
    """``RetentionPeriod.describe()`` as a message (its English is the same text)."""
    parts = []
    if period.months:
        parts.append(msg("{n} month" if period.months == 1 else "{n} months", n=period.months))
    if period.days:
        business = period.counted_in == rules.DayCount.ouvres
        working = period.counted_in == rules.DayCount.ouvrables
        one = period.days == 1
        parts.append(msg("{n} business day" if one else "{n} business days", n=period.days)
                     if business else
                     msg("{n} working day" if one else "{n} working days", n=period.days)
                     if working else
                     msg("{n} day" if one else "{n} days", n=period.days))
    text = parts[0] if len(parts) == 1 else msg("{first} + {second}", first=parts[0], second=parts[1])
    return msg("{length} after {event}", length=text, event=period.after.replace("_", " "))


def add_recording(session: Session, clock: Clock, actor: Actor, customer_id: int,
                  recorded_at: datetime, *, duration_seconds: int = 0, caller: str = "",
                  subscription_id: int | None = None, file_name: str = "") -> Recording:
    customers.get_customer(session, customer_id)
    recording = Recording(customer_id=customer_id, subscription_id=subscription_id,
                          recorded_at=recorded_at, duration_seconds=duration_seconds,
                          caller=caller, file_name=file_name)
    session.add(recording)
    record(session, clock, actor, "privacy.recording.add", recording, file_name)
    return recording


# --------------------------------------------------------------------------- export and erasure

def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _subject_row(session: Session, subject: str, subject_id: int):
    """The customer or contact (the customers room's row: the audit trail names it)."""
    get = {"customer": customers.get_customer, "contact": customers.get_contact}.get(subject)
    if get is None:
        raise InvalidInput.on("subject", f"{subject!r} is not one of customer, contact",
                              code=rules.Refused.privacy_subject_unknown)
    return get(session, subject_id)


def rated_usage(customer_id: int) -> pl.DataFrame:
    """The customer's rated usage records, every month the rating room keeps
    (``rating.store``: ``<data dir>/usage/rated/month=YYYY-MM/bucket=K.parquet``)."""
    # Polars: for the data exports, not for the other privacy commands.
    import polars as pl

    from clausier.rating.store import UsageStore

    base = UsageStore.default().root / "rated"
    months = []
    for folder in sorted(base.glob("month=*")) if base.exists() else ():
        files = sorted(folder.glob("bucket=*.parquet"))
        if files:
            months.append(pl.scan_parquet(files).filter(pl.col("customer_id") == customer_id)
                          .with_columns(pl.lit(folder.name.split("=", 1)[1]).alias("month")))
    if not months:
        return pl.DataFrame()
    frame = pl.concat(months, how="diagonal_relaxed").collect()
    return frame.select("month", *[c for c in frame.columns if c != "month"]).sort(
        "month", "start", "record_id")


def export_zip(session: Session, subject: str, subject_id: int) -> bytes:
    """Every row that concerns the subject, one JSON and one CSV file per table, a customer's
    rated usage (Parquet in the usage store) as CSV, and an index naming each table, its row
    count and how its rows reach the subject, and each file."""
    _subject_row(session, subject, subject_id)
    buffer = io.BytesIO()
    index = []
    files = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for route in discovery.routes(subject):
            columns = discovery.exported_columns(route.table)
            rows = [{c.name: _plain(row._mapping[c]) for c in columns}
                    for row in session.execute(route.rows_query(subject_id))]
            if not rows:
                continue
            index.append({"table": route.name, "rows": len(rows), "via": route.via})
            archive.writestr(_entry(f"{route.name}.json"),
                             json.dumps(rows, ensure_ascii=False, indent=2))
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=[c.name for c in columns])
            writer.writeheader()
            writer.writerows({k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list)
                              else v for k, v in row.items()} for row in rows)
            archive.writestr(_entry(f"{route.name}.csv"), text.getvalue())
        if subject == "customer" and (usage := rated_usage(subject_id)).height:
            archive.writestr(_entry(USAGE_FILE), usage.write_csv())
            files.append({"file": USAGE_FILE, "rows": usage.height,
                          "source": "usage/rated (Parquet), customer_id; amounts in "
                                    "micro-euros (price_micro, amount_micro)"})
        archive.writestr(_entry("index.json"), json.dumps(
            {"subject": subject, "id": subject_id, "tables": index, "files": files},
            ensure_ascii=False, indent=2))
    return buffer.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    # a fixed date: the same data give the same archive
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def export_customer_zip(session: Session, customer_id: int) -> bytes:
    """The customer's data as a ZIP (the portal's export calls this, guarded by the customer)."""
    return export_zip(session, "customer", customer_id)


@dataclass
class ErasureReport:
    subject: str
    subject_id: int
    decisions: list[rules.ColumnDecision]
    rows_changed: dict[str, int] = field(default_factory=dict)
    rows_deleted: dict[str, int] = field(default_factory=dict)

    @property
    def kept(self) -> list[rules.ColumnDecision]:
        return [d for d in self.decisions if d.action == "keep"]

    def as_dict(self) -> dict:
        return {"subject": self.subject, "id": self.subject_id,
                "decisions": [d.as_dict() for d in self.decisions],
                "rows_changed": self.rows_changed, "rows_deleted": self.rows_deleted}


def erase(session: Session, clock: Clock, actor: Actor, subject: str, subject_id: int,
          today: date, *, delete_processor_data: bool = False) -> ErasureReport:
    """Remove or pseudonymise every personal column about the subject that no legal obligation
    requires keeping; the report says, column by column, what was kept and why. With
    ``delete_processor_data`` (end of contract) the rows processed on the customer's behalf
    (tables marked ``processor_data``) are deleted as well."""
    row = _subject_row(session, subject, subject_id)
    customer = row if subject == "customer" else row.customer
    if customer.legal_hold:
        raise NotAllowed(f"customer: {customer.ref} is under a legal hold; nothing is erased",
                         code=rules.Refused.erasure_under_legal_hold)
    routes = discovery.routes(subject)
    facts = {r.name: discovery.table_facts(session, r, subject_id) for r in routes}
    in_force = discovery.obligations_in_force(list(facts.values()), today)
    concerned = [f for f in facts.values() if f.rows and (f.columns or f.kept_for)]
    report = ErasureReport(subject, subject_id, rules.erasure_plan(concerned, in_force, today))
    by_table: dict[str, list[rules.ColumnDecision]] = {}
    for decision in report.decisions:
        by_table.setdefault(decision.table, []).append(decision)
    for route in routes:
        changes = [d for d in by_table.get(route.name, []) if d.action != "keep"]
        if delete_processor_data and route.table.info.get("processor_data") and facts[route.name].rows:
            report.rows_deleted[route.name] = _delete_rows(session, route, subject_id)
        elif changes:
            report.rows_changed[route.name] = _blank(session, route, subject_id, changes)
    record(session, clock, actor, "privacy.erase", row,
           msg("{subject} {id}: {changed} rows changed, {deleted} deleted, {kept} kept",
               subject=subject, id=subject_id, changed=sum(report.rows_changed.values()),
               deleted=sum(report.rows_deleted.values()), kept=len(report.kept)),
           changes={"kept": [d.as_dict() for d in report.kept]})
    return report


def _blank(session: Session, route: discovery.Route, subject_id: int,
           decisions: list[rules.ColumnDecision]) -> int:
    table = route.table
    key = discovery.key_of(table)
    ids = list(session.scalars(route.ids_query(subject_id)))
    for row_id in ids:
        values = {}
        for decision in decisions:
            column = table.c[decision.column]
            if decision.action == "pseudonymise":
                values[column.name] = rules.pseudonym(table.name, row_id)
            elif column.nullable:
                values[column.name] = None
            elif isinstance(column.type, JSON):
                # the column's own empty value ([] for a list column), else {}
                values[column.name] = (column.default.arg(None) if column.default is not None
                                       and column.default.is_callable else {})
            elif isinstance(column.type, String | Text):
                values[column.name] = ""
        session.execute(update(table).where(key == row_id).values(**values))
    session.expire_all()
    return len(ids)


def _delete_rows(session: Session, route: discovery.Route, subject_id: int) -> int:
    ids = list(session.scalars(route.ids_query(subject_id)))
    session.execute(delete(route.table).where(discovery.key_of(route.table).in_(ids)))
    session.expire_all()
    return len(ids)


# --------------------------------------------------------------------------- data-subject requests

def _request_ref(session: Session, received_on: date) -> str:
    prefix = f"DSR-{received_on.year}-"
    refs = session.scalars(select(DataSubjectRequest.ref).where(
        DataSubjectRequest.ref.like(f"{prefix}%")))
    return f"{prefix}{max((int(r[len(prefix):]) for r in refs), default=0) + 1:05d}"


def open_request(session: Session, clock: Clock, actor: Actor, *, kind: str, received_on: date,
                 requester: str, customer_id: int | None = None, contact_id: int | None = None,
                 requester_email: str = "", details: str = "",
                 role: str = "controller") -> DataSubjectRequest:
    """Log a request with its deadline (Annexe 1 B.1.e: one month)."""
    if kind not in rules.DATA_SUBJECT_REQUEST_KINDS:
        raise InvalidInput.on("kind", f"{kind!r} is not one of "
                                      f"{', '.join(rules.DATA_SUBJECT_REQUEST_KINDS)}",
                              code=rules.Refused.subject_request_kind_unknown)
    if role not in ("controller", "processor"):
        raise InvalidInput.on("role", "is controller or processor",
                              code=rules.Refused.subject_request_role_unknown)
    if not requester.strip():
        raise InvalidInput.on("requester", "is required",
                              code=rules.Refused.subject_request_requester_missing)
    if contact_id is not None:
        contact = _subject_row(session, "contact", contact_id)
        if customer_id is not None and contact.customer_id != customer_id:
            raise InvalidInput.on("contact_id", "is not a contact of this customer",
                                  code=rules.Refused.subject_request_contact_of_another_customer)
        customer_id = contact.customer_id
    if customer_id is None:
        raise InvalidInput.on("customer_id", "name the customer or the contact the request is about",
                              code=rules.Refused.subject_request_subject_missing)
    customer = customers.get_customer(session, customer_id)
    deadline = rules.request_deadline(received_on, privacy_terms(session, customer.operator_id))
    request = DataSubjectRequest(
        ref=_request_ref(session, received_on), kind=kind, role=role, customer_id=customer_id,
        contact_id=contact_id, requester=requester.strip(), requester_email=requester_email,
        details=details, received_on=received_on, due_on=deadline.due_on,
        extension_possible_until=deadline.extension_possible_until, clause=deadline.clause,
        created_at=clock.now())
    session.add(request)
    record(session, clock, actor, "privacy.request.open", request,
           msg("{ref} {kind} due {date} ({clause})", ref=request.ref, kind=kind,
               date=deadline.due_on, clause=deadline.clause))
    return request


def get_request(session: Session, ref_or_id: str | int) -> DataSubjectRequest:
    column = DataSubjectRequest.id if str(ref_or_id).isdecimal() else DataSubjectRequest.ref
    value = int(ref_or_id) if str(ref_or_id).isdecimal() else ref_or_id
    request = session.scalar(select(DataSubjectRequest).where(column == value))
    if request is None:
        raise NotFound(f"request: no data-subject request {ref_or_id}",
                       resource="data_subject_request")
    return request


def list_requests(session: Session, status: rules.RequestStatus | str | None = None,
                  customer_id: int | None = None) -> list[DataSubjectRequest]:
    query = select(DataSubjectRequest).order_by(DataSubjectRequest.received_on.desc(),
                                                DataSubjectRequest.id.desc())
    if status:
        query = query.where(DataSubjectRequest.status == one_of(
            rules.RequestStatus, status, field="status",
            code=rules.Refused.subject_request_status_unknown))
    if customer_id is not None:
        query = query.where(DataSubjectRequest.customer_id == customer_id)
    return list(session.scalars(query))


def _deadline_of(request: DataSubjectRequest) -> rules.RequestDeadline:
    return rules.RequestDeadline(request.received_on, request.due_on, request.clause,
                                 request.extension_possible_until, request.extended_due_on,
                                 request.extension_reason)


def extend_request(session: Session, clock: Clock, actor: Actor, ref: str, reason: str,
                   informed_on: date) -> DataSubjectRequest:
    """Two more months, with the reasons told to the person within the first month."""
    request = get_request(session, ref)
    customer = customers.get_customer(session, request.customer_id)
    extended = _checked(rules.extend_request, _deadline_of(request), reason, informed_on,
                        privacy_terms(session, customer.operator_id))
    request.extended_due_on, request.extension_reason = extended.extended_due_on, extended.extension_reason
    record(session, clock, actor, "privacy.request.extend", request,
           msg("{ref} due {date}: {reason}", ref=request.ref, date=extended.extended_due_on,
               reason=reason))
    return request


def answer_request(session: Session, clock: Clock, actor: Actor, ref: str, answered_on: date,
                   note: str = "") -> DataSubjectRequest:
    """Carry out the request: access and portability produce the export ZIP, erasure erases;
    rectification, restriction and objection are done by staff and recorded with ``note``."""
    request = get_request(session, ref)
    if request.status != rules.RequestStatus.OPEN:
        raise Conflict(f"request: {request.ref} is already {request.status}",
                       code=rules.Refused.subject_request_already_answered)
    subject, subject_id = (("contact", request.contact_id) if request.contact_id
                           else ("customer", request.customer_id))
    outcome: dict = {"note": note, "late": answered_on > _deadline_of(request).deadline}
    if request.kind in ("access", "portability"):
        path = _files_dir("exports") / f"{request.ref}.zip"
        path.write_bytes(export_zip(session, subject, subject_id))
        request.export_file = str(path)
        outcome["export_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    elif request.kind == "erasure":
        outcome["erasure"] = erase(session, clock, actor, subject, subject_id, answered_on).as_dict()
    elif not note.strip():
        raise InvalidInput.on("note", f"say what was done for the {request.kind} request",
                              code=rules.Refused.subject_request_note_missing)
    request.status, request.answered_on, request.outcome = (rules.RequestStatus.ANSWERED,
                                                            answered_on, outcome)
    record(session, clock, actor, "privacy.request.answer", request, msg("{ref} answered", ref=request.ref))
    return request


# --------------------------------------------------------------------------- register

def processing_register(session: Session) -> list[rules.Register]:
    """The register of processing activities (RGPD art. 30), generated from the sheets, the
    personal columns of the schema and the sub-processors."""
    categories = sorted({c.category for cols in discovery.personal_map().values() for c in cols})
    retention = retention_rules(session)
    out = []
    for operator, sheet in _sheets(session):
        subs = [f"{s.name} ({s.country}{', ' + s.safeguard if s.safeguard else ''})"
                for s in list_sub_processors(session, operator.code)]
        out += rules.register_entries(
            operator.code, sheet.general.privacy, categories,
            [r for r in retention if r.operator_id == operator.id], subs)
    return out


# --------------------------------------------------------------------------- sub-processors

def list_sub_processors(session: Session, operator: str,
                        on: date | None = None) -> list[SubProcessor]:
    op = catalog.get_operator(session, operator)
    query = select(SubProcessor).where(SubProcessor.operator_id == op.id).order_by(SubProcessor.name)
    found = list(session.scalars(query))
    if on is None:
        return [s for s in found if s.until is None]
    return [s for s in found if (s.since is None or s.since <= on) and (s.until is None or s.until > on)]


def add_sub_processor(session: Session, clock: Clock, actor: Actor, operator: str, name: str, *,
                      purpose: str = "", country: str = "FR", safeguard: str = "",
                      essential: bool = False, since: date | None = None) -> SubProcessor:
    """A sub-processor in place (the list the customer may ask for, Annexe 1 A.2.c)."""
    op = catalog.get_operator(session, operator)
    if not name.strip():
        raise InvalidInput.on("name", "is required", code=rules.Refused.sub_processor_name_missing)
    if session.scalar(select(SubProcessor).where(SubProcessor.operator_id == op.id,
                                                 SubProcessor.name == name.strip())):
        raise Conflict(f"name: {operator} already has a sub-processor {name}",
                       code=rules.Refused.sub_processor_already_listed)
    sub = SubProcessor(operator_id=op.id, name=name.strip(), purpose=purpose, country=country,
                       safeguard=safeguard, essential=essential, since=since)
    session.add(sub)
    record(session, clock, actor, "privacy.subprocessor.add", sub, f"{operator}: {name}")
    return sub


def _business_customers_served(session: Session, operator_id: int, on: date
                               ) -> list[customer_facts.CustomerFacts]:
    """The operator's business customers with a contract in force on ``on``."""
    companies = customer_facts.customer_ids(session, operator_id=operator_id, kind="company")
    served = contract_facts.subscriptions_in_force(session, companies, on)
    found = customer_facts.customers(session, [i for i in companies if i in served])
    return [found[i] for i in companies if i in served]


def announce_sub_processor(session: Session, clock: Clock, actor: Actor, operator: str,
                           name: str, *, announced_on: date, planned_on: date,
                           replaces: str | None = None, purpose: str = "", country: str = "FR",
                           safeguard: str = "", essential: bool = False) -> SubProcessorChange:
    """A new or replacing sub-processor: a written notice to each business customer at least
    N business days before the change, opening the objection window (Annexe 1 A.2.c)."""
    op = catalog.get_operator(session, operator)
    privacy = privacy_terms(session, op.id)
    timeline = _checked(rules.subprocessor_timeline, announced_on, privacy)
    if planned_on < timeline.earliest_change_on:
        raise NotAllowed(f"planned_on: the change may take place on {timeline.earliest_change_on} "
                         f"at the earliest ({timeline.clauses['notice']})",
                         code=rules.Refused.sub_processor_change_too_early)
    replaced = None
    if replaces:
        replaced = session.scalar(select(SubProcessor).where(SubProcessor.operator_id == op.id,
                                                             SubProcessor.name == replaces))
        if replaced is None:
            raise NotFound(f"replaces: {operator} has no sub-processor {replaces}",
                           resource="sub_processor")
    sub = add_sub_processor(session, clock, actor, operator, name, purpose=purpose,
                            country=country, safeguard=safeguard, essential=essential,
                            since=planned_on)
    session.flush()
    change = SubProcessorChange(operator_id=op.id, sub_processor_id=sub.id,
                                replaces_id=replaced.id if replaced else None,
                                announced_on=announced_on, planned_on=planned_on,
                                created_at=clock.now())
    session.add(change)
    session.flush()
    if replaced is not None:
        replaced.until = planned_on
    for customer in _business_customers_served(session, op.id, announced_on):
        session.add(SubProcessorNotice(change_id=change.id, customer_id=customer.id,
                                       sent_on=announced_on,
                                       earliest_change_on=timeline.earliest_change_on,
                                       objection_deadline=timeline.objection_deadline))
    record(session, clock, actor, "privacy.subprocessor.announce", change,
           msg("{operator}: {name} from {date}; objections until {deadline} ({clause})",
               operator=operator, name=name, date=planned_on,
               deadline=timeline.objection_deadline,
               clause=timeline.clauses["objection_window"]))
    return change


def notices_of(session: Session, change_id: int) -> list[SubProcessorNotice]:
    return list(session.scalars(select(SubProcessorNotice).where(
        SubProcessorNotice.change_id == change_id).order_by(SubProcessorNotice.customer_id)))


def _notice(session: Session, change_id: int, customer_id: int) -> SubProcessorNotice:
    notice = session.scalar(select(SubProcessorNotice).where(
        SubProcessorNotice.change_id == change_id, SubProcessorNotice.customer_id == customer_id))
    if notice is None:
        raise NotFound(f"customer: no notice of change {change_id} was sent to customer {customer_id}",
                       resource="notice_of_change")
    return notice


def record_objection(session: Session, clock: Clock, actor: Actor, change_id: int,
                     customer_id: int, received_on: date, reason: str = "") -> Objection:
    """An objection within the window opens the talks; a late one is refused (silence was
    acceptance)."""
    notice = _notice(session, change_id, customer_id)
    if notice.status == rules.ChangeNoticeStatus.OBJECTED:
        raise Conflict(f"customer: {customer_id} has already objected to change {change_id}",
                       code=rules.Refused.objection_already_made)
    customer = customers.get_customer(session, customer_id)
    timeline = _checked(rules.subprocessor_timeline, notice.sent_on,
                        privacy_terms(session, customer.operator_id), received_on)
    objection = Objection(notice_id=notice.id, customer_id=customer_id, received_on=received_on,
                          reason=reason, talks_end_on=timeline.talks_end_on,
                          termination_without_fees=timeline.termination_without_fees)
    notice.status = rules.ChangeNoticeStatus.OBJECTED
    session.add(objection)
    record(session, clock, actor, "privacy.objection", objection,
           msg("{ref}: talks until {date} ({clause})", ref=customer.ref,
               date=timeline.talks_end_on, clause=timeline.clauses["talks"]))
    return objection


def objection_timeline(session: Session, objection: Objection) -> rules.SubProcessorTimeline:
    notice = session.get(SubProcessorNotice, objection.notice_id)
    customer = customers.get_customer(session, objection.customer_id)
    return _checked(rules.subprocessor_timeline, notice.sent_on,
                    privacy_terms(session, customer.operator_id), objection.received_on)


def close_objection(session: Session, clock: Clock, actor: Actor, objection_id: int,
                    outcome: str, on: date, note: str = "") -> Objection:
    """``resolved`` or ``withdrawn`` ends the talks; ``terminate``, once the talks are over with
    no agreement and the sub-processor is essential, gives notice on every live service of the
    customer without termination fees (reading T-GDPR-TERMINATION-REF)."""
    objection = get_or_not_found(session, Objection, objection_id, resource="objection",
                                 message=f"objection: no objection {objection_id}")
    if objection.status != rules.ObjectionStatus.TALKS:
        raise Conflict(f"objection: {objection_id} is already {objection.status}",
                       code=rules.Refused.objection_already_closed)
    if outcome not in ("resolved", "withdrawn", "terminate"):
        raise InvalidInput.on("outcome", "is one of resolved, withdrawn, terminate",
                              code=rules.Refused.objection_outcome_unknown)
    if outcome == "terminate":
        timeline = objection_timeline(session, objection)
        change = session.get(SubProcessorChange, session.get(SubProcessorNotice,
                                                             objection.notice_id).change_id)
        if not session.get(SubProcessor, change.sub_processor_id).essential:
            raise NotAllowed("outcome: only an essential sub-processor opens the termination "
                             f"({timeline.clauses['talks']})",
                             code=rules.Refused.objection_termination_not_essential)
        if timeline.state_on(on) != "may_terminate":
            raise NotAllowed(f"on: the talks run until {timeline.talks_end_on}; the customer may "
                             f"terminate after that ({timeline.clauses['talks']})",
                             code=rules.Refused.objection_talks_not_over)
        reason = "sub_processor_objection" if objection.termination_without_fees else None
        for subscription in contracts.list_subscriptions(session, objection.customer_id):
            if subscription.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED):
                contracts.give_notice(session, clock, actor, subscription.id, on, reason=reason)
    objection.status = (rules.ObjectionStatus.TERMINATED if outcome == "terminate"
                        else rules.ObjectionStatus(outcome))
    objection.closed_on, objection.outcome = on, note
    record(session, clock, actor, "privacy.objection.close", objection, f"{outcome}: {note}")
    return objection


def list_objections(session: Session) -> list[Objection]:
    return list(session.scalars(select(Objection).order_by(Objection.received_on.desc())))


def list_changes(session: Session) -> list[SubProcessorChange]:
    return list(session.scalars(select(SubProcessorChange).order_by(
        SubProcessorChange.announced_on.desc())))


# --------------------------------------------------------------------------- audits

def request_audit(session: Session, clock: Clock, actor: Actor, customer_id: int, *,
                  letter_received_on: date, starts_on: date, days: int, auditor: str = "",
                  registered_letter: bool = True,
                  auditor_is_competitor: bool = False) -> AuditRequest:
    """Record an audit request and whether the terms accept it, with every reason if not."""
    customer = customers.get_customer(session, customer_id)
    previous = session.scalars(select(AuditRequest.starts_on).where(
        AuditRequest.customer_id == customer_id, AuditRequest.accepted.is_(True)))
    decision = _checked(rules.audit_decision, letter_received_on, starts_on, days, list(previous),
                        privacy_terms(session, customer.operator_id),
                        registered_letter=registered_letter,
                        auditor_is_competitor=auditor_is_competitor)
    audit = AuditRequest(customer_id=customer_id, letter_received_on=letter_received_on,
                         starts_on=starts_on, days=days, auditor=auditor,
                         registered_letter=registered_letter,
                         auditor_is_competitor=auditor_is_competitor,
                         accepted=decision.accepted, reasons=list(decision.reasons),
                         earliest_start=decision.earliest_start, created_at=clock.now())
    session.add(audit)
    record(session, clock, actor, "privacy.audit.request", audit,
           msg("{ref}: accepted" if decision.accepted else "{ref}: refused", ref=customer.ref),
           changes=decision.as_dict())
    return audit


def list_audits(session: Session) -> list[AuditRequest]:
    return list(session.scalars(select(AuditRequest).order_by(AuditRequest.starts_on.desc())))


# --------------------------------------------------------------------------- breaches

def record_breach(session: Session, clock: Clock, actor: Actor, operator: str, *,
                  detected_at: datetime, nature: str, likely_consequences: str = "",
                  measures_taken_or_proposed: str = "", data_categories: list[str] | None = None,
                  people_affected: int | None = None) -> BreachRecord:
    op = catalog.get_operator(session, operator)
    if not nature.strip():
        raise InvalidInput.on("nature", "is required", code=rules.Refused.breach_nature_missing)
    unknown = set(data_categories or ()) - set(rules.PERSONAL_CATEGORIES)
    if unknown:
        raise InvalidInput.on("data_categories", f"{sorted(unknown)[0]!r} is not one of "
                                                 f"{', '.join(rules.PERSONAL_CATEGORIES)}",
                              code=rules.Refused.breach_data_category_unknown)
    breach = BreachRecord(operator_id=op.id, detected_at=detected_at, nature=nature.strip(),
                          likely_consequences=likely_consequences,
                          measures_taken_or_proposed=measures_taken_or_proposed,
                          data_categories=list(data_categories or ()),
                          people_affected=people_affected, created_at=clock.now())
    session.add(breach)
    record(session, clock, actor, "privacy.breach.record", breach, nature)
    return breach


def notify_breach(session: Session, clock: Clock, actor: Actor, breach_id: int,
                  customer_ids: list[int] | None = None,
                  channel: str = "email") -> list[BreachNotification]:
    """Notify each customer concerned (default: every business customer served) with the
    contents the sheet requires (Annexe 1 A.2.a); a customer already notified is skipped."""
    breach = get_or_not_found(session, BreachRecord, breach_id, resource="data_breach",
                              message=f"breach: no breach {breach_id}")
    privacy = privacy_terms(session, breach.operator_id)
    contents = {"nature": breach.nature, "likely_consequences": breach.likely_consequences,
                "measures_taken_or_proposed": breach.measures_taken_or_proposed,
                "data_categories": breach.data_categories,
                "detected_at": breach.detected_at.isoformat()}
    missing = rules.breach_notice_missing(contents, privacy)
    if missing:
        clause = privacy.lists.breach_notice_contents.clause
        raise InvalidInput.on(missing[0], f"a breach notice must state it ({clause})",
                              code=rules.Refused.breach_notice_incomplete)
    contents_required = privacy.lists.breach_notice_contents if privacy else None
    clause = contents_required.clause if contents_required else "RGPD art. 33(2)"
    timing = _checked(rules.breach_notice_timing, breach.detected_at, clock.now(), privacy)
    contents["notified_after"] = timing.text
    # The timing clause quotes the contents' own article with its reading: cite it once.
    clause = timing.clause if timing.clause.startswith(clause) else f"{clause}; {timing.clause}"
    targets = ([customers.get_customer(session, i) for i in customer_ids] if customer_ids
               else _business_customers_served(session, breach.operator_id, clock.today()))
    done = set(session.scalars(select(BreachNotification.customer_id).where(
        BreachNotification.breach_id == breach_id)))
    sent = []
    for customer in targets:
        if customer.id in done:
            continue
        notification = BreachNotification(breach_id=breach_id, customer_id=customer.id,
                                          sent_at=clock.now(), channel=channel,
                                          contents=contents, clause=clause)
        session.add(notification)
        sent.append(notification)
        record(session, clock, actor, "privacy.breach.notify", notification, customer.ref)
    return sent


def list_breaches(session: Session) -> list[BreachRecord]:
    return list(session.scalars(select(BreachRecord).order_by(BreachRecord.detected_at.desc())))


def notifications_of(session: Session, breach_id: int) -> list[BreachNotification]:
    return list(session.scalars(select(BreachNotification).where(
        BreachNotification.breach_id == breach_id).order_by(BreachNotification.id)))


# --------------------------------------------------------------------------- end of contract

def end_of_contract(session: Session, clock: Clock, actor: Actor, customer_id: int, choice: str,
                    on: date) -> EndOfContractDecision:
    """Delete, or return then delete, the customer's data as it chooses (Annexe 1 A.2.e): what
    no law requires keeping is erased, the data processed on its behalf deleted, and a
    certificate (PDF) says what was done and what is kept, and why."""
    from clausier.privacy.pdf import certificate_pdf    # drawn at the edge (clausier.web)

    customer = customers.get_customer(session, customer_id)
    choices, clause = rules.end_of_contract_choices(privacy_terms(session, customer.operator_id))
    if choice not in choices:
        raise InvalidInput.on("choice", f"is one of {', '.join(choices)} ({clause})",
                              code=rules.Refused.end_of_contract_choice_unknown)
    if session.scalar(select(EndOfContractDecision).where(
            EndOfContractDecision.customer_id == customer_id)):
        raise Conflict(f"customer: {customer.ref}'s data were already handled at the end",
                       code=rules.Refused.end_of_contract_already_handled)
    live = [s.ref for s in contract_facts.subscriptions_in_force(session, [customer_id], on).get(customer_id, ())]
    if live:
        raise NotAllowed(f"customer: the contract has not ended ({', '.join(live)} still live)",
                         code=rules.Refused.end_of_contract_services_live)
    returned = ""
    if choice != "delete":
        path = _files_dir("returns") / f"{customer.ref}-{on.isoformat()}.zip"
        path.write_bytes(export_customer_zip(session, customer_id))
        returned = str(path)
    report = erase(session, clock, actor, "customer", customer_id, on, delete_processor_data=True)
    decision = EndOfContractDecision(
        customer_id=customer_id, choice=choice, decided_on=on, carried_out_on=on, clause=clause,
        erased=[d.as_dict() for d in report.decisions if d.action != "keep"]
        + [{"table": t, "column": "*", "action": "delete", "reason": f"{n} rows processed for "
            "the customer"} for t, n in report.rows_deleted.items()],
        kept=[d.as_dict() for d in report.kept], returned_file=returned, created_at=clock.now())
    session.add(decision)
    session.flush()
    pdf = certificate_pdf(session, decision)
    path = _files_dir("certificates") / f"{customer.ref}-{on.isoformat()}.pdf"
    path.write_bytes(pdf)
    decision.certificate_file = str(path)
    decision.certificate_sha256 = hashlib.sha256(pdf).hexdigest()
    record(session, clock, actor, "privacy.end_of_contract", decision,
           msg("{ref}: {choice} ({clause})", ref=customer.ref, choice=choice, clause=clause))
    return decision


def get_end_of_contract(session: Session, customer_id: int) -> EndOfContractDecision:
    decision = session.scalar(select(EndOfContractDecision).where(
        EndOfContractDecision.customer_id == customer_id))
    if decision is None:
        raise NotFound(f"customer: no end-of-contract decision for customer {customer_id}",
                       resource="end_of_contract_decision")
    return decision
