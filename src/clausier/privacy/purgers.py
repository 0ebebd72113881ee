"""The purgers this room ships: call-detail and rated-usage partitions, recordings,
access-control events, and the data kept on the operator's own platforms (mailboxes, hosted
servers), which Clausier does not hold: for those, the deletions to carry out on the day they
fall due.

A purger is ``function(session, clock, actor, rule, today, held_customer_ids)``: it returns
``None`` when ``rule.data`` is not its kind of data, else the list of ``rules.Purged`` (empty when
nothing was due). It deletes only the data of ``rule``'s operator (and families), never a held
customer's. A room declares its purgers in its manifest (``retention_purgers``).
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.contracts import facts as contract_facts
from clausier.core.clock import PARIS, Clock
from clausier.core.dryrun import files_untouched
from clausier.core.settings import Settings
from clausier.customers import facts as customer_facts
from clausier.privacy.models import PurgeReportLine, Recording, RetentionOverride
from clausier.privacy.rules import ON_PLATFORM, Purged, RetentionPeriod, RuleInForce
from clausier.terms.schema import DayCount

# Usage store of the rating room: ``<data dir>/usage/<kind>/month=YYYY-MM/*.parquet``, each
# record carrying ``customer_id`` (and ``subscription_id``). Call-detail records are the
# imported records; billing data are the rated records the invoices were computed from.
USAGE_KINDS = {"cdr": "records", "billing_data": "rated"}
_MONTH_DIR = re.compile(r"^month=(\d{4})-(\d{2})$")


def customers_in_scope(session: Session, rule: RuleInForce) -> set[int]:
    return set(customer_facts.customer_ids(session, operator_id=rule.operator_id))


def subscriptions_in_scope(session: Session, rule: RuleInForce) -> set[int] | None:
    """The subscriptions of the rule's families; ``None`` when the rule covers every family."""
    if not rule.families:
        return None
    return {sub.id for sub in contract_facts.operator_subscriptions(session, rule.operator_id,
                                                                     rule.families)}


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PARIS)


def purge_usage_partitions(session: Session, clock: Clock, actor: Actor, rule: RuleInForce,
                           today: date, held_customer_ids: frozenset[int]) -> list[Purged] | None:
    """Records are kept to the day (CGV art. 10.6: "six (6) mois à compter de leur
    enregistrement"): each day, the records made (call start, Paris time) on or before the
    period's cutoff go. The store is partitioned by month: a month holding such records is
    rewritten without them, and goes whole once nothing is left in it. Held customers' records
    and other operators' stay."""
    if rule.data not in USAGE_KINDS:
        return None
    base = Settings.from_env().data_dir / "usage" / USAGE_KINDS[rule.data]
    if not base.exists():
        return []
    customers = customers_in_scope(session, rule)
    subscriptions = subscriptions_in_scope(session, rule)
    cutoff = rule.period.cutoff(today)
    out = []
    for folder in sorted(p for p in base.iterdir() if _MONTH_DIR.match(p.name)):
        year, month = map(int, _MONTH_DIR.match(folder.name).groups())
        if date(year, month, 1) > cutoff:
            continue
        deleted = held = 0
        # the rating room's layout: records/month=M/bucket=K/batch-*.parquet,
        # rated/month=M/bucket=K.parquet (``rating.store``)
        for path in sorted(folder.rglob("*.parquet")):
            gone, kept_held = _purge_file(path, customers, subscriptions, held_customer_ids, cutoff)
            deleted += gone
            held += kept_held
        whole = not any(folder.rglob("*.parquet"))
        if whole and not files_untouched():
            shutil.rmtree(folder)
        if deleted or held or whole:
            out.append(Purged(rule.data, f"usage/{USAGE_KINDS[rule.data]}/{folder.name}",
                              deleted, "records", held,
                              f"records made on or before {cutoff.isoformat()}: "
                              + ("whole partition deleted" if whole else "partition rewritten")))
    return out


def _purge_file(path: Path, customers: set[int], subscriptions: set[int] | None,
                held: frozenset[int], cutoff: date) -> tuple[int, int]:
    """Delete from one file the in-scope records made on or before ``cutoff`` (Paris day),
    except held customers'; (deleted, kept because held)."""
    frame = pl.read_parquet(path)
    in_scope = (pl.col("customer_id").is_in(list(customers))
                & (pl.col("start").dt.convert_time_zone(PARIS.key).dt.date() <= cutoff))
    if subscriptions is not None and "subscription_id" in frame.columns:
        in_scope &= pl.col("subscription_id").is_in(list(subscriptions))
    is_held = pl.col("customer_id").is_in(list(held))
    due = frame.filter(in_scope & ~is_held)
    kept_held = frame.filter(in_scope & is_held).height
    if due.height == 0 or files_untouched():
        return due.height, kept_held
    remaining = frame.filter(~(in_scope & ~is_held))
    if remaining.height == 0:
        path.unlink()
    else:
        partial = path.with_suffix(".partial")
        remaining.write_parquet(partial)
        partial.replace(path)
    return due.height, kept_held


def recording_period(session: Session, rule: RuleInForce, customer_id: int) -> RetentionPeriod:
    """The customer's shortened period if it set one, else the sheet's."""
    override = session.scalar(select(RetentionOverride).where(
        RetentionOverride.customer_id == customer_id, RetentionOverride.data == rule.data))
    if override is None:
        return rule.period
    return RetentionPeriod(rule.data, override.months, override.days,
                           rule.period.counted_in if override.months else DayCount.calendar,
                           rule.period.after, override.clause, rule.period.can_only_shorten)


def purge_recordings(session: Session, clock: Clock, actor: Actor, rule: RuleInForce,
                     today: date, held_customer_ids: frozenset[int]) -> list[Purged] | None:
    """Recordings past the customer's period (CX §3.2: six months, or shorter if asked)."""
    if rule.data != "recordings":
        return None
    query = select(Recording.customer_id).distinct().where(
        Recording.customer_id.in_(customers_in_scope(session, rule)))
    subscriptions = subscriptions_in_scope(session, rule)
    out = []
    root = Settings.from_env().data_dir / "recordings"
    for customer_id in session.scalars(query):
        period = recording_period(session, rule, customer_id)
        due = select(Recording).where(
            Recording.customer_id == customer_id,
            Recording.recorded_at < start_of_day(period.cutoff(today) + timedelta(days=1)))
        if subscriptions is not None:
            due = due.where(Recording.subscription_id.in_(subscriptions))
        rows = list(session.scalars(due))
        if not rows:
            continue
        if customer_id in held_customer_ids:
            out.append(Purged(rule.data, f"recordings of customer {customer_id}", 0,
                              "recordings", len(rows), "legal hold"))
            continue
        for row in rows:
            if row.file_name and not files_untouched():
                (root / row.file_name).unlink(missing_ok=True)
        session.execute(delete(Recording).where(Recording.id.in_([r.id for r in rows])))
        out.append(Purged(rule.data, f"recordings of customer {customer_id}", len(rows),
                          "recordings", 0, f"{period.describe()} — {period.clause}"))
    return out



# Data the operator keeps on its own platforms after a service ends; Clausier holds none of it and
# reports each deletion to carry out, on its due day, from the subscription's end.
PLATFORM_DATA = {"mailboxes": "mailbox", "hosting_data": "hosted data"}
# What a rule's ``after`` counts from, among the subscription's dates.
ENDS = {"termination": lambda sub: sub.terminated_on or sub.termination_effective_on,
        "termination_letter_receipt": lambda sub: sub.notice_received_on}


def purge_platform_data(session: Session, clock: Clock, actor: Actor, rule: RuleInForce,
                        today: date, held_customer_ids: frozenset[int]) -> list[Purged] | None:
    """Mailboxes (Ozone CGV art. 11.4: kept 6 months after termination) and hosted data
    (Technicophone CP XI §11: returned or destroyed 30 business days after the termination
    letter): one report line per subscription whose period is over and not yet reported, for
    staff to delete the data on the operator's platform; a customer under a legal hold keeps it
    (reported again each day until the hold is lifted)."""
    if rule.data not in PLATFORM_DATA or rule.period.after not in ENDS:
        return None
    started = ENDS[rule.period.after]
    # Reported once: a day the tick did not run is caught up on the next one.
    reported = set(session.scalars(select(PurgeReportLine.what).where(
        PurgeReportLine.data == rule.data, PurgeReportLine.count > 0)))
    out = []
    for sub in contract_facts.operator_subscriptions(session, rule.operator_id, rule.families,
                                                     cancelled=False):
        start = started(sub)
        if start is None or rule.period.end(start) > today:
            continue
        what = f"{PLATFORM_DATA[rule.data]} of {sub.ref} (ended {start.isoformat()})"
        if what in reported:
            continue
        if sub.customer_id in held_customer_ids:
            out.append(Purged(rule.data, what, 0, ON_PLATFORM, 1, "legal hold"))
        else:
            out.append(Purged(rule.data, what, 1, ON_PLATFORM, 0,
                              f"{rule.period.describe()} — {rule.period.clause}"))
    return out
