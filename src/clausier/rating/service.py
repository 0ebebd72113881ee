"""Use cases of the rating room: import CDR files, load price lists, rate a month, feed the bill
run, and the staff decisions on breaches, fraud alerts, penalties and premium-number payouts."""

from __future__ import annotations

import csv
import functools
import gzip
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import yaml
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.billing.ledger.charges import add_charge
from clausier.catalog.attributes import rating_attributes
from clausier.catalog.models import Offer, Operator
from clausier.contracts import service as contracts
from clausier.contracts.models import Subscription, SubscriptionItem
from clausier.core.bulk import gc_paused
from clausier.core.calendar import BusinessCalendar, DayKind, OpeningHours
from clausier.core.clock import PARIS, Clock
from clausier.core.errors import InvalidInput, NotAllowed, NotFound, Problem
from clausier.core.explain import Explained, Line
from clausier.core.money import money
from clausier.db.session import lock_for_writing
from clausier.rating import cdr, facts, rules
from clausier.rating import numbering as nb
from clausier.rating.models import (FairUseBreach, FraudAlert, ImportBatch, PenaltyProposal,
                                    RatingBucketRun,
                                    RejectedRow, RoamingMonthRow, SvaPayout, SvaPayoutClaim,
                                    UsageSummary, UsageTariff)
from clausier.rating.store import WRITERS, UsageStore
from clausier.terms.schema import Usage

PRICE_LISTS = Path(__file__).parent / "data" / "price_lists"
REJECTS_KEPT_IN_DATABASE = 1000
CHUNK_ROWS = 1_000_000
ID_HASH_SEED = 20_261_001
RATING_WORKERS = 2
PENALTY_SOURCE = "usage_penalty"


# --------------------------------------------------------------------------- import

def _header(path: Path) -> list[str]:
    """The names of the file's columns (a UTF-8 BOM before them is not part of the first)."""
    if not path.is_file():
        raise InvalidInput.on("file", f"{path}: not found")
    try:
        with _text_lines(path) as lines:
            header = [name.strip() for name in next(csv.reader(lines, strict=True), [])]
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error):
        raise _unreadable(path) from None
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InvalidInput.on("header",
                              f"{path.name}: column(s) named twice: {', '.join(repeated)}")
    return header


@contextmanager
def _text_lines(path: Path) -> Iterator[Iterator[str]]:
    """The lines of a CSV file, plain or gzip-compressed, decoded from UTF-8 one by one (so
    that a decoding error is met on its own line)."""
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as handle:
        yield (line.decode("utf-8-sig" if number == 0 else "utf-8")
               for number, line in enumerate(handle))


def _unreadable(path: Path, error: Exception | None = None) -> InvalidInput:
    """Where and why a file that cannot be read breaks, found again line by line with the
    standard library (on this rare path only: the bulk read is Polars', whose errors give
    neither the line nor a reason meant for the user, but advice on its own options)."""
    first_words = str(error).strip().splitlines()[0] if error and str(error).strip() else "unknown"
    line, reason = 1, f"cannot be read as CSV ({first_words})"
    try:
        with _text_lines(path) as lines:
            reader = csv.reader(lines, strict=True)
            while next(reader, None) is not None:
                line = reader.line_num + 1      # where the next record starts
            line = 0                            # read to the end: no line to name
    except (gzip.BadGzipFile, EOFError, zlib.error):
        reason = "the gzip data is corrupt or cut short"
    except OSError as exc:
        line, reason = 0, f"cannot be read ({exc.strerror or exc})"
    except UnicodeDecodeError as exc:
        reason = f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x})"
    except csv.Error as exc:
        # The end of the file, or csv's limit on a field (128 KiB), met within quotes.
        unclosed = "end of data" in str(exc) or "field limit" in str(exc)
        reason = ("a quote opened on this line is never closed" if unclosed
                  else f"not valid CSV ({exc})")
    where = f", line {line}" if line else ""
    return InvalidInput(f"file: {path.name}{where}: {reason}; nothing imported",
                        problems=[Problem("file", reason, line or None)])


def _subscriptions_frame(session: Session) -> pl.DataFrame:
    """Service identifier → the latest subscription that carries it."""
    rows = session.execute(select(Subscription.service_identifier, Subscription.id,
                                  Subscription.customer_id)
                           .where(Subscription.service_identifier.is_not(None))
                           .order_by(Subscription.id)).all()
    latest = {identifier: (sid, cid) for identifier, sid, cid in rows}
    return pl.DataFrame({"service": list(latest), "subscription_id": [v[0] for v in latest.values()],
                         "customer_id": [v[1] for v in latest.values()]},
                        schema={"service": pl.String, "subscription_id": pl.Int64,
                                "customer_id": pl.Int64})


@gc_paused
def import_cdr_file(session: Session, clock: Clock, actor: Actor, path: Path,
                    store: UsageStore | None = None) -> ImportBatch:
    """Import one CDR file: good rows go to the month partitions, bad rows to the reject report
    with their line and reason; record ids already imported are skipped (idempotent)."""
    store = store or UsageStore.default()
    path = Path(path)
    header = _header(path)
    missing = [name for name in cdr.REQUIRED if name not in header]
    if missing:
        raise InvalidInput.on("header", f"{path.name}: missing column(s) {', '.join(missing)}"
                              f" (expected: {', '.join(cdr.COLUMNS)})")
    lock_for_writing(session, "rating:import")
    batch = ImportBatch(file_name=path.name, actor=actor.name, started_at=clock.now())
    session.add(batch)
    session.flush()
    # One spare column catches the fields of a row beyond the header (rejected, not cut off).
    raw = pl.scan_csv(path, has_header=False, skip_rows=1, row_index_name="line",
                      row_index_offset=2, schema=dict.fromkeys([*header, cdr.EXTRA], pl.String),
                      truncate_ragged_lines=True, missing_columns="insert")
    raw = raw.with_columns(*[pl.lit(None, pl.String).alias(name) for name in cdr.COLUMNS
                             if name not in header])
    subscriptions = _subscriptions_frame(session)
    stored_columns = [name for name in cdr.STORED_SCHEMA if name != "batch_id"] + ["yyyymm"]
    rejects, known, months = [], {}, set()
    accepted = pl.DataFrame(schema={"id_hash": pl.UInt64, "line": pl.Int64})   # lines written so far
    batch.rows_read = batch.duplicates = batch.accepted = 0
    in_flight: list[Future[str]] = []

    def settle() -> None:
        """Wait for the part being written; each write gives its month."""
        months.update(future.result() for future in in_flight)
        in_flight.clear()

    try:
        # Chunks of the file, so that memory stays bounded whatever its size; a part is written
        # while the next is read and checked, never more than one.
        with ThreadPoolExecutor(WRITERS) as writers:
            for part, text in enumerate(raw.collect_batches(chunk_size=CHUNK_ROWS)):
                chunk = _owned(cdr.parsed(text), subscriptions)
                batch.rows_read += chunk.height
                failing = chunk.filter(pl.col("check").is_not_null())
                if failing.height:
                    rejects.append(cdr.with_problems(failing).select("line", "record_id", "problem"))
                    chunk = chunk.filter(pl.col("check").is_null())
                good = chunk.with_columns(_id_hash(pl.col("record_id")),
                                          *[pl.col(name).cast(enum) for name, enum in cdr.KEYWORDS.items()])
                chunk_months = {cdr.month_text(m) for m in good["yyyymm"].unique().to_list()}
                for month in chunk_months - known.keys():
                    known[month] = store.known_ids([month]).with_columns(_id_hash(pl.col("record_id"))).collect()
                already = pl.concat([known[m] for m in sorted(chunk_months)] or [_no_known_ids()])
                drop = _already_imported(good, already)
                fresh = good.filter(~pl.col("line").is_in(drop.implode())) if drop.len() else good
                batch.duplicates += good.height - fresh.height
                if fresh.height:
                    settle()
                    in_flight.extend(store.write_part(fresh.select(stored_columns).with_columns(
                        pl.lit(batch.id, pl.Int64).alias("batch_id")), batch.id, part, writers))
                    accepted = pl.concat([accepted, fresh.select("id_hash", pl.col("line").cast(pl.Int64))],
                                        rechunk=False)
                    batch.accepted += fresh.height
            settle()
        repeated = _repeats_within_file(store, batch.id, accepted)
        if repeated.height:
            rejects.append(repeated)
            batch.accepted -= repeated.height
    except BaseException as exc:
        store.drop_batch(batch.id)      # the batch is rolled back: none of its records stays
        if isinstance(exc, (pl.exceptions.PolarsError, OSError)):   # not UTF-8, corrupt gzip…
            raise _unreadable(path, exc) from None
        raise
    # A record id too long to keep is cut: its reason says it was too long.
    rejects = (pl.concat(rejects, how="diagonal_relaxed").sort("line").with_columns(
                   pl.col("record_id").str.slice(0, cdr.MAX_BYTES["record_id"])) if rejects
               else pl.DataFrame(schema={"line": pl.Int64, "record_id": pl.String, "problem": pl.String}))
    batch.rejected = rejects.height
    batch.months = sorted(months)
    if rejects.height:
        target = store.reject_path(batch.id)
        target.parent.mkdir(parents=True, exist_ok=True)
        rejects.select("line", "record_id", pl.col("problem").alias("reason")).write_csv(target)
        batch.reject_file = str(target)
        session.add_all(RejectedRow(batch_id=batch.id, line=row["line"], record_id=row["record_id"] or "",
                                    reason=row["problem"][:500])
                        for row in rejects.head(REJECTS_KEPT_IN_DATABASE).iter_rows(named=True))
    batch.finished_at = clock.now()
    record(session, clock, actor, "cdr.import", batch,
           f"{path.name}: {batch.accepted} imported, {batch.duplicates} already known, "
           f"{batch.rejected} rejected", {"months": batch.months})
    return batch


def _owned(chunk: pl.DataFrame, subscriptions: pl.DataFrame) -> pl.DataFrame:
    """The subscription and customer of each record (by service identifier); a good row whose
    service no subscription carries fails the last check. Only the service column is joined:
    joining the whole chunk would copy every column."""
    owners = chunk.select("service").join(subscriptions, on="service", how="left", maintain_order="left")
    unknown = pl.col("check").is_null() & owners["subscription_id"].is_null()
    return chunk.with_columns(owners["subscription_id"], owners["customer_id"],
                              pl.when(unknown).then(pl.lit(cdr.UNKNOWN_SERVICE, pl.Int8))
                              .otherwise(pl.col("check")).alias("check"))


def _id_hash(record_id: pl.Expr) -> pl.Expr:
    """A 64-bit hash of the record id, to find repeats among millions of ids cheaply; a hash
    hit is always confirmed on the id itself. Computed at each import, never stored (Polars
    does not promise the same hash across versions)."""
    return record_id.hash(ID_HASH_SEED).alias("id_hash")


def _no_known_ids() -> pl.DataFrame:
    return pl.DataFrame(schema={"record_id": pl.String, "id_hash": pl.UInt64})


def _already_imported(good: pl.DataFrame, known: pl.DataFrame) -> pl.Series:
    """The lines of ``good`` whose record id an earlier batch imported (importing it again
    changes nothing). The known ids whose hash is in the chunk are compared on the id itself."""
    hits = known.filter(pl.col("id_hash").is_in(good["id_hash"].implode()))
    if hits.height == 0:
        return pl.Series("line", [], pl.Int64)
    return good.join(hits, on=["id_hash", "record_id"], how="semi")["line"].cast(pl.Int64)


def _repeats_within_file(store: UsageStore, batch_id: int, accepted: pl.DataFrame) -> pl.DataFrame:
    """Record ids repeated within the file, found once all of it is written (a repeat is rare:
    one pass over the hashes of every accepted line, rather than a look-up per chunk). The
    first line is kept; the others are removed from the batch's files and reported."""
    c = pl.col
    report = pl.DataFrame(schema={"line": pl.Int64, "record_id": pl.String, "problem": pl.String})
    if accepted["id_hash"].n_unique() == accepted.height:
        return report
    lines = accepted.filter(c("id_hash").is_duplicated())["line"]
    written = (pl.scan_parquet(store.batch_files(batch_id)).select("record_id", c("line").cast(pl.Int64))
               .filter(c("line").is_in(lines.implode())).collect())
    first = written.group_by("record_id").agg(c("line").min().alias("first_line"))
    repeated = (written.join(first, on="record_id").filter(c("line") > c("first_line"))
                .select("line", "record_id", (pl.lit("record_id: '") + c("record_id") + pl.lit("' already on line ")
                                              + c("first_line").cast(pl.String)).alias("problem")))
    if repeated.height:
        store.remove_lines(batch_id, repeated["line"])
    return repeated


def list_batches(session: Session, limit: int = 50) -> list[ImportBatch]:
    return list(session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def get_batch(session: Session, batch_id: int) -> tuple[ImportBatch, list[RejectedRow]]:
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"import batch {batch_id} not found")
    rejects = list(session.scalars(select(RejectedRow).where(RejectedRow.batch_id == batch_id)
                                   .order_by(RejectedRow.line)))
    return batch, rejects


# --------------------------------------------------------------------------- price lists

def load_price_list(session: Session, clock: Clock, actor: Actor, path: Path) -> int:
    """Load a usage price list (YAML: scope, source, price_basis, valid_from, tariffs). Loading
    the same list again changes nothing; a new ``valid_from`` adds a version."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InvalidInput.on("file", f"{path}: not found") from None
    for name in ("scope", "source", "price_basis", "valid_from", "tariffs"):
        if name not in document:
            raise InvalidInput.on(name, f"{Path(path).name}: missing")
    valid_from = document["valid_from"]
    if not isinstance(valid_from, date):
        raise InvalidInput.on("valid_from", f"{valid_from!r} is not a date (YYYY-MM-DD)")
    count = 0
    for index, item in enumerate(document["tariffs"]):
        field = f"tariffs.{index}"
        if item.get("kind", "voice") not in ("voice", "sms", "mms", "data"):
            raise InvalidInput.on(f"{field}.kind", f"{item.get('kind')!r} is not voice, sms, mms or data")
        if item.get("increment", "second") not in ("second", "minute"):
            raise InvalidInput.on(f"{field}.increment", "must be second or minute")
        try:
            price = Decimal(str(item["price"]))
            setup = Decimal(str(item.get("setup", "0")))
        except (KeyError, ArithmeticError):
            raise InvalidInput.on(f"{field}.price", "missing or not a decimal") from None
        try:
            rules.check_tariff(rules.Tariff(str(item.get("destination")), item.get("kind", "voice"), price))
        except ValueError as exc:
            raise InvalidInput.on(f"{field}.destination", str(exc)) from None
        key = dict(scope=document["scope"], destination=str(item["destination"]),
                   kind=item.get("kind", "voice"), valid_from=valid_from)
        row = session.scalar(select(UsageTariff).filter_by(**key))
        if row is None:
            row = UsageTariff(**key)
            session.add(row)
        row.price, row.setup = price, setup
        row.increment = item.get("increment", "second")
        row.price_basis = item.get("price_basis", document["price_basis"])
        row.source, row.demo = document["source"], bool(document.get("demo", False))
        count += 1
    record(session, clock, actor, "usage_tariffs.load", UsageTariff(id=None),
           f"{document['scope']}: {count} tariff line(s) from {valid_from}")
    return count


def built_in_price_lists() -> list[Path]:
    return sorted(PRICE_LISTS.glob("*.yaml"))


# --------------------------------------------------------------------------- plans

def _scopes(subscription, items, operator_codes: dict[int, str]) -> list[str]:
    """Price-list scopes of a subscription, widest first."""
    return ([f"operator:{operator_codes[subscription.operator_id]}"]
            + [f"offer:{item.offer_code}" for item in items]
            + [f"subscription:{subscription.ref}"])


def _chunks(values: Sequence, size: int = 5000) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _plans(session: Session, subscription_ids: Iterable[int]) -> tuple[list[rules.Plan], dict]:
    """The rating plan of each subscription (sheet usage block of its signed version, offer
    bundle and units, price list) and the merged price lists by key."""
    ids = sorted(set(subscription_ids))
    # Plain rows, not ORM objects: a month may concern tens of thousands of subscriptions.
    subscriptions = [row for chunk in _chunks(ids) for row in session.execute(
        select(Subscription.id, Subscription.customer_id, Subscription.family, Subscription.sheet_id,
               Subscription.sheet_version, Subscription.service_identifier, Subscription.operator_id,
               Subscription.ref).where(Subscription.id.in_(chunk)).order_by(Subscription.id))]
    items_of: dict[int, list] = {}
    for chunk in _chunks(ids):
        for item in session.execute(
                select(SubscriptionItem.subscription_id, SubscriptionItem.offer_id,
                       SubscriptionItem.offer_code, SubscriptionItem.unit, SubscriptionItem.quantity,
                       SubscriptionItem.is_option, SubscriptionItem.price_basis)
                .where(SubscriptionItem.subscription_id.in_(chunk)).order_by(SubscriptionItem.id)):
            items_of.setdefault(item.subscription_id, []).append(item)
    terms_cache: dict[tuple, Usage] = {}
    offer_ids = sorted({item.offer_id for items in items_of.values() for item in items})
    offers = {offer.id: offer for chunk in _chunks(offer_ids)
              for offer in session.scalars(select(Offer).where(Offer.id.in_(chunk)))}
    read_attributes = functools.cache(lambda offer_id: rating_attributes(offers[offer_id].attributes))
    operator_codes = dict(session.execute(select(Operator.id, Operator.code)).all())
    scopes_of = {sub.id: _scopes(sub, items_of.get(sub.id, []), operator_codes) for sub in subscriptions}
    wanted = sorted({scope for scopes in scopes_of.values() for scope in scopes})
    scoped: dict[str, list[UsageTariff]] = {}
    for chunk in _chunks(wanted):
        for row in session.scalars(select(UsageTariff).where(UsageTariff.scope.in_(chunk))
                                   .order_by(UsageTariff.id)):
            scoped.setdefault(row.scope, []).append(row)
    plans, tariffs = [], {}
    for sub in subscriptions:
        key = (sub.sheet_id, sub.sheet_version, sub.family)
        if key not in terms_cache:
            try:
                terms_cache[key] = contracts.terms_of(session, sub).usage or Usage()
            except KeyError:
                terms_cache[key] = Usage()
        units: Counter[str] = Counter()
        bundle, lines_managed = None, True
        items = items_of.get(sub.id, [])
        for item in sorted(items, key=lambda i: i.is_option):
            attributes = read_attributes(item.offer_id)
            if not item.is_option:      # a per-line option (Télétaxe) is not one more line
                units[item.unit] += item.quantity
            for unit, per_item in (("channel", attributes.channels), ("user", attributes.users),
                                   ("pack", attributes.packs)):
                if per_item:
                    units[unit] += per_item * item.quantity
            if bundle is None and (offered := rules.Bundle.of(attributes)).includes_anything:
                bundle = offered
            lines_managed = lines_managed and attributes.lines_managed
        scopes = [scope for scope in scopes_of[sub.id] if scope in scoped]
        tariff_key = "|".join(scopes)
        if tariff_key not in tariffs:
            merged: dict[tuple[str, str], list[rules.Tariff]] = {}
            for scope in scopes:        # narrower scopes come later and replace wider ones
                lines: dict[tuple[str, str], list[rules.Tariff]] = {}
                for row in scoped[scope]:
                    lines.setdefault((row.destination, row.kind), []).append(rules.Tariff(
                        row.destination, row.kind, row.price, row.setup, row.increment,
                        row.price_basis, row.valid_from,
                        f"{row.source}{' (demo)' if row.demo else ''}"))
                merged.update(lines)
            tariffs[tariff_key] = [t for chain in merged.values() for t in chain]
        plans.append(rules.Plan(
            subscription_id=sub.id, customer_id=sub.customer_id, family=sub.family,
            identifier=sub.service_identifier or "", usage=terms_cache[key],
            bundle=bundle or rules.Bundle(), units=dict(units), tariff_key=tariff_key,
            price_basis=items[0].price_basis if items else "HT", lines_managed=lines_managed,
            operator_id=sub.operator_id))
    return plans, tariffs


# --------------------------------------------------------------------------- rating a month

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


def _check_month(month: str) -> str:
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
    _check_month(month)
    lock_for_writing(session, f"rating:{month}")
    plans: dict[int, rules.Plan] = {}
    tariffs: dict = {}
    managed: dict[int, set[str]] = {}

    def rate_bucket(bucket, records, bucket_plans, bucket_tariffs, managed_numbers):
        result = rules.rate_month(records, bucket_plans, bucket_tariffs, managed_numbers)
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
            bucket_plans, bucket_tariffs = _plans(session, ids)
            plans.update({p.subscription_id: p for p in bucket_plans})
            tariffs.update(bucket_tariffs)
            pending.append(pool.submit(rate_bucket, bucket, records, bucket_plans, bucket_tariffs,
                                       _managed_numbers(session, bucket_plans, managed)))
        for future in pending:
            path, bucket_counts, part = future.result()
            files.append(path)
            counts.update(bucket_counts)
            late += _save_summaries(session, clock, month, part, plans, bucket_counts, existing)
            parts.append(part)
    result = rules.combine(parts)
    breaches = _save_breaches(session, clock, month, result, plans)
    proposals = 0
    alerts = _save_alerts(session, clock, month, result.alerts, plans)
    for alert, found in alerts:
        proposals += _propose_for_alert(session, clock, alert, found, plans[alert.subscription_id])
    proposals += _evaluate_roaming(session, clock, month, result.roaming, plans, tariffs)
    _save_payouts(session, result.payouts)
    report = RateReport(
        month=month, records=sum(counts.values()), subscriptions=len(result.explained),
        amount=sum((e.total for e in result.explained.values()), Decimal("0.00")),
        breaches=breaches, alerts=len(alerts), proposals=proposals,
        unpriced=sum(result.unpriced.values()), late_summaries=late, rated_files=files)
    record(session, clock, actor, "usage.rate", UsageSummary(id=None),
           f"{month}: {report.records} records, {report.subscriptions} subscriptions, "
           f"{report.amount} €", report.as_dict())
    return report


# --------------------------------------------------------------------------- rating on the workers

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
    _check_month(month)
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
            if all(row.status != "queued" for row in rows):
                break
            time.sleep(poll_seconds)
        failed = [row for row in rows if row.status == "failed"]
        if failed:
            raise Conflict(f"rating {month}: bucket(s) {', '.join(str(r.bucket) for r in failed)} "
                           f"failed on the workers ({failed[0].error}); see clausier "
                           f"dead-letters, then rate the month again")
        parts = [row.report for row in rows]
        roaming_ids = [sid for part in parts for sid in part["roaming_subscriptions"]]
        plans, tariffs = _plans(session, roaming_ids)
        roaming_proposals = _roaming_proposals(
            session, clock, month, roaming_ids, {p.subscription_id: p for p in plans}, tariffs)
        report = RateReport(
            month=month, records=sum(p["records"] for p in parts),
            subscriptions=sum(p["subscriptions"] for p in parts),
            amount=sum((Decimal(p["amount"]) for p in parts), Decimal("0.00")),
            breaches=sum(p["breaches"] for p in parts), alerts=sum(p["alerts"] for p in parts),
            proposals=sum(p["proposals"] for p in parts) + roaming_proposals,
            unpriced=sum(p["unpriced"] for p in parts),
            late_summaries=sum(p["late_summaries"] for p in parts),
            rated_files=[p["rated_file"] for p in parts])
        record(session, clock, actor, "usage.rate", UsageSummary(id=None),
               f"{month}: {report.records} records, {report.subscriptions} subscriptions, "
               f"{report.amount} € (on the workers)", report.as_dict())
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
            raise NotFound(f"rating run {run_key}: no bucket {bucket}")
        if row.status != "queued":
            return
        lock_for_writing(session, f"rating:{row.month}:{bucket}")
        row.report = _rate_and_save_bucket(session, clock, row.month, bucket, store)
        row.status, row.worker, row.finished_at = "done", worker, clock.now()


def fail_bucket(session: Session, clock: Clock, run_key: str, bucket: int, error: str) -> None:
    """A bucket the workers gave up on (its dead letter): its run stops, naming it."""
    row = session.scalar(select(RatingBucketRun).where(RatingBucketRun.run_key == run_key,
                                                       RatingBucketRun.bucket == bucket))
    if row is not None and row.status == "queued":
        row.status, row.error, row.finished_at = "failed", error[:2000], clock.now()


def _rate_and_save_bucket(session: Session, clock: Clock, month: str, bucket: int,
                          store: UsageStore) -> dict:
    """What ``rate`` does for one bucket, the roaming proposals left to the run's end."""
    records = store.scan_month(month, bucket)
    ids = records.select(pl.col("subscription_id").unique()).collect()["subscription_id"].to_list()
    plan_list, tariffs = _plans(session, ids)
    plans = {p.subscription_id: p for p in plan_list}
    result = rules.rate_month(records, plan_list, tariffs, _managed_numbers(session, plan_list, {}))
    path = str(store.write_rated(month, bucket, result.rated))
    counts = dict(result.rated.group_by("subscription_id").agg(pl.len()).iter_rows())
    late = _save_summaries(session, clock, month, result, plans, counts,
                           _existing_summaries(session, month))
    breaches = _save_breaches(session, clock, month, result, plans)
    alerts = _save_alerts(session, clock, month, result.alerts, plans)
    proposals = sum(_propose_for_alert(session, clock, alert, found, plans[alert.subscription_id])
                    for alert, found in alerts)
    _store_roaming(session, month, result.roaming)
    _save_payouts(session, result.payouts)
    return {"records": sum(counts.values()), "subscriptions": len(result.explained),
            "amount": str(sum((e.total for e in result.explained.values()), Decimal("0.00"))),
            "breaches": breaches, "alerts": len(alerts), "proposals": proposals,
            "unpriced": sum(result.unpriced.values()), "late_summaries": late,
            "rated_file": path, "roaming_subscriptions": _lines_of(result.roaming)}


def _managed_numbers(session: Session, plans: Sequence[rules.Plan],
                     known: dict[int, set[str]]) -> set[str] | None:
    """The numbers the operators of contact-centre plans manage (their subscriptions' service
    identifiers, normalised), or None when no plan is a contact centre. ``known`` caches them
    per operator."""
    operators = {p.operator_id for p in plans if rules.pools_cx_minutes(p)}
    if not operators:
        return None
    for operator_id in operators - known.keys():
        identifiers = session.scalars(select(Subscription.service_identifier).where(
            Subscription.operator_id == operator_id, Subscription.service_identifier.is_not(None))).all()
        known[operator_id] = set(pl.Series("n", identifiers, pl.String).to_frame()
                                 .select(nb.normalise(pl.col("n")))["n"].to_list())
    return set().union(*(known[o] for o in operators))


def _existing_summaries(session: Session, month: str) -> dict[tuple[int, str], UsageSummary]:
    """The summaries of a usage month already stored, by (subscription, billing month)."""
    return {(s.subscription_id, s.month): s for s in session.scalars(
        select(UsageSummary).where(UsageSummary.usage_period == month))}


def _save_summaries(session: Session, clock: Clock, month: str, result: rules.MonthRating,
                    plans: dict[int, rules.Plan], counts: dict[int, int],
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
        detail = result.detail.get(subscription_id, rules.UsageDetail())
        billed = billed_by_subscription.get(subscription_id, [])
        target = month
        if billed:
            already = sum((s.amount for s in billed), Decimal("0"))
            billed_line = Line("Already billed for this period", -already,
                               "invoice(s) " + ", ".join(str(s.billed_invoice_id) for s in billed), "")
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
    for chunk in _chunks(new_rows, 2000):
        connection.execute(insert(UsageSummary.__table__), list(chunk))
    return late


def _upsert(session: Session, model, key: dict, values: dict):
    row = session.scalar(select(model).filter_by(**key))
    if row is None:
        row = model(**key, **values)
        session.add(row)
        return row, True
    for name, value in values.items():
        setattr(row, name, value)
    return row, False


def _save_breaches(session: Session, clock: Clock, month: str, result: rules.MonthRating,
                   plans: dict[int, rules.Plan]) -> int:
    seen = set()
    for breach in result.breaches:
        seen.add((breach.subscription_id, breach.metric))
        _upsert(session, FairUseBreach, dict(subscription_id=breach.subscription_id, month=month,
                                             metric=breach.metric),
                dict(customer_id=plans[breach.subscription_id].customer_id, window=breach.window,
                     per=breach.per, units=breach.units, limit=str(breach.limit),
                     measured=str(breach.measured), consequence=breach.consequence,
                     clause=breach.clause, evidence=breach.evidence, detected_at=clock.now()))
    events: dict[int, list[rules.DataEvent]] = {}
    for event in result.data_events:
        events.setdefault(event.subscription_id, []).append(event)
    for subscription_id, items in events.items():
        seen.add((subscription_id, "data"))
        plan = plans[subscription_id]
        _upsert(session, FairUseBreach, dict(subscription_id=subscription_id, month=month, metric="data"),
                dict(customer_id=plan.customer_id, window="month", per="line", units=1,
                     limit=f"{plan.bundle.data_mb} MB", measured="over", consequence="throttle_or_cut",
                     clause="; ".join(sorted({e.clause for e in items if e.clause})),
                     evidence={"events": [{"kind": e.kind, "at": e.at.isoformat(), "record_id": e.record_id}
                                          for e in items]},
                     detected_at=clock.now()))
    for stale in session.scalars(select(FairUseBreach).where(FairUseBreach.month == month,
                                                             FairUseBreach.status == "open")):
        if (stale.subscription_id, stale.metric) not in seen and stale.subscription_id in plans:
            session.delete(stale)
    return len(seen)


def _save_alerts(session: Session, clock: Clock, month: str, alerts: Sequence[rules.Alert],
                 plans: dict[int, rules.Plan]) -> list[tuple[FraudAlert, rules.Alert]]:
    saved = []
    for found in alerts:
        row, _ = _upsert(session, FraudAlert, dict(subscription_id=found.subscription_id, month=month,
                                                   kind=found.kind),
                         dict(customer_id=plans[found.subscription_id].customer_id, clause=found.clause,
                              calls=found.calls, evidence=found.evidence, detected_at=clock.now()))
        saved.append((row, found))
    session.flush()
    return saved


def _propose(session: Session, clock: Clock, source_key: str, alert_id: int | None,
             plan: rules.Plan, kind: str, label: str, explained: Explained, basis: str) -> int:
    """Propose a penalty to staff; a proposal already decided is never changed."""
    row = session.scalar(select(PenaltyProposal).where(PenaltyProposal.source_key == source_key))
    if row is not None and row.status != "proposed":
        return 0
    if row is None:
        row = PenaltyProposal(source_key=source_key, alert_id=alert_id,
                              subscription_id=plan.subscription_id, customer_id=plan.customer_id,
                              kind=kind, proposed_at=clock.now())
        session.add(row)
    row.label, row.amount, row.price_basis = label, explained.total, basis
    row.explanation = explained.as_dict()
    return 1


def _basis(explained_lines_basis: Iterable[str], default: str) -> str:
    bases = set(explained_lines_basis)
    return bases.pop() if len(bases) == 1 else default


def _propose_for_alert(session: Session, clock: Clock, alert: FraudAlert, found: rules.Alert,
                       plan: rules.Plan) -> int:
    usage = plan.usage
    if found.penalty is not None:
        basis = _basis((a.basis for a in (rules.amount(usage, "penalty_per_calling_number"),
                                          rules.amount(usage, "penalty_per_call_or_attempt")) if a),
                       plan.price_basis)
        return _propose(session, clock, f"alert:{alert.id}", alert.id, plan, "caller_id_penalty",
                        f"Penalty: {found.kind.replace('_', ' ')} ({alert.month})", found.penalty, basis)
    if found.kind == "sva_abnormal_traffic":
        window = rules.figure(usage, "repeat_window_months")
        since = rules.shift_month(alert.month, -int(window.value)) if window else alert.month
        repeated = session.scalar(select(PenaltyProposal.id).join(
            FraudAlert, FraudAlert.id == PenaltyProposal.alert_id).where(
            PenaltyProposal.subscription_id == plan.subscription_id,
            PenaltyProposal.kind == "sva_sanction", PenaltyProposal.status == "confirmed",
            FraudAlert.month >= since, FraudAlert.month < alert.month)) is not None
        explained = rules.sva_sanction(usage, 1, repeated)
        if explained is None:
            return 0
        base = rules.amount(usage, "ethics_or_abnormal_traffic_penalty")
        return _propose(session, clock, f"alert:{alert.id}", alert.id, plan, "sva_sanction",
                        f"Premium number sanction ({alert.month})", explained, base.basis)
    return 0


ROAMING_FIELDS = ("national_voice_s", "roaming_voice_s", "national_messages", "roaming_messages",
                  "national_bytes", "roaming_bytes", "national_days", "roaming_days")


def _roaming_windows(session: Session, subscription_ids: Sequence[int],
                     months: Sequence[str]) -> dict[int, list[rules.RoamingMonth]]:
    """The stored roaming profiles of lines over consecutive months (a month without a row
    counts as no roaming)."""
    stored: dict[tuple[int, str], RoamingMonthRow] = {
        (r.subscription_id, r.month): r for chunk in _chunks(sorted(set(subscription_ids)))
        for r in session.scalars(select(RoamingMonthRow).where(
            RoamingMonthRow.subscription_id.in_(chunk), RoamingMonthRow.month.in_(list(months))))}
    return {sid: [rules.RoamingMonth(m, **{f: getattr(stored[sid, m], f) for f in ROAMING_FIELDS})
                  if (sid, m) in stored else rules.RoamingMonth(m) for m in months]
            for sid in subscription_ids}


def _serial_chain(session: Session, plan: rules.Plan, months: Sequence[str]) -> tuple[int, ...]:
    """The customer's SIMs of the same family used one after another while roaming."""
    siblings = list(session.scalars(select(Subscription.id).where(
        Subscription.customer_id == plan.customer_id, Subscription.family == plan.family)))
    profiles = {sid: window for sid, window in _roaming_windows(session, siblings, months).items()
                if any(m.roaming_days for m in window)}
    return rules.serial_sims(profiles, plan.usage) if len(profiles) > 1 else ()


def _evaluate_roaming(session: Session, clock: Clock, month: str, roaming: pl.DataFrame,
                      plans: dict[int, rules.Plan], tariffs: dict) -> int:
    """Store the month's roaming profile and evaluate the abuse indicators over the sheet's
    window of consecutive months (the three of each line, and the serial use of several SIMs
    by one customer); propose the surcharge tariffs when one holds."""
    _store_roaming(session, month, roaming)
    return _roaming_proposals(session, clock, month, _lines_of(roaming), plans, tariffs)


def _lines_of(roaming: pl.DataFrame) -> list[int]:
    return roaming["subscription_id"].to_list() if "subscription_id" in roaming.columns else []


def _store_roaming(session: Session, month: str, roaming: pl.DataFrame) -> None:
    for row in roaming.iter_rows(named=True):
        subscription_id = row.pop("subscription_id")
        _upsert(session, RoamingMonthRow, dict(subscription_id=subscription_id, month=month),
                {k: int(v or 0) for k, v in row.items()})
    session.flush()


def _roaming_proposals(session: Session, clock: Clock, month: str, subscription_ids: list[int],
                       plans: dict[int, rules.Plan], tariffs: dict) -> int:
    """The abuse indicators of these lines over the window, once every line of the month has its
    profile stored (the serial use of SIMs compares a customer's lines)."""
    proposals = 0
    chains: dict[tuple[int, str], tuple[int, ...]] = {}
    for subscription_id in subscription_ids:
        plan = plans[subscription_id]
        size = rules.figure(plan.usage, "roaming_abuse_observation_consecutive_months")
        if size is None:
            continue
        wanted = rules.previous_months(month, int(size.value))
        window = _roaming_windows(session, [plan.subscription_id], wanted)[plan.subscription_id]
        indicators = rules.roaming_indicators(window, plan.usage)
        key = (plan.customer_id, plan.family)
        if key not in chains:
            chains[key] = _serial_chain(session, plan, wanted)
        evidence: dict = {"months": wanted, "window": [m.__dict__ for m in window]}
        if plan.subscription_id in chains[key]:
            indicators.append(rules.SERIAL_SIMS)
            refs = dict(session.execute(select(Subscription.id, Subscription.service_identifier)
                                        .where(Subscription.id.in_(chains[key]))).all())
            evidence["serial_sims"] = [refs.get(sid) or str(sid) for sid in chains[key]]
        if not indicators:
            continue
        listed = rules.listed(plan.usage, "roaming_abuse_indicators")
        if interruption := rules.interruption_without_notice(plan.usage, "roaming_abuse"):
            evidence["interruption_without_notice"] = interruption
        alert, _ = _upsert(session, FraudAlert, dict(subscription_id=plan.subscription_id, month=month,
                                                      kind="roaming_abuse"),
                           dict(customer_id=plan.customer_id,
                                clause=f"{size.clause}" + (f"; {listed.clause}" if listed else ""),
                                calls=0, evidence={"indicators": indicators, **evidence},
                                detected_at=clock.now()))
        session.flush()
        surcharges = {t.kind: t for t in tariffs.get(plan.tariff_key, [])
                      if t.destination == "roaming_surcharge"}
        explained = rules.roaming_surcharge(window, surcharges, plan.usage)
        if explained.lines:
            proposals += _propose(session, clock, f"alert:{alert.id}", alert.id, plan,
                                  "roaming_surcharge", f"Roaming surcharge {wanted[0]}–{wanted[-1]}",
                                  explained, plan.price_basis)
    return proposals


def _save_payouts(session: Session, payouts: pl.DataFrame) -> None:
    for row in payouts.iter_rows(named=True):
        key = dict(subscription_id=row["subscription_id"], day=row["day"])
        existing = session.scalar(select(SvaPayout).filter_by(**key))
        if existing is not None and existing.claim_id is not None:
            continue      # already claimed: late calls of that day are not re-opened
        _upsert(session, SvaPayout, key, dict(calls=row["calls"], seconds=row["seconds"],
                                              amount=rules.from_micro(row["amount_micro"])))


# --------------------------------------------------------------------------- reading

def unbilled_of_customer(session: Session, customer_id: int, up_to_month: str) -> list[facts.RatedMonth]:
    """A customer's rated usage not billed yet: what the next bill run takes (``facts``)."""
    subscription_ids = session.scalars(select(Subscription.id).where(
        Subscription.customer_id == customer_id)).all()
    return sorted((rated for months in facts.unbilled_usage(session, subscription_ids, up_to_month).values()
                   for rated in months), key=lambda m: (m.month, m.usage_period, m.subscription_id))


def rated_month_dict(rated: facts.RatedMonth, customer_id: int) -> dict:
    return {"id": rated.id, "subscription_id": rated.subscription_id, "customer_id": customer_id,
            "month": rated.month, "usage_period": rated.usage_period, "amount": str(rated.amount),
            "price_basis": rated.price_basis, "records": rated.records,
            "explanation": rated.explanation.as_dict(), "detail": rated.detail.as_dict(),
            "billed_invoice_id": None}


def _subscription(session: Session, service: str) -> Subscription:
    found = contracts.find_by_service_identifier(session, service)
    return found if found is not None else contracts.get_subscription(session, service)


def usage_of(session: Session, service: str, month: str, store: UsageStore | None = None) -> dict:
    """A service's usage in a month: its summaries, breaches, alerts and traffic by destination."""
    store = store or UsageStore.default()
    _check_month(month)
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
            row["amount"] = str(money(rules.from_micro(row.pop("amount_micro"))))
    return {
        "subscription": {"id": sub.id, "ref": sub.ref, "family": sub.family,
                         "service_identifier": sub.service_identifier},
        "month": month,
        "summaries": [summary_dict(s) for s in summaries],
        "traffic": traffic,
        "breaches": [breach_dict(b) for b in session.scalars(select(FairUseBreach).where(
            FairUseBreach.subscription_id == sub.id, FairUseBreach.month == month))],
        "alerts": [alert_dict(a) for a in session.scalars(select(FraudAlert).where(
            FraudAlert.subscription_id == sub.id, FraudAlert.month == month))],
    }


def summary_dict(row: UsageSummary) -> dict:
    return {"id": row.id, "subscription_id": row.subscription_id, "customer_id": row.customer_id,
            "month": row.month, "usage_period": row.usage_period, "amount": str(row.amount),
            "price_basis": row.price_basis, "records": row.records, "explanation": row.explanation,
            "billed_invoice_id": row.billed_invoice_id}


def breach_dict(row: FairUseBreach) -> dict:
    return {"id": row.id, "subscription_id": row.subscription_id, "month": row.month,
            "metric": row.metric, "window": row.window, "per": row.per, "units": row.units,
            "limit": row.limit, "measured": row.measured, "consequence": row.consequence,
            "clause": row.clause, "status": row.status, "evidence": row.evidence, "note": row.note}


def alert_dict(row: FraudAlert) -> dict:
    return {"id": row.id, "subscription_id": row.subscription_id, "month": row.month,
            "kind": row.kind, "clause": row.clause, "calls": row.calls, "status": row.status,
            "evidence": row.evidence, "note": row.note}


def proposal_dict(row: PenaltyProposal) -> dict:
    return {"id": row.id, "alert_id": row.alert_id, "subscription_id": row.subscription_id,
            "kind": row.kind, "label": row.label, "amount": str(row.amount),
            "price_basis": row.price_basis, "status": row.status, "explanation": row.explanation,
            "charge_id": row.charge_id}


def list_breaches(session: Session, status: str | None = None, month: str | None = None) -> list[FairUseBreach]:
    query = select(FairUseBreach).order_by(FairUseBreach.month.desc(), FairUseBreach.id)
    if status:
        query = query.where(FairUseBreach.status == status)
    if month:
        query = query.where(FairUseBreach.month == month)
    return list(session.scalars(query))


def list_alerts(session: Session, status: str | None = None, month: str | None = None) -> list[FraudAlert]:
    query = select(FraudAlert).order_by(FraudAlert.month.desc(), FraudAlert.id)
    if status:
        query = query.where(FraudAlert.status == status)
    if month:
        query = query.where(FraudAlert.month == month)
    return list(session.scalars(query))


def get_proposal(session: Session, proposal_id: int) -> PenaltyProposal:
    proposal = session.get(PenaltyProposal, proposal_id)
    if proposal is None:
        raise NotFound(f"proposal: no penalty proposal {proposal_id}")
    return proposal


def proposals_of(session: Session, alert_id: int | None = None, status: str | None = None) -> list[PenaltyProposal]:
    query = select(PenaltyProposal).order_by(PenaltyProposal.id)
    if alert_id is not None:
        query = query.where(PenaltyProposal.alert_id == alert_id)
    if status:
        query = query.where(PenaltyProposal.status == status)
    return list(session.scalars(query))


# --------------------------------------------------------------------------- staff decisions

BREACH_DECISIONS = {"acknowledge": "acknowledged", "suspend_unlimited": "unlimited_suspended"}


def decide_breach(session: Session, clock: Clock, actor: Actor, breach_id: int, decision: str,
                  note: str = "") -> FairUseBreach:
    """Staff acknowledge a breach or suspend the subscription's unlimited option (the sheets
    allow an immediate suspension, e.g. CP IX §15)."""
    breach = session.get(FairUseBreach, breach_id)
    if breach is None:
        raise NotFound(f"fair-use breach {breach_id} not found")
    if decision not in BREACH_DECISIONS:
        raise InvalidInput.on("decision", f"{decision!r} is not one of {', '.join(BREACH_DECISIONS)}")
    before = breach.status
    breach.status, breach.note = BREACH_DECISIONS[decision], note
    breach.decided_by, breach.decided_at = actor.name, clock.now()
    record(session, clock, actor, f"fair_use_breach.{decision}", breach,
           f"breach {breach.metric} {breach.month} of subscription {breach.subscription_id}",
           {"status": [before, breach.status]})
    return breach


def decide_alert(session: Session, clock: Clock, actor: Actor, alert_id: int, decision: str,
                 note: str = "") -> FraudAlert:
    """Confirm or dismiss a fraud alert; dismissing it rejects its pending penalty proposals."""
    alert = session.get(FraudAlert, alert_id)
    if alert is None:
        raise NotFound(f"fraud alert {alert_id} not found")
    if decision not in ("confirm", "dismiss"):
        raise InvalidInput.on("decision", f"{decision!r} is not confirm or dismiss")
    if alert.status != "open":
        raise NotAllowed(f"status: alert {alert_id} is already {alert.status}")
    alert.status = "confirmed" if decision == "confirm" else "dismissed"
    alert.note, alert.decided_by, alert.decided_at = note, actor.name, clock.now()
    if decision == "dismiss":
        for proposal in proposals_of(session, alert_id, "proposed"):
            proposal.status, proposal.decided_by, proposal.decided_at = "rejected", actor.name, clock.now()
    record(session, clock, actor, f"fraud_alert.{decision}", alert,
           f"{alert.kind} {alert.month} of subscription {alert.subscription_id}", {"note": note})
    return alert


def decide_penalty(session: Session, clock: Clock, actor: Actor, proposal_id: int, decision: str,
                   note: str = "") -> PenaltyProposal:
    """Staff confirm a proposed penalty (it becomes a charge on the next invoice) or reject it."""
    proposal = session.get(PenaltyProposal, proposal_id)
    if proposal is None:
        raise NotFound(f"penalty proposal {proposal_id} not found")
    if decision not in ("confirm", "reject"):
        raise InvalidInput.on("decision", f"{decision!r} is not confirm or reject")
    if proposal.status != "proposed":
        raise NotAllowed(f"status: penalty proposal {proposal_id} is already {proposal.status}")
    if decision == "confirm":
        alert = session.get(FraudAlert, proposal.alert_id) if proposal.alert_id else None
        if alert is not None and alert.status != "confirmed":
            raise NotAllowed(f"status: confirm alert {alert.id} before billing its penalty")
        lines = tuple(Line(**{k: (Decimal(v) if k == "amount" else v) for k, v in line.items()})
                      for line in proposal.explanation.get("lines", []))
        charge = add_charge(session, clock, actor, customer_id=proposal.customer_id,
                            subscription_id=proposal.subscription_id, source=PENALTY_SOURCE,
                            source_key=f"penalty:{proposal.id}", label=proposal.label,
                            explained=Explained(lines), price_basis=proposal.price_basis,
                            incurred_on=clock.today())
        proposal.charge_id = charge.id
    proposal.status = "confirmed" if decision == "confirm" else "rejected"
    proposal.decided_by, proposal.decided_at = actor.name, clock.now()
    record(session, clock, actor, f"penalty.{decision}", proposal,
           f"{proposal.label}: {proposal.amount} {proposal.price_basis}", {"note": note})
    return proposal


def propose_uncured_sanction(session: Session, clock: Clock, actor: Actor, alert_id: int,
                             on: date) -> PenaltyProposal:
    """A premium number still not compliant after the cure deadline (counted in business
    days from the confirmation of the alert) carries the additional sanction (CP XII §13.1)."""
    alert = session.get(FraudAlert, alert_id)
    if alert is None or alert.kind != "sva_abnormal_traffic":
        raise NotFound(f"premium-number alert {alert_id} not found")
    if alert.status != "confirmed" or alert.decided_at is None:
        raise NotAllowed(f"status: alert {alert_id} must be confirmed first")
    plan = _plans(session, [alert.subscription_id])[0][0]
    days = rules.figure(plan.usage, "cure_deadline_business_days")
    explained = rules.sva_uncured(plan.usage)
    if days is None or explained is None:
        raise NotAllowed("terms: the sheet has no cure deadline sanction for this service")
    deadline = _calendar().add_days(alert.decided_at.astimezone(PARIS).date(), int(days.value), DayKind.OUVRES)
    if on <= deadline:
        raise NotAllowed(f"on: the cure deadline runs until {deadline.isoformat()} ({days.clause})")
    _propose(session, clock, f"uncured:{alert.id}", alert.id, plan, "sva_sanction",
             f"Premium number not compliant after {deadline.isoformat()}", explained,
             rules.amount(plan.usage, "not_cured_within_deadline_penalty").basis)
    proposal = session.scalar(select(PenaltyProposal).where(PenaltyProposal.source_key == f"uncured:{alert.id}"))
    record(session, clock, actor, "penalty.propose", proposal, proposal.label)
    return proposal


# --------------------------------------------------------------------------- premium-number payouts

def _calendar() -> BusinessCalendar:
    return BusinessCalendar(OpeningHours.heures_ouvrees())


def _payout_age(usage: Usage):
    """How the sheet counts the payout delay: business days when it says so, else calendar."""
    business = rules.figure(usage, "payout_claimable_after_business_days") is not None
    kind = DayKind.OUVRES if business else DayKind.CALENDAR
    calendar = _calendar()
    return lambda day, claim_day: calendar.count_days(day, claim_day, kind)


def claimable_payouts(session: Session, subscription_id: int, on: date) -> tuple[Explained, list[date]]:
    """What a premium number may claim on a date (unclaimed payouts of old enough calls), and
    the days of calls it covers."""
    plan = _plans(session, [subscription_id])[0]
    if not plan:
        raise NotFound(f"subscription {subscription_id} not found")
    usage = plan[0].usage
    accruals = [(p.day, p.amount) for p in session.scalars(select(SvaPayout).where(
        SvaPayout.subscription_id == subscription_id, SvaPayout.claim_id.is_(None)))]
    return rules.sva_claimable(accruals, on, usage, _payout_age(usage))


def payout_claims(session: Session, subscription_id: int | None = None) -> list[SvaPayoutClaim]:
    """The payout requests made, newest first (one premium number's with ``subscription_id``)."""
    query = select(SvaPayoutClaim).order_by(SvaPayoutClaim.requested_on.desc(), SvaPayoutClaim.id.desc())
    if subscription_id is not None:
        query = query.where(SvaPayoutClaim.subscription_id == subscription_id)
    return list(session.scalars(query))


def payout_claim_dict(row: SvaPayoutClaim, standing: rules.ClaimStanding | None = None) -> dict:
    data = {"id": row.id, "subscription_id": row.subscription_id, "amount": str(row.amount),
            "requested_on": row.requested_on.isoformat(), "status": row.status,
            "invoice_deadline": row.invoice_deadline.isoformat(), "explanation": row.explanation}
    if standing is not None:
        data["standing"] = standing.as_dict()
    return data


def claim_standing(session: Session, claim: SvaPayoutClaim, on: date) -> rules.ClaimStanding:
    """Where a payout request stands on ``on``: payable, and final once its invoice deadline has
    passed (CP XII §12)."""
    plans, _ = _plans(session, [claim.subscription_id])
    return rules.payout_claim_standing(claim.invoice_deadline, on, plans[0].usage)


def tariff_change_effective(session: Session, subscription_id: int | str,
                            requested_on: date) -> tuple[date, str]:
    """The day a premium number's new caller tariff requested on ``requested_on`` takes effect,
    and the clause (CP XII §8.1)."""
    subscription = contracts.get_subscription(session, subscription_id)
    try:
        return rules.tariff_change_effective(contracts.terms_of(session, subscription).usage or Usage(),
                                             requested_on)
    except rules.RatingRefusal as exc:
        raise NotAllowed(f"{subscription.ref}: {exc}") from None


def pass_on_supplier_penalty(session: Session, clock: Clock, actor: Actor, subscription_id: int | str,
                             supplier: str, number: str, charged: Decimal, charged_on: date) -> PenaltyProposal:
    """Propose to staff the pass-on of a penalty an upstream operator charged the operator for
    one of the client's premium numbers, at its amount (CP XII §13.1)."""
    subscription = contracts.get_subscription(session, subscription_id)
    plan = _plans(session, [subscription.id])[0][0]
    try:
        explained = rules.supplier_penalty(plan.usage, supplier, number, charged,
                                           [subscription.service_identifier or ""])
    except rules.RatingRefusal as exc:
        raise exc.as_invalid_input() from None
    key = f"supplier:{subscription.id}:{nb_key(number)}:{charged_on.isoformat()}"
    _propose(session, clock, key, None, plan, "supplier_penalty",
             f"Supplier penalty passed on ({supplier.strip()}, {charged_on.isoformat()})", explained,
             plan.price_basis)
    session.flush()
    proposal = session.scalar(select(PenaltyProposal).where(PenaltyProposal.source_key == key))
    record(session, clock, actor, "usage.supplier_penalty", proposal,
           f"{subscription.ref}: {explained.total} charged by {supplier.strip()} for {number}")
    return proposal


def nb_key(number: str) -> str:
    """A number as a key: its digits."""
    return "".join(ch for ch in number if ch.isdigit())


def unclaimed_payouts(session: Session) -> list[dict]:
    """Per premium number: the payouts accrued and not yet claimed (days of calls, amount)."""
    by_number: dict[str, list[SvaPayout]] = {}
    for payout, ref in session.execute(select(SvaPayout, Subscription.ref).join(
            Subscription, Subscription.id == SvaPayout.subscription_id).where(
            SvaPayout.claim_id.is_(None)).order_by(Subscription.ref, SvaPayout.day)):
        by_number.setdefault(ref, []).append(payout)
    return [{"subscription_id": payouts[0].subscription_id, "subscription": ref,
             "days": len(payouts), "calls": sum(p.calls for p in payouts),
             "first_day": payouts[0].day.isoformat(), "last_day": payouts[-1].day.isoformat(),
             "amount": str(money(sum((p.amount for p in payouts), Decimal(0))))}
            for ref, payouts in by_number.items()]


def claim_payouts(session: Session, clock: Clock, actor: Actor, subscription_id: int, on: date) -> SvaPayoutClaim:
    """Request the payout of what is claimable: refused while the number is suspended or when
    the balance does not exceed the sheet's minimum (CP XII §11.1, §12)."""
    subscription = session.get(Subscription, subscription_id)
    if subscription is None:
        raise NotFound(f"subscription {subscription_id} not found")
    plan = _plans(session, [subscription_id])[0][0]
    usage = plan.usage
    frozen = rules.flag(usage, "payout_frozen_while_suspended")
    if frozen and frozen.value and subscription.status == "suspended":
        raise NotAllowed(f"status: payouts are frozen while the number is suspended — {frozen.clause}")
    explained, days = claimable_payouts(session, subscription_id, on)
    minimum = rules.amount(usage, "payout_min_balance_exclusive")
    if minimum is not None and explained.total <= minimum.amount:
        raise NotAllowed(f"amount: the claimable balance {explained.total} € does not exceed "
                         f"{minimum.amount} € — {minimum.src}")
    months = rules.figure(usage, "payout_invoice_deadline_months")
    deadline = on + relativedelta(months=int(months.value) if months else 12)
    claim = SvaPayoutClaim(subscription_id=subscription_id, requested_on=on, amount=explained.total,
                           explanation=explained.as_dict(), invoice_deadline=deadline,
                           actor=actor.name, created_at=clock.now())
    session.add(claim)
    session.flush()
    for payout in session.scalars(select(SvaPayout).where(SvaPayout.subscription_id == subscription_id,
                                                          SvaPayout.claim_id.is_(None),
                                                          SvaPayout.day.in_(days))):
        payout.claim_id = claim.id
    record(session, clock, actor, "sva_payout.claim", claim,
           f"{explained.total} € claimed on {on.isoformat()}, invoice due by {deadline.isoformat()}")
    return claim


def service_lines(session: Session, limit: int) -> list[tuple[str, str]]:
    """(service identifier, family) of live subscriptions, for synthetic traffic."""
    return [tuple(row) for row in session.execute(
        select(Subscription.service_identifier, Subscription.family)
        .where(Subscription.service_identifier.is_not(None),
               Subscription.status.in_(("active", "suspended", "restricted", "notice_given")))
        .order_by(Subscription.id).limit(limit))]


# --------------------------------------------------------------------------- portal and dashboard

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
