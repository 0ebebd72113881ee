"""End-to-end rating benchmark: generate, import and rate N records (CSV in → Parquet +
summaries out) and print records per second and peak memory.

    PYTHONPATH=src python benchmarks/rating.py --records 10000000 [--services 10000] [--keep DIR]

Set-up (database, operator, subscriptions, price list) and generation run in a child process
and are not timed; the figure is import + rating, end to end:

- import: the CSV is read in chunks, validated (rejects with line and reason), matched to
  subscriptions, checked for record ids already imported or repeated in the file (64-bit
  hashes held in memory, confirmed on the id), and written as Parquet per month and bucket,
  each part while the next is read;
- rating: each bucket of subscriptions (two at a time, one per core) is read back,
  classified (numbering plan once per distinct called number), priced, checked for fair use
  and fraud, written as rated Parquet, and the per-subscription explained summaries (saved
  while the next buckets rate), breaches and alerts go to the database.

Besides wall-clock time, the process's CPU time is printed: on a machine shared with other
work the wall-clock figure mostly measures the others; CPU seconds ÷ 2 is what the run would
take with both cores to itself. The same run then times a reference, Polars parsing the same
CSV and nothing else, and prints the ratio: it moves much less than either figure with the
machine's load. Target on the 2-core reference machine: ≥ 1 500 000 records/s (stretch
2 500 000) and ≤ 2 GiB peak memory.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
FAMILY_UNITS = {"vga": "analogue_line", "sip_trunk": "channel", "mobile": "line", "centrex": "user", "cx": "pack"}


def _sheet_file(folder: Path) -> Path:
    """A sheet whose families carry the seeds' usage blocks (the test fixture's blocks)."""
    blocks = yaml.safe_load((ROOT / "tests" / "rating" / "usage_terms.yaml").read_text(encoding="utf-8"))
    sheet = {"id": "bench", "version": 1, "valid_from": "2020-01-01", "title": "Benchmark",
             "operator": {"name": "TECHNICOPHONE"}, "source": {"seed": "001_742b69a7556570e9.txt"},
             "customer_kind": "business", "price_basis": "HT",
             "general": {"commitment": {"initial_months": {"value": 12, "src": "CGV art. 7 L190-194"}}},
             "families": {name: {"title": name, "src": "CP I §8 L1716-1747", "usage": block}
                          for name, block in blocks.items()}}
    path = folder / "bench-sheet.yaml"
    path.write_text(yaml.safe_dump(sheet, allow_unicode=True), encoding="utf-8")
    return path


def _set_up(services: int, folder: Path) -> list[tuple[str, str]]:
    from clausier.audit.service import Actor
    from clausier.catalog.models import Offer, Operator
    from clausier.contracts.models import Subscription, SubscriptionItem
    from clausier.core.clock import FixedClock
    from clausier.customers.models import Customer, Site
    from clausier.db.migrate import upgrade
    from clausier.db.session import default_engine, transaction
    from clausier.rating.cdr import synth
    from clausier.rating.price import service as price_service
    from clausier.terms import service as terms

    upgrade(os.environ["CLAUSIER_DATABASE_URL"])
    clock, actor = FixedClock.on(date(2026, 11, 2)), Actor.system("benchmark")
    lines = synth.fictitious_services(services)
    with transaction(default_engine()) as session:
        terms.load_sheet_file(session, clock, actor, _sheet_file(folder))
        operator = Operator(code="technicophone", sheet_id="bench", name="TECHNICOPHONE",
                            customer_kind="business", price_basis="HT", invoice_prefix="TEC")
        session.add(operator)
        session.flush()
        for path in price_service.built_in_price_lists():
            if "technicophone" in path.name:
                price_service.load_price_list(session, clock, actor, path)
        now = clock.now()
        customer = Customer(operator_id=operator.id, ref="TEC-BENCH", kind="company", name="Bench",
                            employees=50, category="tertiary", created_at=now, updated_at=now)
        session.add(customer)
        session.flush()
        site = Site(customer_id=customer.id, name="Siège", numbering_zone="02", is_central=True)
        offers = {family: Offer(operator_id=operator.id, code=f"bench-{family}", name=family, family=family,
                                unit=unit, price_basis="HT", monthly_fee=Decimal("10"),
                                attributes={"calls": "unlimited"})
                  for family, unit in FAMILY_UNITS.items()}
        session.add_all([site, *offers.values()])
        session.flush()
        first_id = (session.scalar(select(Subscription.id).order_by(Subscription.id.desc())) or 0) + 1
        session.execute(insert(Subscription), [
            dict(id=first_id + i, ref=f"TEC-S{i:07d}", customer_id=customer.id, site_id=site.id,
                 operator_id=operator.id, family=family, sheet_id="bench", sheet_version=1, status="active",
                 signed_on=date(2026, 1, 1), channel="on_premises", commitment_months=12,
                 service_identifier=identifier, billing_periodicity_months=1, service_level_option="standard",
                 go_live_on=date(2026, 2, 1), created_at=now)
            for i, (identifier, family) in enumerate(lines)])
        session.execute(insert(SubscriptionItem), [
            dict(subscription_id=first_id + i, offer_id=offers[family].id, offer_code=offers[family].code,
                 label=family, unit=FAMILY_UNITS[family], quantity=4 if family == "sip_trunk" else 1,
                 monthly_fee=Decimal("10"), access_fee=Decimal("0"), access_fee_undiscounted=Decimal("0"),
                 one_off_price=Decimal("0"), price_basis="HT", vat_rate="normal", is_option=False)
            for i, (_, family) in enumerate(lines)])
    return lines


def _prepare(environment: dict, services: int, records: int, month: str, folder: Path, cdr_file: Path) -> None:
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT / "src"))
    from clausier.rating.cdr import synth
    lines = _set_up(services, folder)
    synth.write(synth.generate(lines, records, month), cdr_file)


def _parse_only(cdr_file: Path, results) -> None:
    """The reference: Polars reading the same CSV, every column as text, nothing else (in a child
    process, so that its memory is not counted in the run's peak)."""
    import polars as pl
    wall, cpu = time.perf_counter(), time.process_time()
    rows = pl.read_csv(cdr_file, infer_schema=False).height
    results.put((rows, time.perf_counter() - wall, time.process_time() - cpu))


def _reference(cdr_file: Path) -> tuple[int, float, float]:
    """Rows, wall and CPU seconds of the Polars parse-only reference."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_parse_only, args=(cdr_file, results))
    child.start()
    found = results.get()
    child.join()
    return found


def _texts_only(node):
    """An explanation without the message ids and parameters kept beside its texts
    (``label_message``…): they say the same texts, and the digest predates them."""
    if isinstance(node, dict):
        return {key: _texts_only(value) for key, value in node.items()
                if not key.endswith(("_message", "_messages"))}
    if isinstance(node, list):
        return [_texts_only(item) for item in node]
    return node


def _summaries_checksum(session, month: str) -> str:
    """A digest of every summary's amount and explained texts, to check that a faster version
    rates the synthetic data exactly as before (not timed)."""
    import hashlib
    import json

    from clausier.rating.models import UsageSummary
    digest = hashlib.sha256()
    for row in session.execute(select(UsageSummary.subscription_id, UsageSummary.amount,
                                      UsageSummary.records, UsageSummary.explanation)
                               .where(UsageSummary.usage_period == month)
                               .order_by(UsageSummary.subscription_id)):
        digest.update(json.dumps([row[0], str(row[1]), row[2], _texts_only(row[3])],
                                 sort_keys=True).encode())
    return digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="clausier-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["CLAUSIER_DATA_DIR"] = str(folder / "data")
    os.environ.setdefault("CLAUSIER_DATABASE_URL", f"sqlite:///{folder / 'bench.db'}")
    sys.path.insert(0, str(ROOT / "src"))
    from clausier.audit.service import Actor
    from clausier.core.clock import FixedClock
    from clausier.db.session import default_engine, transaction
    from clausier.rating.cdr import service as cdr_service
    from clausier.rating.month import service as month_service

    try:
        started = time.perf_counter()
        cdr_file = folder / "cdr.csv"
        # In a child process, so that the peak memory printed is the import's and the rating's.
        child = multiprocessing.get_context("spawn").Process(
            target=_prepare, args=(dict(os.environ), args.services, args.records, args.month, folder, cdr_file))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"set-up failed (exit code {child.exitcode})")
        generated = time.perf_counter()
        print(f"set-up + generation: {generated - started:.1f} s "
              f"({cdr_file.stat().st_size / 2**20:.0f} MiB of CSV, {args.services} lines)")
        clock, actor = FixedClock(datetime(2026, 11, 2, 9, 0).astimezone()), Actor.system("benchmark")
        t0, cpu0 = time.perf_counter(), time.process_time()
        with transaction(default_engine()) as session:
            batch = cdr_service.import_cdr_file(session, clock, actor, cdr_file)
        t1, cpu1 = time.perf_counter(), time.process_time()
        with transaction(default_engine()) as session:
            report = month_service.rate(session, clock, actor, args.month)
        t2, cpu2 = time.perf_counter(), time.process_time()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        with transaction(default_engine()) as session:
            checksum = _summaries_checksum(session, args.month)
        print(f"import: {batch.accepted:,} records, {batch.rejected:,} rejected in {t1 - t0:.1f} s "
              f"({batch.rows_read / (t1 - t0):,.0f} records/s; CPU {cpu1 - cpu0:.1f} s)")
        print(f"rating: {report.records:,} records, {report.subscriptions:,} summaries, "
              f"{report.breaches} breaches, {report.alerts} alerts, {report.amount} € in {t2 - t1:.1f} s "
              f"({report.records / (t2 - t1):,.0f} records/s; CPU {cpu2 - cpu1:.1f} s)")
        print(f"summaries checksum: {checksum}")
        cores = min(2, os.cpu_count() or 1)
        speed = args.records / (t2 - t0)
        print(f"end to end: {speed:,.0f} records/s; peak memory {peak:.2f} GiB; "
              f"CPU {cpu2 - cpu0:.1f} s, i.e. {args.records * cores / (cpu2 - cpu0):,.0f} records/s "
              f"with {cores} cores to itself; load average {os.getloadavg()[0]:.1f}")
        rows, wall, cpu = _reference(cdr_file)
        print(f"reference, Polars parse only: {rows / wall:,.0f} records/s (CPU {cpu:.1f} s); "
              f"end to end ÷ reference: {speed / (rows / wall):.2f}; load average {os.getloadavg()[0]:.1f}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
