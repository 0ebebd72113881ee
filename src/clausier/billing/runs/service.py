"""Bill runs.

A bill run is the one use case that manages its own transactions (:func:`run_bill_run` takes an
engine): customers are billed in batches, each batch in one transaction holding the operator's
bill-run lock, each customer's invoice complete or absent. A batch that fails is billed again
customer by customer, one transaction each, so that one bad customer does not stop the others.
Running a period again bills only what was not billed: an invoice per customer and period
(``run_key``) and a row per subscription and month (``BilledMonth``) are unique in the database.

A large run uses the machine's cores: worker processes draft the next batches (read their facts,
apply the rules, encode the rows) while this process writes the batch before, in customer
order, each batch in one transaction under the lock as above: the numbering (taken at writing,
gapless, in customer order), idempotence and crash-safety are those of the in-process run.

With a broker (``CLAUSIER_BROKER_URL``) the run is split into partitions (customer-id ranges of
``PARTITION_SIZE``) billed by the workers in parallel: each partition writes its customers'
invoices as unnumbered drafts, then one short step (:func:`number_run_drafts`) gives them their
numbers in customer order under the operator's lock. Numbers are thus taken in the order the
in-process run takes them and never by a partition that may still roll back: no gap, no
interleaving, the same invoices as the in-process run.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record, record_many
from clausier.billing import periods
from clausier.billing.context import TermsCache, month_of, operator_by_code
from clausier.billing.invoices.rules import InvoiceStatus
from clausier.billing.invoices.service import check_seller_identity, take_numbers
from clausier.billing.ledger import rules as ledger_rules
from clausier.billing.ledger.charges import add_charge
from clausier.billing.ledger.service import list_index_values
from clausier.billing.models import (
    BillRun,
    BillRunPartition,
    Charge,
    Invoice,
)
from clausier.billing.runs import rules
from clausier.billing.runs.batch import (
    PreparedInvoices,
    chunks,
    draft_in_process,
    invoiced_customers,
    prepare_batch,
    write_prepared,
)
from clausier.catalog import facts as catalog
from clausier.catalog.facts import OperatorFacts
from clausier.contracts import facts as contracts
from clausier.core.clock import Clock, FixedClock
from clausier.core.errors import Conflict, NotFound
from clausier.core.message import msg
from clausier.core.money import ZERO, fr_format, money
from clausier.customers import facts as customers
from clausier.db.lookup import get_or_not_found
from clausier.db.session import database_now, lock_for_writing, write_transaction
from clausier.equipment import service as equipment

DEFAULT_BATCH = 500
PARTITION_SIZE = 250               # customers a worker bills in one message
# A run with this many customers or more left to bill drafts their invoices in worker processes
# (one per core); below, starting them (about a second) costs more than it saves.
PARALLEL_FROM = 2000



# --------------------------------------------------------------------------- bill runs


@dataclass(frozen=True)
class PartitionReport:
    """What one partition of a run on workers did: who billed which customers, and the result."""

    position: int
    status: rules.PartitionStatus
    worker: str | None
    attempts: int
    customers: int
    first_customer_id: int
    last_customer_id: int
    invoices: int
    total_ht: Decimal
    total_ttc: Decimal
    errors: list[dict]

    @classmethod
    def of(cls, part: BillRunPartition) -> PartitionReport:
        return cls(part.position, part.status, part.worker, part.attempts, part.customers,
                   part.first_customer_id, part.last_customer_id, part.invoices,
                   part.total_ht, part.total_ttc, list(part.errors))

    def as_dict(self) -> dict:
        return {"position": self.position, "status": self.status, "worker": self.worker,
                "attempts": self.attempts, "customers": self.customers,
                "first_customer_id": self.first_customer_id,
                "last_customer_id": self.last_customer_id, "invoices": self.invoices,
                "total_ht": str(self.total_ht), "total_ttc": str(self.total_ttc),
                "errors": self.errors}


@dataclass
class RunReport:
    bill_run_id: int
    operator: str
    period: str
    customers: int = 0
    billed: int = 0
    invoices: list[str] = field(default_factory=list)
    total_ht: Decimal = ZERO
    total_ttc: Decimal = ZERO
    errors: list[dict] = field(default_factory=list)
    partitions: list[PartitionReport] = field(default_factory=list)   # a run on workers

    def as_dict(self) -> dict:
        partitions = ({"partitions": [p.as_dict() for p in self.partitions]} if self.partitions
                      else {})
        return {**partitions, "bill_run_id": self.bill_run_id, "operator": self.operator, "period": self.period,
                "customers": self.customers, "billed": self.billed, "invoices": len(self.invoices),
                "first_number": self.invoices[0] if self.invoices else None,
                "last_number": self.invoices[-1] if self.invoices else None,
                "total_ht": str(self.total_ht), "total_ttc": str(self.total_ttc),
                "errors": self.errors}


Progress = Callable[[int, int], None]


def _bill_customers(session: Session, clock: Clock, actor: Actor, cache: TermsCache,
                    operator: OperatorFacts, run: BillRun | None, period: date, issue_date: date,
                    customer_ids: list[int], draft_only: bool, report: RunReport,
                    prepared: PreparedInvoices | None = None) -> None:
    """Bill some customers in the caller's transaction, which holds the operator's lock; with
    ``prepared``, the invoices another process drafted for them (a parallel run) are written."""
    already = invoiced_customers(session, customer_ids, period)
    if prepared is None:
        todo = [c for c in customer_ids if c not in already]
        if not todo:
            return
        _queue_rents(session, clock, actor, cache, operator, period, todo)
        prepared = prepare_batch(session, cache, operator, run.id if run else None, period,
                                 issue_date, todo, clock.now())
    else:
        prepared = prepared.without(already)
    report.errors += prepared.errors
    for invoice_id, number, total_ht, total_ttc in write_prepared(
            session, clock, actor, operator, issue_date, prepared, draft_only):
        report.invoices.append(number or f"draft {invoice_id}")
        report.total_ht += total_ht
        report.total_ttc += total_ttc
    report.billed += len(prepared.invoices)


RENT_SOURCE = "equipment_rent"


def _queue_rents(session: Session, clock: Clock, actor: Actor, cache: TermsCache,
                 operator: OperatorFacts, period: date, customer_ids: list[int]) -> None:
    """Queue the rent of rented equipment due by this run (each item and month once, through
    the charge door keyed ``item:month``); the invoice being drafted bills it. The rent follows
    the terms of the subscription the item serves (CGV art. 9.5: a service like the others)."""
    items = equipment.rented_items(session, customer_ids, periods.month_end(period))
    if not items:
        return
    low, high = min(customer_ids), max(customer_ids)
    queued = set(session.scalars(select(Charge.source_key).where(
        Charge.source == RENT_SOURCE, Charge.customer_id.between(low, high))))
    indices: dict[str, dict[date, Decimal]] = {}
    general = cache.sheet(operator.sheet_id, None).general
    kinds = catalog.equipment_kinds(session, {item.kind_id for item in items})
    sheets = contracts.sheet_references(
        session, {item.subscription_id for item in items if item.subscription_id})
    for item in items:
        sheet = sheets.get(item.subscription_id) if item.subscription_id else None
        terms = (cache.terms(sheet.sheet_id, sheet.sheet_version, sheet.family) if sheet
                 else general)
        series = terms.indexation.series_id.value if terms.indexation and terms.indexation.series_id else None
        if series and series not in indices:
            indices[series] = {row.month: Decimal(row.value) for row in list_index_values(session, series)}
        rent = ledger_rules.RentFacts(
            item.id, f"Equipment rental: {kinds[item.kind_id].name} ({item.serial})", item.monthly_rent,
            item.price_basis, item.received_on or item.shipped_on, equipment.rent_end(item),
            item.subscription_id)
        for due in ledger_rules.rent_months(rent, terms, period, indices.get(series)):
            key = f"{item.id}:{periods.period_label(due.month)}"
            if key in queued:
                continue
            add_charge(session, clock, actor, customer_id=item.customer_id,
                       subscription_id=item.subscription_id, source=RENT_SOURCE, source_key=key,
                       label=due.label, explained=due.explained, price_basis=item.price_basis,
                       incurred_on=due.month)
    session.flush()


def start_bill_run(session: Session, clock: Clock, actor: Actor, period: str | date,
                   operator_code: str, issue_date: date | None = None, *,
                   issuing: bool = True) -> BillRun:
    """Record a bill run of ``period`` for an operator (the work is done by :func:`run_bill_run`);
    refused while the operator lacks a mandatory seller field, unless it only drafts.

    A run of the period still marked running whose process died (no sign of life for
    ``rules.BILL_RUN_LEASE``) is taken over: the new one continues it, under its id."""
    month = month_of(period)
    operator = operator_by_code(session, operator_code)
    if issuing:
        check_seller_identity([operator])
    lock_for_writing(session, f"billrun:{operator.code}")     # one taker of a dead run
    label = periods.period_label(month)
    now = database_now(session)
    dead = next((run for run in session.scalars(
        select(BillRun).where(BillRun.operator_id == operator.id, BillRun.period == label,
                              BillRun.status == rules.BillRunStatus.RUNNING).order_by(BillRun.id))
        if rules.bill_run_has_died(run.heartbeat_at, now)), None)
    if dead is not None:
        record(session, clock, actor, "billrun.resume", dead,
               msg("{operator} {period}: run {id} stopped showing signs of life at {at}; taken "
                   "over by {actor}" if dead.heartbeat_at
                   else "{operator} {period}: run {id} taken over", operator=operator.code,
                   period=label, id=dead.id, actor=actor.name,
                   at=f"{dead.heartbeat_at:%Y-%m-%d %H:%M:%S %Z}" if dead.heartbeat_at else ""))
        # Every customer is gone through again: those it billed have nothing left to bill.
        dead.customers_done, dead.heartbeat_at = 0, now
        return dead
    total = customers.customer_count(session, operator.id)
    run = BillRun(operator_id=operator.id, period=label, status=rules.BillRunStatus.RUNNING,
                  issue_date=issue_date or clock.today(), customers_total=total, actor=actor.name,
                  started_at=clock.now(), heartbeat_at=now, errors=[])
    session.add(run)
    record(session, clock, actor, "billrun.start", run,
           msg("{operator} {period}: {n} customer(s)", operator=operator.code,
               period=run.period, n=total))
    return run


def run_bill_run(engine: Engine, clock: Clock, actor: Actor, period: str | date,
                 operator_code: str | None = None, *, batch_size: int = DEFAULT_BATCH,
                 draft_only: bool = False, progress: Progress | None = None,
                 bill_run_id: int | None = None, queue: PartitionQueue | None = None,
                 partition_size: int = PARTITION_SIZE,
                 processes: int | None = None) -> list[RunReport]:
    """Bill every customer of ``period`` (``YYYY-MM``), for one operator or all of them.

    Idempotent, crash-safe and concurrent-safe (see the module docstring). ``progress`` is
    called with (customers done, customers in total) after each batch. With a ``queue`` the
    customers are billed by the workers, a partition each, and this process waits for them.
    Otherwise ``processes`` worker processes draft the invoices while this one writes them
    (default: one per core when ``PARALLEL_FROM`` customers or more are left to bill; 1: none)."""
    month = month_of(period)
    with write_transaction(engine) as session:
        codes = ([operator_code] if operator_code else
                 list(catalog.operator_codes(session).values()))
        if not draft_only:        # every operator's refusal at once, before any run starts
            check_seller_identity([operator_by_code(session, code) for code in codes])
        runs = []
        for code in codes:
            if bill_run_id is not None:
                run = get_or_not_found(session, BillRun, bill_run_id, resource="bill_run")
            else:
                run = start_bill_run(session, clock, actor, month, code, issuing=not draft_only)
            operator = operator_by_code(session, code)
            ids = customers.customer_ids(session, operator_id=operator.id)
            invoiced = session.scalar(select(func.count()).select_from(Invoice).where(
                Invoice.operator_id == operator.id, Invoice.kind == "invoice",
                Invoice.run_key == periods.period_label(month))) or 0
            runs.append((run.id, operator.id, code, ids, run.issue_date, len(ids) - invoiced))
    if queue is not None:        # every operator's partitions at once, then their results
        for run_id, _operator_id, _code, ids, _issue_date, _to_bill in runs:
            _send_partitions(engine, clock, queue, run_id, ids, partition_size)
        alive = [run_id for run_id, *_ in runs]
        return [_collect_partitions(engine, clock, actor, run_id, code, ids, draft_only, progress,
                                    alive)
                for run_id, _operator_id, code, ids, _issue_date, _to_bill in runs]
    reports = []
    for run_id, operator_id, code, ids, issue_date, to_bill in runs:
        report = RunReport(run_id, code, periods.period_label(month), customers=len(ids))
        workers = (processes if processes is not None
                   else (os.cpu_count() or 1) if to_bill >= PARALLEL_FROM else 1)
        if workers > 1:
            _bill_in_parallel(engine, clock, actor, run_id, operator_id, month, issue_date, ids,
                              max(1, batch_size), draft_only, report, progress, workers)
        else:
            done = 0
            for chunk in chunks(ids, max(1, batch_size)):
                _bill_chunk(engine, clock, actor, run_id, operator_id, month, issue_date, chunk,
                            draft_only, report)
                done += len(chunk)
                if progress:
                    progress(done, len(ids))
        if not draft_only:    # drafts left by the partitions of a run taken over, if any
            with write_transaction(engine) as session:
                report.invoices += [number for number, _ht, _ttc
                                    in number_run_drafts(session, clock, actor, run_id)]
        _finish_run(engine, clock, actor, run_id, code, report)
        reports.append(report)
    return reports


def _finish_run(engine: Engine, clock: Clock, actor: Actor, run_id: int, code: str,
                report: RunReport) -> None:
    with write_transaction(engine) as session:
        run = session.get(BillRun, run_id)
        run.status = (rules.BillRunStatus.COMPLETED if not report.errors
                      else rules.BillRunStatus.COMPLETED_WITH_ERRORS)
        run.finished_at = clock.now()
        run.errors = report.errors[:1000]
        record(session, clock, actor, "billrun.finish", run,
               msg("{operator} {period}: {n} invoice(s), {errors} error(s)", operator=code,
                   period=run.period, n=report.billed, errors=len(report.errors)))


def _bill_in_parallel(engine: Engine, clock: Clock, actor: Actor, run_id: int, operator_id: int,
                      month: date, issue_date: date, ids: list[int], batch_size: int,
                      draft_only: bool, report: RunReport, progress: Progress | None,
                      processes: int) -> None:
    """The batches drafted ahead by ``processes`` worker processes (reads, rules, rows encoded)
    and written here as they come back, in customer order, each in its transaction under the
    operator's lock (:func:`_bill_chunk`): numbers, idempotence and crash-safety as in the
    in-process run. A batch whose facts changed between its drafting and its writing (billed
    meanwhile by another run) is billed again here, read under the lock."""
    url = engine.url.render_as_string(hide_password=False)
    batches = list(chunks(ids, batch_size))
    pending: deque = deque()
    done = 0
    with ProcessPoolExecutor(processes, mp_context=_drafting_processes()) as pool:
        try:
            for position in range(len(batches) + 1):
                if position < len(batches):
                    chunk = batches[position]
                    _queue_rents_of(engine, clock, actor, operator_id, month, chunk)
                    pending.append((chunk, pool.submit(draft_in_process, url, operator_id, run_id,
                                                       month, issue_date, chunk, clock.now())))
                # Keep every worker busy with one batch ahead while this process writes.
                while pending and (len(pending) > 2 * processes or position == len(batches)):
                    chunk, drafted = pending.popleft()
                    _bill_chunk(engine, clock, actor, run_id, operator_id, month, issue_date,
                                chunk, draft_only, report, prepared=drafted.result())
                    done += len(chunk)
                    if progress:
                        progress(done, len(ids))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _drafting_processes() -> multiprocessing.context.BaseContext:
    """Drafting processes forked from a fork server, not from the caller: a fork of the caller
    would copy its threads in an unknown state, and its database connections, which the child's
    garbage collector may close under the parent. The server imports the drafting code once for
    the life of the calling process, so that a run's processes start without importing it again
    (about 1.4 s of CPU each when spawned)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["clausier.billing.runs.batch"])
    return context


def _queue_rents_of(engine: Engine, clock: Clock, actor: Actor, operator_id: int, month: date,
                    customer_ids: list[int]) -> None:
    """The rents a batch bills, queued before a worker process reads its charges."""
    with write_transaction(engine) as session:
        operator = catalog.operator_by_id(session, operator_id)
        lock_for_writing(session, f"billrun:{operator.code}")
        already = invoiced_customers(session, customer_ids, month)
        todo = [c for c in customer_ids if c not in already]
        if todo:
            _queue_rents(session, clock, actor, TermsCache(session), operator, month, todo)


def _bill_chunk(engine: Engine, clock: Clock, actor: Actor, run_id: int, operator_id: int,
                month: date, issue_date: date, chunk: list[int], draft_only: bool,
                report: RunReport, partition: int | None = None,
                prepared: PreparedInvoices | None = None) -> None:
    """A batch in one transaction; if it fails, its customers one transaction each, so that one
    bad customer does not stop the others. A batch ``prepared`` by a worker process that fails
    (its facts changed after they were read) is billed again from facts read under the lock."""
    counted = partition is None
    try:
        _run_batch(engine, clock, actor, run_id, operator_id, month, issue_date, chunk,
                   draft_only, report, partition, prepared)
    except (IntegrityError, OperationalError, Conflict) as exc:
        if prepared is not None:
            _bill_chunk(engine, clock, actor, run_id, operator_id, month, issue_date, chunk,
                        draft_only, report, partition)
            return
        if isinstance(exc, Conflict):
            raise
        if len(chunk) == 1:
            _record_failure(engine, clock, run_id, chunk[0], exc, report, counted)
            return
        for customer_id in chunk:
            try:
                _run_batch(engine, clock, actor, run_id, operator_id, month, issue_date,
                           [customer_id], draft_only, report, partition)
            except (IntegrityError, OperationalError) as single:
                _record_failure(engine, clock, run_id, customer_id, single, report, counted)


def _run_batch(engine: Engine, clock: Clock, actor: Actor, run_id: int, operator_id: int,
               month: date, issue_date: date, customer_ids: list[int], draft_only: bool,
               report: RunReport, partition: int | None = None,
               prepared: PreparedInvoices | None = None) -> None:
    """Bill a batch in one transaction under the operator's bill-run lock; a batch of a
    partition takes that partition's lock instead (partitions run side by side, and its
    progress is counted by the run's coordinator, not here)."""
    partial = RunReport(report.bill_run_id, report.operator, report.period)
    with write_transaction(engine) as session:
        operator = catalog.operator_by_id(session, operator_id)
        lock_for_writing(session, f"billrun:{operator.code}" if partition is None
                         else f"billrun:{operator.code}:{partition}")
        run = session.get(BillRun, run_id)
        _bill_customers(session, clock, actor, TermsCache(session), operator, run, month,
                        issue_date, customer_ids, draft_only, partial, prepared)
        if partition is None:
            run.customers_done = (run.customers_done or 0) + len(customer_ids)
            run.heartbeat_at = database_now(session)
            run.invoices = (run.invoices or 0) + partial.billed
            run.total_ht = money(run.total_ht + partial.total_ht)
            run.total_ttc = money(run.total_ttc + partial.total_ttc)
    # Only a committed batch counts in the report.
    report.billed += partial.billed
    report.invoices += partial.invoices
    report.total_ht += partial.total_ht
    report.total_ttc += partial.total_ttc
    report.errors += partial.errors


def _record_failure(engine: Engine, clock: Clock, run_id: int, customer_id: int, exc: Exception,
                    report: RunReport, counted: bool = True) -> None:
    with write_transaction(engine) as session:
        customer = customers.customers(session, [customer_id]).get(customer_id)
        ref = customer.ref if customer else None
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        report.errors.append({"customer": ref or str(customer_id),
                              "reason": reason})
        if counted:
            run = session.get(BillRun, run_id)
            run.customers_done = (run.customers_done or 0) + 1


# --------------------------------------------------------------------------- bill runs on workers

# (run id, partition position, the coordinator's fixed instant or None for the system clock)
PartitionQueue = Callable[[int, int, str | None], None]
POLL_SECONDS = 0.5


def _partitions(session: Session, run_id: int, ids: list[int], size: int) -> list[int]:
    """The run's partitions (made on its first start, kept on a takeover): the positions still
    to bill, failed ones queued again."""
    existing = list(session.scalars(select(BillRunPartition)
                                    .where(BillRunPartition.bill_run_id == run_id)))
    if not existing:
        existing = [BillRunPartition(bill_run_id=run_id, position=position,
                                     first_customer_id=chunk[0], last_customer_id=chunk[-1],
                                     customers=len(chunk), status=rules.PartitionStatus.QUEUED, errors=[])
                    for position, chunk in enumerate(chunks(ids, max(1, size)))]
        session.add_all(existing)
    for part in existing:
        if part.status == rules.PartitionStatus.FAILED:
            part.status, part.errors = rules.PartitionStatus.QUEUED, []
    return [part.position for part in existing if part.status == rules.PartitionStatus.QUEUED]


def _send_partitions(engine: Engine, clock: Clock, queue: PartitionQueue, run_id: int,
                     ids: list[int], size: int) -> None:
    with write_transaction(engine) as session:
        positions = _partitions(session, run_id, ids, size)
    fixed_at = clock.now().isoformat() if isinstance(clock, FixedClock) else None
    for position in positions:       # after the commit: a worker must find its partition
        queue(run_id, position, fixed_at)


def _collect_partitions(engine: Engine, clock: Clock, actor: Actor, run_id: int, code: str,
                        ids: list[int], draft_only: bool, progress: Progress | None,
                        alive: list[int]) -> RunReport:
    """Wait for the run's partitions, keeping the heartbeat of the runs this process still
    owes (``alive``), then number the drafts they wrote in one short step."""
    while True:
        with write_transaction(engine) as session:
            parts = list(session.scalars(select(BillRunPartition)
                                         .where(BillRunPartition.bill_run_id == run_id)))
            session.execute(update(BillRun).where(BillRun.id.in_(alive))
                            .values(heartbeat_at=database_now(session))
                            .execution_options(synchronize_session=False))
            run = session.get(BillRun, run_id)
            run.customers_done = sum(p.customers for p in parts if p.status != rules.PartitionStatus.QUEUED)
            done = run.customers_done
        if progress:
            progress(done, len(ids))
        if all(p.status != rules.PartitionStatus.QUEUED for p in parts):
            break
        time.sleep(POLL_SECONDS)
    with write_transaction(engine) as session:
        run = session.get(BillRun, run_id)
        report = RunReport(run_id, code, run.period, customers=len(ids))
        if draft_only:
            drafts = session.execute(select(Invoice.id, Invoice.total_ht, Invoice.total_ttc).where(
                Invoice.bill_run_id == run_id, Invoice.number.is_(None),
                Invoice.kind == "invoice").order_by(Invoice.customer_id)).all()
            issued = [(f"draft {row.id}", row.total_ht, row.total_ttc) for row in drafts]
        else:
            issued = number_run_drafts(session, clock, actor, run_id)
        report.invoices = [number for number, _ht, _ttc in issued]
        report.billed = len(issued)
        report.total_ht = sum((ht for _n, ht, _t in issued), ZERO)
        report.total_ttc = sum((ttc for _n, _h, ttc in issued), ZERO)
        parts = list(session.scalars(select(BillRunPartition).where(
            BillRunPartition.bill_run_id == run_id).order_by(BillRunPartition.position)))
        for part in parts:
            report.errors += part.errors
        report.partitions = [PartitionReport.of(part) for part in parts]
        run.invoices = session.scalar(select(func.count()).select_from(Invoice)
                                      .where(Invoice.bill_run_id == run_id)) or 0
        run.total_ht, run.total_ttc = (money(value or ZERO) for value in session.execute(
            select(func.sum(Invoice.total_ht), func.sum(Invoice.total_ttc))
            .where(Invoice.bill_run_id == run_id)).one())
    _finish_run(engine, clock, actor, run_id, code, report)
    alive.remove(run_id)
    return report


def number_run_drafts(session: Session, clock: Clock, actor: Actor, run_id: int
                      ) -> list[tuple[str, Decimal, Decimal]]:
    """Issue the drafts a run's partitions wrote: numbers in customer order, as the in-process
    run takes them, under the operator's bill-run lock; (number, HT, TTC) of each."""
    run = session.get(BillRun, run_id)
    operator = catalog.operator_by_id(session, run.operator_id)
    lock_for_writing(session, f"billrun:{operator.code}")
    drafts = session.execute(
        select(Invoice.id, Invoice.customer_id, Invoice.total_ht, Invoice.total_ttc,
               Invoice.price_basis)
        .where(Invoice.bill_run_id == run_id, Invoice.number.is_(None), Invoice.kind == "invoice",
               Invoice.status == InvoiceStatus.DRAFT)
        .order_by(Invoice.customer_id)).all()
    if not drafts:
        return []
    numbers = take_numbers(session, operator.invoice_prefix, run.issue_date.year, len(drafts))
    refs = {customer_id: customer.ref for customer_id, customer in customers.customers(
        session, {row.customer_id for row in drafts}).items()}
    now = clock.now()
    table = Invoice.__table__
    session.connection().execute(
        update(table).where(table.c.id == bindparam("invoice_id"))
        .values(number=bindparam("invoice_number"), status=InvoiceStatus.ISSUED, issue_date=run.issue_date,
                issued_at=now),
        [{"invoice_id": row.id, "invoice_number": number}
         for row, number in zip(drafts, numbers, strict=True)])
    record_many(session, clock, actor, "invoice.issue", (
        ("invoices", row.id, f"{number} {refs[row.customer_id]}: "
                             f"{fr_format(row.total_ht if row.price_basis == 'HT' else row.total_ttc)}"
                             f" {row.price_basis}")
        for row, number in zip(drafts, numbers, strict=True)))
    return [(number, row.total_ht, row.total_ttc) for row, number in zip(drafts, numbers, strict=True)]


def bill_partition(engine: Engine, clock: Clock, actor: Actor, run_id: int, position: int,
                   worker: str) -> PartitionReport | None:
    """A worker's share of a run: its customers billed as drafts (numbered later by the run's
    coordinator). Idempotent: a partition done is not billed again, and a partition delivered
    again after its worker died bills only the customers whose invoice was not committed."""
    with write_transaction(engine) as session:
        part = session.scalar(select(BillRunPartition).where(
            BillRunPartition.bill_run_id == run_id, BillRunPartition.position == position))
        if part is None:
            raise NotFound(f"bill run {run_id}: no partition {position}",
                           resource="bill_run_partition")
        if part.status == rules.PartitionStatus.DONE:
            return None
        run = session.get(BillRun, run_id)
        operator = catalog.operator_by_id(session, run.operator_id)
        ids = customers.customer_ids(session, operator_id=operator.id,
                                     first=part.first_customer_id, last=part.last_customer_id)
        part.worker, part.attempts = worker, part.attempts + 1
        operator_id, code, month = operator.id, operator.code, month_of(run.period)
        issue_date = run.issue_date
    report = RunReport(run_id, code, periods.period_label(month), customers=len(ids))
    for chunk in chunks(ids, DEFAULT_BATCH):
        _bill_chunk(engine, clock, actor, run_id, operator_id, month, issue_date, chunk, True,
                    report, partition=position)
    with write_transaction(engine) as session:
        part = session.scalar(select(BillRunPartition).where(
            BillRunPartition.bill_run_id == run_id, BillRunPartition.position == position)
            .with_for_update())
        part.invoices, part.total_ht, part.total_ttc = session.execute(
            select(func.count(), func.coalesce(func.sum(Invoice.total_ht), 0),
                   func.coalesce(func.sum(Invoice.total_ttc), 0))
            .where(Invoice.bill_run_id == run_id,
                   Invoice.customer_id.between(part.first_customer_id, part.last_customer_id))
        ).one()
        part.status, part.worker, part.errors = rules.PartitionStatus.DONE, worker, report.errors
        part.finished_at = clock.now()
        return PartitionReport.of(part)


def fail_partition(session: Session, clock: Clock, run_id: int, position: int, error: str) -> None:
    """A partition the workers gave up on (dead letter): its customers are reported unbilled;
    the next run of the period queues it again."""
    part = session.scalar(select(BillRunPartition).where(
        BillRunPartition.bill_run_id == run_id, BillRunPartition.position == position))
    if part is None or part.status == rules.PartitionStatus.DONE:
        return
    part.status, part.finished_at = rules.PartitionStatus.FAILED, clock.now()
    part.errors = [{"customer": f"partition {position} (customers {part.first_customer_id}–"
                                f"{part.last_customer_id})", "reason": error}]


def bill_period(session: Session, clock: Clock, actor: Actor, period: str | date,
                operator_code: str, customer_ids: list[int] | None = None,
                draft_only: bool = False) -> RunReport:
    """A bill run inside the caller's transaction (the demo, small operators, tests)."""
    month = month_of(period)
    operator = operator_by_code(session, operator_code)
    lock_for_writing(session, f"billrun:{operator.code}")
    run = start_bill_run(session, clock, actor, month, operator_code, issuing=not draft_only)
    ids = (customer_ids if customer_ids is not None
           else customers.customer_ids(session, operator_id=operator.id))
    report = RunReport(run.id, operator.code, run.period, customers=len(ids))
    cache = TermsCache(session)
    for chunk in chunks(ids, DEFAULT_BATCH):
        _bill_customers(session, clock, actor, cache, operator, run, month, run.issue_date, chunk,
                        draft_only, report)
    run.customers_done, run.invoices = len(ids), report.billed
    run.total_ht, run.total_ttc = money(report.total_ht), money(report.total_ttc)
    run.status = (rules.BillRunStatus.COMPLETED if not report.errors
                  else rules.BillRunStatus.COMPLETED_WITH_ERRORS)
    run.finished_at = clock.now()
    run.errors = report.errors
    session.flush()
    session.expire_all()     # the invoices were inserted in bulk: reload them from the database
    return report


# --------------------------------------------------------------------------- views of invoices


def list_bill_runs(session: Session, limit: int = 50) -> list[BillRun]:
    return list(session.scalars(select(BillRun).order_by(BillRun.id.desc()).limit(limit)))


def list_partitions(session: Session, run_id: int) -> list[BillRunPartition]:
    """A run's partitions (a run billed by the workers), in customer order."""
    return list(session.scalars(select(BillRunPartition).where(
        BillRunPartition.bill_run_id == run_id).order_by(BillRunPartition.position)))


def get_bill_run(session: Session, run_id: int) -> BillRun:
    run = get_or_not_found(session, BillRun, run_id, resource="bill_run")
    return run
