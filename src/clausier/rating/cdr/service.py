"""Importing CDR files: good rows to the month partitions of the usage store, bad rows to the
reject report with their line and reason, record ids already imported skipped; the import
batches; the lines synthetic traffic is made for.
"""

from __future__ import annotations

import csv
import gzip
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.contracts import facts as contracts_facts
from clausier.core.bulk import gc_paused
from clausier.core.clock import Clock
from clausier.core.errors import InvalidInput, NotFound, Problem
from clausier.core.message import msg
from clausier.db.session import lock_for_writing
from clausier.rating.cdr import rules as cdr
from clausier.rating.models import ImportBatch, RejectedRow
from clausier.rating.store import WRITERS, UsageStore


REJECTS_KEPT_IN_DATABASE = 1000
CHUNK_ROWS = 500_000
ID_HASH_SEED = 20_261_001


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
    latest = contracts_facts.latest_subscription_by_service(session)
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
                del text
                batch.rows_read += chunk.height
                # Most chunks have no bad row: then no copy of the chunk is made.
                if chunk["check"].null_count() < chunk.height:
                    failing = chunk.filter(pl.col("check").is_not_null())
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
                # Only the part being written is kept while the next is read and checked.
                del chunk, good, fresh, already
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
           msg("{file}: {accepted} imported, {duplicates} already known, {rejected} rejected",
               file=path.name, accepted=batch.accepted, duplicates=batch.duplicates,
               rejected=batch.rejected), {"months": batch.months})
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


def service_lines(session: Session, limit: int) -> list[tuple[str, str]]:
    """(service identifier, family) of live subscriptions, for synthetic traffic."""
    return contracts_facts.live_service_lines(session, limit)
