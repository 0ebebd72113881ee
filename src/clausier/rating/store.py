"""Where records live on disk: Parquet partitioned by month under ``<data dir>/usage``.

``records/month=YYYY-MM/batch-<id>.parquet``  imported records, one file per import batch
``rated/month=YYYY-MM/rated.parquet``         the month's rated records (rewritten by each run)
``rejects/batch-<id>.csv``                    the reject report of an import batch

CDR retention deletes whole month partitions.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from clausier.core.settings import Settings
from clausier.rating import cdr


@dataclass(frozen=True)
class UsageStore:
    root: Path

    @classmethod
    def default(cls) -> UsageStore:
        return cls(Settings.from_env().data_dir / "usage")

    def month_dir(self, month: str) -> Path:
        return self.root / "records" / f"month={month}"

    def rated_path(self, month: str) -> Path:
        return self.root / "rated" / f"month={month}" / "rated.parquet"

    def reject_path(self, batch_id: int) -> Path:
        return self.root / "rejects" / f"batch-{batch_id}.csv"

    def months(self) -> list[str]:
        base = self.root / "records"
        return sorted(p.name.split("=", 1)[1] for p in base.glob("month=*")) if base.exists() else []

    def _files(self, month: str) -> list[Path]:
        return sorted(self.month_dir(month).glob("batch-*.parquet"))

    def scan_month(self, month: str) -> pl.LazyFrame:
        """All imported records of a month (every batch)."""
        files = self._files(month)
        if not files:
            return pl.LazyFrame(schema=cdr.STORED_SCHEMA)
        return pl.scan_parquet(files)

    def known_ids(self, months: list[str]) -> pl.LazyFrame:
        files = [f for month in months for f in self._files(month)]
        if not files:
            return pl.LazyFrame(schema={"record_id": pl.String})
        return pl.scan_parquet(files).select("record_id")

    def write_batch(self, records: pl.DataFrame, batch_id: int) -> list[str]:
        """Write a batch's accepted records, one file per month; returns the months."""
        months = []
        for (yyyymm,), part in records.partition_by("yyyymm", as_dict=True,
                                                    include_key=False).items():
            month = f"{yyyymm // 100:04d}-{yyyymm % 100:02d}"
            target = self.month_dir(month) / f"batch-{batch_id}.parquet"
            _atomic_parquet(part, target)
            months.append(month)
        return sorted(months)

    def write_rated(self, month: str, rated: pl.DataFrame) -> Path:
        target = self.rated_path(month)
        _atomic_parquet(rated, target)
        return target

    def scan_rated(self, month: str) -> pl.LazyFrame | None:
        path = self.rated_path(month)
        return pl.scan_parquet(path) if path.exists() else None

    def drop_month(self, month: str) -> None:
        """Retention: forget a whole month of records."""
        for path in (self.month_dir(month), self.rated_path(month).parent):
            shutil.rmtree(path, ignore_errors=True)


def _atomic_parquet(frame: pl.DataFrame, target: Path) -> None:
    """Write then rename, so that a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    frame.write_parquet(partial, compression="zstd", compression_level=1, statistics=True)
    os.replace(partial, target)
