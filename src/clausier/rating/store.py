"""Where records live on disk: Parquet partitioned by month under ``<data dir>/usage``.

``records/month=YYYY-MM/bucket=K/batch-<id>-<part>.parquet``  imported records
``rated/month=YYYY-MM/bucket=K.parquet``      the month's rated records (rewritten by each run)
``rejects/batch-<id>.csv``                    the reject report of an import batch

Records are spread over ``BUCKETS`` buckets by subscription, so that a month is rated a
bucket or two at a time (bounded memory; one bucket per core). Retention purges to the
day (``privacy.purgers``): a month partition is rewritten without the records that are due,
and goes whole once empty.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from clausier.core.settings import Settings
from clausier.rating.cdr import rules as cdr

BUCKETS = 8
WRITERS = 2
# Optional text columns, mostly empty: an empty value is stored as null (Parquet writes millions
# of empty strings several times slower than nulls); the rules read null and "" alike.
EMPTY_AS_NULL = ("origin_country", "terminating_operator", "forwarded_to")


def bucket_of(subscription_id: pl.Expr) -> pl.Expr:
    return (subscription_id % BUCKETS).cast(pl.Int32)


@dataclass(frozen=True)
class UsageStore:
    root: Path

    @classmethod
    def default(cls) -> UsageStore:
        return cls(Settings.from_env().data_dir / "usage")

    def month_dir(self, month: str) -> Path:
        return self.root / "records" / f"month={month}"

    def rated_path(self, month: str, bucket: int) -> Path:
        return self.root / "rated" / f"month={month}" / f"bucket={bucket}.parquet"

    def reject_path(self, batch_id: int) -> Path:
        return self.root / "rejects" / f"batch-{batch_id}.csv"

    def months(self) -> list[str]:
        base = self.root / "records"
        return sorted(p.name.split("=", 1)[1] for p in base.glob("month=*")) if base.exists() else []

    def buckets(self, month: str) -> list[int]:
        return sorted(int(p.name.split("=", 1)[1]) for p in self.month_dir(month).glob("bucket=*"))

    def _files(self, month: str, bucket: int | None = None) -> list[Path]:
        pattern = f"bucket={bucket if bucket is not None else '*'}/batch-*.parquet"
        return sorted(self.month_dir(month).glob(pattern))

    def scan_month(self, month: str, bucket: int | None = None) -> pl.LazyFrame:
        """Imported records of a month (every batch), or of one bucket of it."""
        files = self._files(month, bucket)
        if not files:
            return pl.LazyFrame(schema=cdr.STORED_SCHEMA)
        return _scan(files)

    def known_ids(self, months: list[str]) -> pl.LazyFrame:
        files = [f for month in months for f in self._files(month)]
        if not files:
            return pl.LazyFrame(schema={"record_id": pl.String})
        return pl.scan_parquet(files).select("record_id")

    def batch_files(self, batch_id: int) -> list[Path]:
        return sorted((self.root / "records").glob(f"month=*/bucket=*/batch-{batch_id}-*.parquet"))

    def write_part(self, records: pl.DataFrame, batch_id: int, part: int,
                   writers: Executor) -> list[Future[str]]:
        """Start writing one part of a batch on ``writers``, one file per month and bucket; each
        future gives the month it wrote. Polars releases the GIL while it filters and encodes:
        two pieces at a time use both cores."""
        keyed = records.with_columns(bucket_of(pl.col("subscription_id")).alias("bucket"))
        pieces = keyed.select("yyyymm", "bucket").unique().sort("yyyymm", "bucket").rows()

        def write(yyyymm: int, bucket: int) -> str:
            # A filter per (month, bucket): far cheaper than partition_by on wide string frames.
            piece = keyed.filter((pl.col("yyyymm") == yyyymm) & (pl.col("bucket") == bucket))
            month = cdr.month_text(yyyymm)
            target = self.month_dir(month) / f"bucket={bucket}" / f"batch-{batch_id}-{part}.parquet"
            _atomic_parquet(piece.drop("yyyymm", "bucket").with_columns(
                pl.when(pl.col(name) != "").then(pl.col(name)).alias(name) for name in EMPTY_AS_NULL), target)
            return month

        return [writers.submit(write, yyyymm, bucket) for yyyymm, bucket in pieces]

    def remove_lines(self, batch_id: int, lines: pl.Series) -> None:
        """Rewrite the files of a batch without the records of these lines of its file."""
        for path in self.batch_files(batch_id):
            records = pl.read_parquet(path)
            kept = records.filter(~pl.col("line").cast(pl.Int64).is_in(lines.implode()))
            if kept.height < records.height:
                _atomic_parquet(kept, path)

    def drop_batch(self, batch_id: int) -> None:
        """Forget the records of a batch that did not complete."""
        for path in self.batch_files(batch_id):
            path.unlink(missing_ok=True)

    def write_rated(self, month: str, bucket: int, rated: pl.DataFrame) -> Path:
        target = self.rated_path(month, bucket)
        _atomic_parquet(rated, target)
        return target

    def scan_rated(self, month: str) -> pl.LazyFrame | None:
        files = sorted((self.root / "rated" / f"month={month}").glob("bucket=*.parquet"))
        return pl.scan_parquet(files) if files else None

    def drop_month(self, month: str) -> None:
        """Retention: forget a whole month of records."""
        for path in (self.month_dir(month), self.root / "rated" / f"month={month}"):
            shutil.rmtree(path, ignore_errors=True)


def _scan(files: list[Path]) -> pl.LazyFrame:
    """Files written by different versions may lack a later optional column: it reads as null."""
    schemas = {tuple(pl.read_parquet_schema(path).items()) for path in files}
    if len(schemas) == 1:
        return pl.scan_parquet(files)
    return pl.concat([pl.scan_parquet(path) for path in files], how="diagonal_relaxed")


def _atomic_parquet(frame: pl.DataFrame, target: Path) -> None:
    """Write then rename, so that a reader never sees half a file. LZ4 without column
    statistics: the files are read whole (a bucket, a month), so the cheapest codec to write
    and read wins over a smaller file; statistics would not prune row groups for the readers
    that filter (by subscription or customer), as these are interleaved in every file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    frame.write_parquet(partial, compression="lz4", statistics=False)
    os.replace(partial, target)
