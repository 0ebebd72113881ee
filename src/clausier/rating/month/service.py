"""Rating a month (in process, or bucket by bucket on the workers) and what it saves: the
per-subscription explained summaries the bill run takes; reading a service's usage, a
customer's rated months and the dashboard's totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.contracts import facts as contracts_facts
from clausier.contracts import service as contracts
from clausier.core.bulk import gc_paused
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotFound
from clausier.core.explain import Line
from clausier.core.message import msg
from clausier.core.money import money
from clausier.db.session import lock_for_writing
from clausier.rating import facts
from clausier.rating.detail import UsageDetail
from clausier.rating.fair_use.service import save_breaches
from clausier.rating.fraud.service import propose_for_alert, save_alerts
from clausier.rating.models import FairUseBreach, FraudAlert, RatingBucketRun, UsageSummary
from clausier.rating.month import rules
from clausier.rating.month.rules import BucketRunStatus as _B
from clausier.rating.plans import rules as plans_rules
from clausier.rating.plans.service import managed_numbers, plans_of
from clausier.rating.price import rules as price_rules
from clausier.rating.roaming.service import (evaluate_roaming, lines_of, roaming_proposals,
                                             store_roaming)
from clausier.rating.rows import chunks
from clausier.rating.store import UsageStore
from clausier.rating.sva.service import save_payouts


RATING_WORKERS = 2
# Each bucket rated in two slices of its subscriptions, one after the other: two buckets rated
# at once then hold half the wide frames, for the same CPU (10 M records imported then rated in
# one process: peak 1.76-1.78 GiB, 1.94-2.03 in one slice).
RATING_SLICES = 2


@dataclass
class RateReport:
    month: str
    records: int
    subscriptions: int
    amount: Decimal
    breaches: int
    alerts: int
    proposals: int
    unpriced: int
    late_summaries: int
    rated_files: list[str]

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.__dict__.items()}


def check_month(month: str) -> str:
    try:
        rules.month_bounds(month)
    except (ValueError, TypeError):
        raise InvalidInput.on("month", f"{month!r} is not a month (YYYY-MM)") from None
    return month


@gc_paused
def rate(session: Session, clock: Clock, actor: Actor, month: str,
         store: UsageStore | None = None) -> RateReport:
    """Rate (or re-rate) a month deterministically: rated Parquet, per-subscription explained
    summaries for the bill run, fair-use breaches, fraud alerts and penalty proposals."""
    store = store or UsageStore.default()
    check_month(month)
    lock_for_writing(session, f"rating:{month}")
    plans: dict[int, plans_rules.Plan] = {}
    tariffs: dict = {}
    managed: dict[int, set[str]] = {}

    def rate_bucket(bucket, records, bucket_plans, bucket_tariffs, managed_numbers):
        result = rules.rate_in_slices(records, bucket_plans, bucket_tariffs, managed_numbers,
                                      RATING_SLICES)
        path = str(store.write_rated(month, bucket, result.rated))
        bucket_counts = dict(result.rated.group_by("subscription_id").agg(pl.len()).iter_rows())
        result.rated = result.rated.clear()
        return path, bucket_counts, result

    # Buckets are independent (disjoint subscriptions, pure rules): two are rated at a time,
    # as much of the engine runs single-threaded or holds the GIL. The database is used in this
    # thread only: it reads the next buckets' plans, then saves each bucket's summaries, while
    # the workers rate.
    existing = _existing_summaries(session, month)
    files, counts, parts, late = [], {}, [], 0
    with ThreadPoolExecutor(RATING_WORKERS) as pool:
        pending = []
        for bucket in store.buckets(month):
            records = store.scan_month(month, bucket)
            ids = records.select(pl.col("subscription_id").unique()).collect()["subscription_id"].to_list()
            bucket_plans, bucket_tariffs = plans_of(session, ids)
            plans.update({p.subscription_id: p for p in bucket_plans})
            tariffs.update(bucket_tariffs)
            pending.append(pool.submit(rate_bucket, bucket, records, bucket_plans, bucket_tariffs,
                                       managed_numbers(session, bucket_plans, managed)))
        for future in pending:
            path, bucket_counts, part = future.result()
            files.append(path)
            counts.update(bucket_counts)
            late += _save_summaries(session, clock, month, part, plans, bucket_counts, existing)
            parts.append(part)
    result = rules.combine(parts)
    breaches = save_breaches(session, clock, month, result, plans)
    proposals = 0
    alerts = save_alerts(session, clock, month, result.alerts, plans)
    for alert, found in alerts:
        proposals += propose_for_alert(session, clock, alert, found, plans[alert.subscription_id])
    proposals += evaluate_roaming(session, clock, month, result.roaming, plans, tariffs)
    save_payouts(session, result.payouts)
    report = RateReport(
        month=month, records=sum(counts.values()), subscriptions=len(result.explained),
        amount=sum((e.total for e in result.explained.values()), Decimal("0.00")),
        breaches=breaches, alerts=len(alerts), proposals=proposals,
        unpriced=sum(result.unpriced.values()), late_summaries=late, rated_files=files)
    record(session, clock, actor, "usage.rate", UsageSummary(id=None),
           msg("{month}: {records} records, {subscriptions} subscriptions, {amount}",
               month=month, records=report.records, subscriptions=report.subscriptions,
               amount=report.amount), report.as_dict())
    return report


def rate_on_workers(engine, clock: Clock, actor: Actor, month: str, queue,
                    store: UsageStore | None = None, poll_seconds: float = 0.2
                    ) -> tuple[RateReport, list[dict]]:
    """``rate`` with each bucket of subscriptions rated by the workers (a broker configured):
    ``queue(run_key, bucket, fixed_at)`` sends a bucket; this waits for them all, then evaluates
    roaming abuse over every line of the month (it compares a customer's lines, which may lie in
    different buckets) and records the run. The same summaries, breaches, alerts and report as
    the in-process rating. Holds the month's rating lock meanwhile (as ``rate`` does): another
    rating of the month waits. The report, and the buckets with the worker that rated each."""
    import time
    import uuid

    from clausier.core.clock import FixedClock
    from clausier.db.session import transaction, write_transaction

    store = store or UsageStore.default()
    check_month(month)
    run_key = uuid.uuid4().hex
    fixed_at = clock.now().isoformat() if isinstance(clock, FixedClock) else None
    buckets = store.buckets(month)
    with write_transaction(engine) as session:
        session.add_all([RatingBucketRun(run_key=run_key, month=month, bucket=bucket,
                                         queued_at=clock.now()) for bucket in buckets])
    with write_transaction(engine) as session:
        lock_for_writing(session, f"rating:{month}")
        for bucket in buckets:
            queue(run_key, bucket, fixed_at)
        while True:
            with transaction(engine) as reading:
                rows = list(reading.scalars(select(RatingBucketRun).where(
                    RatingBucketRun.run_key == run_key).order_by(RatingBucketRun.bucket)))
                reading.expunge_all()
            if all(row.status != _B.QUEUED for row in rows):
                break
            time.sleep(poll_seconds)
        failed = [row for row in rows if row.status == _B.FAILED]
        if failed:
            raise Conflict(f"rating {month}: bucket(s) {', '.join(str(r.bucket) for r in failed)} "
                           f"failed on the workers ({failed[0].error}); see clausier "
                           f"dead-letters, then rate the month again")
        parts = [row.report for row in rows]
        roaming_ids = [sid for part in parts for sid in part["roaming_subscriptions"]]
        plans, tariffs = plans_of(session, roaming_ids)
        surcharges_proposed = roaming_proposals(
            session, clock, month, roaming_ids, {p.subscription_id: p for p in plans}, tariffs)
        report = RateReport(
            month=month, records=sum(p["records"] for p in parts),
            subscriptions=sum(p["subscriptions"] for p in parts),
            amount=sum((Decimal(p["amount"]) for p in parts), Decimal("0.00")),
            breaches=sum(p["breaches"] for p in parts), alerts=sum(p["alerts"] for p in parts),
            proposals=sum(p["proposals"] for p in parts) + surcharges_proposed,
            unpriced=sum(p["unpriced"] for p in parts),
            late_summaries=sum(p["late_summaries"] for p in parts),
            rated_files=[p["rated_file"] for p in parts])
        record(session, clock, actor, "usage.rate", UsageSummary(id=None),
               msg("{month}: {records} records, {subscriptions} subscriptions, {amount} (on the "
                   "workers)", month=month, records=report.records,
                   subscriptions=report.subscriptions, amount=report.amount), report.as_dict())
    return report, [{"bucket": row.bucket, "worker": row.worker, "status": row.status,
                     "records": row.report.get("records", 0),
                     "subscriptions": row.report.get("subscriptions", 0)} for row in rows]


@gc_paused
def rate_bucket(engine, clock: Clock, run_key: str, bucket: int, worker: str,
                store: UsageStore | None = None) -> None:
    """A worker's task: rate one bucket of a rating run and save what is the bucket's own (the
    rated Parquet, summaries, fair-use breaches, fraud alerts and their proposals, payouts, the
    lines' roaming profiles), in one transaction that also marks the bucket done. Found done
    (delivered twice), nothing happens; rolled back (its worker died), it is rated again."""
    from clausier.db.session import write_transaction

    store = store or UsageStore.default()
    with write_transaction(engine) as session:
        row = session.scalar(select(RatingBucketRun).where(
            RatingBucketRun.run_key == run_key, RatingBucketRun.bucket == bucket).with_for_update())
        if row is None:
            raise NotFound(f"rating run {run_key}: no bucket {bucket}", resource="rating_bucket")
        if row.status != _B.QUEUED:
            return
        lock_for_writing(session, f"rating:{row.month}:{bucket}")
        row.report = _rate_and_save_bucket(session, clock, row.month, bucket, store)
        row.status, row.worker, row.finished_at = _B.DONE, worker, clock.now()


def fail_bucket(session: Session, clock: Clock, run_key: str, bucket: int, error: str) -> None:
    """A bucket the workers gave up on (its dead letter): its run stops, naming it."""
    row = session.scalar(select(RatingBucketRun).where(RatingBucketRun.run_key == run_key,
                                                       RatingBucketRun.bucket == bucket))
    if row is not None and row.status == _B.QUEUED:
        row.status, row.error, row.finished_at = _B.FAILED, error[:2000], clock.now()


def _rate_and_save_bucket(session: Session, clock: Clock, month: str, bucket: int,
                          store: UsageStore) -> dict:
    """What ``rate`` does for one bucket, the roaming proposals left to the run's end."""
    records = store.scan_month(month, bucket)
    ids = records.select(pl.col("subscription_id").unique()).collect()["subscription_id"].to_list()
    plan_list, tariffs = plans_of(session, ids)
    plans = {p.subscription_id: p for p in plan_list}
    result = rules.rate_in_slices(records, plan_list, tariffs, managed_numbers(session, plan_list, {}),
                                  RATING_SLICES)
    path = str(store.write_rated(month, bucket, result.rated))
    counts = dict(result.rated.group_by("subscription_id").agg(pl.len()).iter_rows())
    late = _save_summaries(session, clock, month, result, plans, counts,
                           _existing_summaries(session, month))
    breaches = save_breaches(session, clock, month, result, plans)
    alerts = save_alerts(session, clock, month, result.alerts, plans)
    proposals = sum(propose_for_alert(session, clock, alert, found, plans[alert.subscription_id])
                    for alert, found in alerts)
    store_roaming(session, month, result.roaming)
    save_payouts(session, result.payouts)
    return {"records": sum(counts.values()), "subscriptions": len(result.explained),
            "amount": str(sum((e.total for e in result.explained.values()), Decimal("0.00"))),
            "breaches": breaches, "alerts": len(alerts), "proposals": proposals,
            "unpriced": sum(result.unpriced.values()), "late_summaries": late,
            "rated_file": path, "roaming_subscriptions": lines_of(result.roaming)}


def _existing_summaries(session: Session, month: str) -> dict[tuple[int, str], UsageSummary]:
    """The summaries of a usage month already stored, by (subscription, billing month)."""
    return {(s.subscription_id, s.month): s for s in session.scalars(
        select(UsageSummary).where(UsageSummary.usage_period == month))}


def _save_summaries(session: Session, clock: Clock, month: str, result: rules.MonthRating,
                    plans: dict[int, plans_rules.Plan], counts: dict[int, int],
                    existing: dict[tuple[int, str], UsageSummary]) -> int:
    """One summary per subscription for the usage month; when that month was already billed,
    the difference (late records, retroactive re-rating) goes on the next month's bill."""
    billed_by_subscription: dict[int, list[UsageSummary]] = {}
    for (subscription_id, _), row in existing.items():
        if row.billed_invoice_id is not None and subscription_id in result.explained:
            billed_by_subscription.setdefault(subscription_id, []).append(row)
    late, new_rows, now = 0, [], clock.now()
    for subscription_id, explained in sorted(result.explained.items()):
        plan = plans[subscription_id]
        detail = result.detail.get(subscription_id, UsageDetail())
        billed = billed_by_subscription.get(subscription_id, [])
        target = month
        if billed:
            already = sum((s.amount for s in billed), Decimal("0"))
            billed_line = Line(msg("Already billed for this period"), -already,
                               msg("invoice(s) {ids}", ids=", ".join(str(s.billed_invoice_id)
                                                                     for s in billed)), "")
            explained, detail = explained.plus(billed_line), detail.plus(billed_line)
            last_billed = session.scalar(select(UsageSummary.month).where(
                UsageSummary.subscription_id == subscription_id,
                UsageSummary.billed_invoice_id.is_not(None)).order_by(UsageSummary.month.desc()))
            target = rules.shift_month(max(last_billed, month), 1)
            late += 1
        row = existing.get((subscription_id, target))
        if billed and explained.total == 0:
            if row is not None and row.billed_invoice_id is None:
                session.delete(row)
            continue
        values = dict(amount=explained.total, price_basis=plan.price_basis,
                      records=counts.get(subscription_id, 0), explanation=explained.as_dict(),
                      detail=detail.as_dict(), computed_at=now)
        if row is None:
            new_rows.append(dict(subscription_id=subscription_id, customer_id=plan.customer_id,
                                 month=target, usage_period=month, **values))
        elif row.billed_invoice_id is None and (row.amount, row.explanation, row.detail) != (
                values["amount"], values["explanation"], values["detail"]):
            for name, value in values.items():
                setattr(row, name, value)
    # Core inserts: the ORM's bulk path costs more per row than the rows themselves here.
    connection = session.connection()
    for chunk in chunks(new_rows, 2000):
        connection.execute(insert(UsageSummary.__table__), list(chunk))
    return late


def unbilled_of_customer(session: Session, customer_id: int, up_to_month: str) -> list[facts.RatedMonth]:
    """A customer's rated usage not billed yet: what the next bill run takes (``facts``)."""
    subscription_ids = [sid for ids in contracts_facts.subscription_ids_by_family(
        session, [customer_id]).values() for sid in ids]
    return sorted((rated for months in facts.unbilled_usage(session, subscription_ids, up_to_month).values()
                   for rated in months), key=lambda m: (m.month, m.usage_period, m.subscription_id))


def _subscription(session: Session, service: str):
    """The subscription of a service identifier or reference (the contracts room's)."""
    found = contracts.find_by_service_identifier(session, service)
    return found if found is not None else contracts.get_subscription(session, service)


@dataclass(frozen=True)
class MonthUsage:
    """A service's usage in a month (``usage_of``); ``rating.shapes.usage_dict`` shows it."""

    subscription_id: int
    subscription_ref: str
    family: str
    service_identifier: str | None
    month: str
    summaries: list[UsageSummary]
    traffic: list[dict]
    breaches: list[FairUseBreach]
    alerts: list[FraudAlert]


def usage_of(session: Session, service: str, month: str,
             store: UsageStore | None = None) -> MonthUsage:
    """A service's usage in a month: its summaries, breaches, alerts and traffic by destination."""
    store = store or UsageStore.default()
    check_month(month)
    sub = _subscription(session, service)
    summaries = list(session.scalars(select(UsageSummary).where(
        UsageSummary.subscription_id == sub.id, UsageSummary.usage_period == month)
        .order_by(UsageSummary.month)))
    traffic = []
    rated = store.scan_rated(month)
    if rated is not None:
        traffic = (rated.filter(pl.col("subscription_id") == sub.id)
                   .group_by("rate_dest", "type", "in_bundle").agg(
                       pl.len().alias("records"), pl.col("duration").sum().alias("seconds"),
                       pl.col("bytes").sum(), pl.col("amount_micro").sum())
                   .sort("rate_dest", "type", "in_bundle").collect().to_dicts())
        for row in traffic:
            row["amount"] = str(money(price_rules.from_micro(row.pop("amount_micro"))))
    return MonthUsage(
        subscription_id=sub.id, subscription_ref=sub.ref, family=sub.family,
        service_identifier=sub.service_identifier, month=month, summaries=summaries, traffic=traffic,
        breaches=list(session.scalars(select(FairUseBreach).where(
            FairUseBreach.subscription_id == sub.id, FairUseBreach.month == month))),
        alerts=list(session.scalars(select(FraudAlert).where(
            FraudAlert.subscription_id == sub.id, FraudAlert.month == month))))


def summaries_of_customer(session: Session, customer_id: int, limit: int = 500) -> list[UsageSummary]:
    """A customer's rated usage, latest usage period first (the customer portal shows it)."""
    return list(session.scalars(select(UsageSummary).where(UsageSummary.customer_id == customer_id)
                                .order_by(UsageSummary.usage_period.desc(),
                                          UsageSummary.subscription_id).limit(limit)))


def usage_per_month(session: Session, periods: Sequence[str]) -> dict[tuple[str, str], Decimal]:
    """Rated usage per (usage period, price basis), for the dashboard's chart."""
    rows = session.execute(select(UsageSummary.usage_period, UsageSummary.price_basis,
                                  func.sum(UsageSummary.amount))
                           .where(UsageSummary.usage_period.in_(list(periods)))
                           .group_by(UsageSummary.usage_period, UsageSummary.price_basis))
    return {(period, basis): money(Decimal(total or 0)) for period, basis, total in rows}
