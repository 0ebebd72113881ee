"""Bill-run benchmark: N customers × 3 subscriptions on a fresh database, one timed bill run.
Each voice line has a month of rated calls to bill (October's, with its detail per destination
class), so the run reads and marks rating's summaries as a real one does.

    python benchmarks/billrun.py --customers 50000 --db sqlite
    python benchmarks/billrun.py --customers 50000 --db postgresql
    python benchmarks/billrun.py --customers 50000 --processes 1       # drafting in the writer
    python benchmarks/billrun.py --db sqlite --pdfs 400 --workers 2      # PDFs of the billed invoices
        # (Factur-X, then the same page as plain PDFs: CPU per PDF, load, the ratio)
    python benchmarks/billrun.py --customers 50000 --db postgresql \
        --broker amqp://guest:guest@127.0.0.1:5672/ --broker-workers 2      # on `clausier worker`s

The set-up (not timed) inserts the rows in bulk; the bill run is the real one
(``billing.runs.service.run_bill_run``): worker processes draft the invoices, this process
writes them. Printed beside it, from the same run: the CPU time of the writer and of its
drafting processes, how busy the machine's cores were and its load, and a reference measured
on the same input just before the run (drafting every invoice in one process without writing
it) with the ratio of the two rates. Peak memory is the bill-run process's maximum RSS, the
set-up running in a child process. Then a checksum of the invoices written (their totals, and
their lines' amounts and stored texts, messages included; not timed): a faster version must
print the same for the same --customers and --db. Printed figures only: speed never goes into
the test suite.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from clausier.audit.service import Actor  # noqa: E402
from clausier.core.clock import PARIS, FixedClock  # noqa: E402
from clausier.core.explain import Explained, Line  # noqa: E402

PERIOD = "2026-11"
ISSUE_DAY = date(2026, 11, 2)
POSTGRES_ADMIN = os.environ.get("CLAUSIER_BENCH_POSTGRES_URL",
                                "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# (offer code, family, unit, monthly fee HT, access fee HT, go-live)
OFFERS = [
    ("bench-vga", "vga", "analogue_line", "20.00", "50.00", date(2026, 10, 15)),
    ("bench-presel", "preselection", "subscription", "10.00", "0", date(2026, 9, 1)),
    ("bench-sip", "sip_trunk", "trunk", "450.00", "300.00", date(2026, 11, 1)),
]

# A voice line's rated October: national calls in the bundle, mobile calls charged.
RATED_OCTOBER = Explained((
    Line("Calls — national, included in the bundle", Decimal("0"), "30 record(s), 1 h 05 min 00 s included",
         "CP I §8"),
    Line("Calls — mobile", Decimal("1.94"), "12 record(s), 12 call(s), 19 min 24 s billed × 0,10 €/min",
         "price list (demo)")))
OCTOBER_DETAIL = {"destinations": [
    {"label": "Calls — national", "calls": 30, "seconds": 3900, "included_seconds": 3900,
     "charged_seconds": 0, "amount": "0.00", "clause": "CP I §8"},
    {"label": "Calls — mobile", "calls": 12, "seconds": 1164, "included_seconds": 0,
     "charged_seconds": 1164, "amount": "1.94", "clause": "price list (demo)"}], "other_lines": []}


def database_url(db: str, name: str = "clausier_bench_billing") -> str:
    if db == "sqlite":
        return f"sqlite:///{Path(os.environ.get('TMPDIR', '/tmp')) / f'{name}.db'}"
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{name}"


def fresh_database(db: str, name: str = "clausier_bench_billing") -> str:
    """A new empty database ``name`` (another benchmark running meanwhile uses its own)."""
    url = database_url(db, name)
    if db == "sqlite":
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    from clausier.db.migrate import upgrade

    upgrade(url)
    return url


def set_up(url: str, customers: int) -> None:
    """N customers, each with one (central) site and three subscriptions, inserted in bulk."""
    from clausier.catalog.models import Offer, Operator
    from clausier.contracts.models import Subscription, SubscriptionItem
    from clausier.customers.models import Customer, Site
    from clausier.db.session import engine_for, transaction
    from clausier.rating.models import UsageSummary
    from clausier.terms import service as terms

    clock = FixedClock.on(date(2026, 11, 1))
    actor = Actor.system("benchmark")
    now = datetime(2026, 11, 1, 9, 0, tzinfo=PARIS)
    engine = engine_for(url)
    with transaction(engine) as session:
        terms.load_built_in_sheets(session, clock, actor)
        # The seller of CGV art. 2 L39-40; a demo account (valid check digits, not a real one).
        operator = Operator(code="technicophone", name="TECHNICOPHONE", legal_name="TECHNICOPHONE",
                            siren="379341803", siret="37934180300029", vat_number="FR81379341803",
                            address_lines=["4, rue des Messagers", "ZA de Châtenay"],
                            postcode="37210", city="Rochecorbon", iban="FR7630006000011234567890189",
                            bic="AGRIFRPPXXX", sheet_id="technicophone",
                            customer_kind="business", price_basis="HT", invoice_prefix="TEC")
        session.add(operator)
        session.flush()
        offers = []
        for code, family, unit, fee, access, _ in OFFERS:
            offer = Offer(operator_id=operator.id, code=code, name=code, family=family, unit=unit,
                          monthly_fee=Decimal(fee), access_fee=Decimal(access), price_basis="HT")
            session.add(offer)
            offers.append(offer)
        session.flush()
        offer_ids = [o.id for o in offers]
        operator_id = operator.id
    chunk = 5000
    for first in range(1, customers + 1, chunk):
        ids = range(first, min(customers, first + chunk - 1) + 1)
        with transaction(engine) as session:
            session.execute(insert(Customer), [
                {"id": i, "operator_id": operator_id, "ref": f"C{i:07d}", "kind": "company",
                 "name": f"Client {i}", "siren": f"{100000000 + i}", "billing_address": "1 rue X, 37000 Tours",
                 "created_at": now, "updated_at": now} for i in ids])
            session.execute(insert(Site), [
                {"id": i, "customer_id": i, "name": "Siège", "is_central": True} for i in ids])
            subs, items = [], []
            for i in ids:
                for k, (code, family, unit, fee, access, go_live) in enumerate(OFFERS):
                    sub_id = (i - 1) * 3 + k + 1
                    subs.append({"id": sub_id, "ref": f"S{sub_id:08d}", "customer_id": i, "site_id": i,
                                 "operator_id": operator_id, "family": family,
                                 "sheet_id": "technicophone", "sheet_version": 1, "status": "active",
                                 "signed_on": date(2026, 8, 1), "channel": "on_premises",
                                 "commitment_months": 36, "billing_periodicity_months": 1,
                                 "go_live_on": go_live, "commitment_start": go_live, "created_at": now})
                    items.append({"subscription_id": sub_id, "offer_id": offer_ids[k], "offer_code": code,
                                  "label": code, "unit": unit, "quantity": 1 + (i % 3),
                                  "monthly_fee": Decimal(fee), "access_fee": Decimal(access),
                                  "access_fee_undiscounted": Decimal(access),
                                  "one_off_price": Decimal(0), "price_basis": "HT",
                                  "vat_rate": "normal", "is_option": False, "active_from": go_live})
            session.execute(insert(Subscription), subs)
            session.execute(insert(SubscriptionItem), items)
            session.execute(insert(UsageSummary), [
                {"subscription_id": sub["id"], "customer_id": sub["customer_id"], "month": "2026-10",
                 "usage_period": "2026-10", "amount": RATED_OCTOBER.total, "price_basis": "HT",
                 "records": 42, "explanation": RATED_OCTOBER.as_dict(), "detail": OCTOBER_DETAIL,
                 "computed_at": now} for sub in subs if sub["family"] == "vga"])
    with engine.connect() as conn:      # fresh statistics, as a live database has
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start_workers(url: str, broker: str, count: int) -> list:
    """``count`` real ``clausier worker`` processes (one process, one thread each), once ready."""
    import subprocess
    import tempfile

    # Queues of this run only: another benchmark on the same broker never takes its partitions.
    namespace = f"bench-{os.getpid()}"
    env = {**os.environ, "CLAUSIER_DATABASE_URL": url, "CLAUSIER_BROKER_URL": broker,
           "CLAUSIER_BROKER_NAMESPACE": namespace}
    workers = []
    for _ in range(count):
        log = tempfile.NamedTemporaryFile("w+", prefix="clausier-bench-worker-", delete=False)
        workers.append((subprocess.Popen([str(Path(sys.executable).parent / "clausier"), "worker"],
                                         env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True), Path(log.name)))
    for process, log in workers:
        while "ready for action" not in log.read_text():
            if process.poll() is not None:
                sys.exit(f"worker failed: {log.read_text()}")
            time.sleep(0.2)
    os.environ.update({"CLAUSIER_BROKER_URL": broker, "CLAUSIER_BROKER_NAMESPACE": namespace})
    return [process for process, _ in workers]


def _delete_queue(broker: str, name: str) -> None:
    if broker.startswith("amqp"):
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(broker))
        connection.channel().queue_delete(name)
        connection.close()
    else:
        import redis

        client = redis.Redis.from_url(broker)
        for key in client.scan_iter(f"dramatiq:{name}*"):
            client.delete(key)
        client.close()


def cpu_busy() -> tuple[int, int]:
    """The machine's CPU time so far, busy and total, in clock ticks (every process, ours or not)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]           # idle, iowait
    return sum(fields) - idle, sum(fields)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class BackendsCpu:
    """The CPU time of the PostgreSQL backends serving one database, sampled from /proc by a
    thread while the run goes on (the server runs on this machine): what the database costs
    the run, beside the writer's and the drafting processes'."""

    def __init__(self, database: str) -> None:
        import threading

        self.tag, self.seen = f" {database} ".encode(), {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self.stopped.wait(0.25):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    if self.tag in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0] + b" ":
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                        self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick
                except OSError:
                    pass

    def stop(self) -> float:
        self.stopped.set()
        self.thread.join()
        return sum(self.seen.values())


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def drafting_reference(url: str, batch_size: int) -> tuple[int, float, float]:
    """The reference, on the same input: every invoice drafted (facts read, rules, rows
    encoded) in this one process, nothing written — the work the bill run spreads over the
    worker processes. (invoices, wall seconds, CPU seconds)."""
    from clausier.billing.context import operator_by_code
    from clausier.billing.runs.batch import chunks, draft_in_process
    from clausier.customers import facts as customers
    from clausier.db.session import engine_for, transaction

    with transaction(engine_for(url)) as session:
        operator = operator_by_code(session, "technicophone")
        ids = customers.customer_ids(session, operator_id=operator.id)
    now = FixedClock.on(ISSUE_DAY).now()
    started, cpu = time.perf_counter(), time.process_time()
    invoices = sum(len(draft_in_process(url, operator.id, None, date(2026, 11, 1), ISSUE_DAY,
                                        chunk, now).invoices)
                   for chunk in chunks(ids, batch_size))
    return invoices, time.perf_counter() - started, time.process_time() - cpu


def invoices_checksum(url: str) -> str:
    """A digest of every invoice's totals and of its lines' amounts and stored texts (the
    explanation as kept, messages included), to check that a faster version bills the synthetic
    data exactly as before (not timed)."""
    import hashlib
    import json

    from clausier.billing.models import Invoice, InvoiceLine

    digest = hashlib.sha256()
    engine = create_engine(url)
    with engine.connect() as conn:
        for row in conn.execute(select(Invoice.number, Invoice.customer_id, Invoice.total_ht,
                                       Invoice.total_vat, Invoice.total_ttc, Invoice.vat_breakdown,
                                       Invoice.mentions, Invoice.due_date)
                                .order_by(Invoice.customer_id)):
            digest.update(json.dumps([str(value) if not isinstance(value, (list, dict)) else value
                                      for value in row], sort_keys=True).encode())
        for row in conn.execute(select(Invoice.customer_id, InvoiceLine.position, InvoiceLine.kind,
                                       InvoiceLine.subscription_id, InvoiceLine.label,
                                       InvoiceLine.quantity, InvoiceLine.unit_price,
                                       InvoiceLine.amount, InvoiceLine.amount_ht,
                                       InvoiceLine.vat_rate, InvoiceLine.period_start,
                                       InvoiceLine.period_end, InvoiceLine.clause,
                                       InvoiceLine.explanation)
                                .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
                                .order_by(Invoice.customer_id, InvoiceLine.position)):
            digest.update(json.dumps([str(value) if not isinstance(value, (list, dict)) else value
                                      for value in row], sort_keys=True).encode())
    engine.dispose()
    return digest.hexdigest()[:16]


def bill(url: str, batch_size: int, broker: str | None = None, broker_workers: int = 2,
         processes: int | None = None) -> None:
    import signal

    from clausier.billing.runs import service as billing_runs
    from clausier.db.session import engine_for

    reference = None
    if not broker:
        load_before = load()
        reference = drafting_reference(url, batch_size)
        invoices, seconds, cpu = reference
        print(f"reference (same input, same run): drafting the {invoices} invoices without writing "
              f"them, in one process: {seconds:.1f} s — {invoices / seconds:.0f} invoices/s — "
              f"CPU {cpu:.1f} s — load {load_before} → {load()}")
    engine = engine_for(url)
    clock = FixedClock.on(ISSUE_DAY)
    actor = Actor.system("benchmark")
    workers, queue = [], None
    if broker:
        workers = start_workers(url, broker, broker_workers)
        from clausier.workers.tasks import partition_queue

        queue = partition_queue(actor)
    load_before, machine_before = load(), cpu_busy()
    database = BackendsCpu(url.rsplit("/", 1)[1]) if url.startswith("postgresql") else None
    started, cpu, children = time.perf_counter(), time.process_time(), children_cpu()
    try:
        [report] = billing_runs.run_bill_run(engine, clock, actor, PERIOD, "technicophone",
                                             batch_size=batch_size, queue=queue,
                                             processes=processes)
    finally:
        for process in workers:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()
        if broker:
            from dramatiq import get_broker

            for queue_name in get_broker().get_declared_queues():     # this run's queues
                for suffix in ("", ".DQ", ".XQ"):
                    _delete_queue(broker, queue_name + suffix)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # The drafting processes are the fork server's children: stopped, its CPU and theirs count
    # among this process's children (a private API, in this benchmark only).
    from multiprocessing import forkserver
    forkserver._forkserver._stop()
    children = children_cpu() - children
    database_cpu = database.stop() if database else None
    busy, total = (after - before for after, before in zip(cpu_busy(), machine_before, strict=True))
    if broker:
        print(f"on {broker_workers} worker(s): "
              + ", ".join(f"{w} billed {n} partitions" for w, n in sorted(
                  {w: sum(p["worker"] == w for p in report.partitions)
                   for w in {p["worker"] for p in report.partitions}}.items())))
    print(f"bill run {PERIOD}: {report.customers} customers, {report.billed} invoices "
          f"({report.invoices[0] if report.invoices else '-'} … {report.invoices[-1] if report.invoices else '-'}), "
          f"{len(report.errors)} errors")
    print(f"  {seconds:.1f} s — {report.billed / seconds:.0f} invoices/s — peak memory {peak_rss_mb():.0f} MB"
          f" — total HT {report.total_ht}")
    print(f"  CPU: {cpu:.1f} s in this process (the writer), {children:.1f} s in its drafting "
          f"processes{'' if database_cpu is None else f', {database_cpu:.1f} s in the database'}"
          f", for {seconds:.1f} s of wall time; the machine's {os.cpu_count()} cores "
          f"{100 * busy / max(total, 1):.0f}% busy (every process, the database's and others' "
          f"included); load average {load_before} → {load()}")
    if reference:
        invoices, reference_seconds, _cpu = reference
        print(f"  the bill run is {(report.billed / seconds) / (invoices / reference_seconds):.2f}× "
              f"the reference's rate (drafting alone in one process)")
    print(f"  invoices checksum: {invoices_checksum(url)}")
    if broker:
        return
    started = time.perf_counter()
    [again] = billing_runs.run_bill_run(engine, clock, Actor.system("benchmark"), PERIOD,
                                        "technicophone", batch_size=batch_size,
                                        processes=processes)
    print(f"  re-run (idempotent): {again.billed} new invoices in {time.perf_counter() - started:.1f} s")


def render_pdfs(url: str, count: int, workers: int) -> None:
    """Render ``count`` PDFs (with Factur-X) on ``workers`` processes: the code of
    ``clausier invoice pdfs`` (``billing.documents.pdf.write_pdfs``), files not written; then, in
    the same run, the reference: the same page as plain PDFs (no Factur-X XML, no PDF/A). Each
    with the wall time, the CPU time per PDF summed over the workers, and the machine's load."""
    from clausier.billing.models import Invoice
    from clausier.billing.documents.pdf import write_pdfs

    engine = create_engine(url)
    with engine.connect() as conn:
        ids = list(conn.scalars(select(Invoice.id).where(Invoice.number.is_not(None))
                                .order_by(Invoice.id).limit(count)))
    engine.dispose()
    if not ids:
        sys.exit("no invoice to render: run the bill run first (same --db)")
    cores = os.cpu_count()
    load = os.getloadavg()[0]
    report = write_pdfs(url, ids, None, workers)
    print(f"PDFs: {report.written} in {report.seconds:.1f} s on {workers} process(es) — "
          f"{report.written / report.seconds:.1f} PDFs/s — "
          f"{report.written / report.seconds / workers:.1f} PDFs/s per core")
    factur_x_ms = report.cpu_seconds / report.written * 1000
    print(f"  {factur_x_ms:.0f} ms of CPU per PDF "
          f"({report.written / report.cpu_seconds:.1f} PDFs per CPU-second); "
          f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after, on {cores} cores")
    load = os.getloadavg()[0]
    plain = write_pdfs(url, ids, None, workers, factur_x=False)
    plain_ms = plain.cpu_seconds / plain.written * 1000
    print(f"  reference, the same page without Factur-X (plain PDF, no XML, no PDF/A): "
          f"{plain.written} in {plain.seconds:.1f} s — {plain.written / plain.seconds:.1f} PDFs/s — "
          f"{plain_ms:.0f} ms of CPU per PDF; load average {load:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    print(f"  Factur-X over the plain page: {report.seconds / plain.seconds:.2f}× the wall time, "
          f"{factur_x_ms / plain_ms:.2f}× the CPU ({factur_x_ms - plain_ms:.1f} ms more per PDF)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--pdfs", type=int, default=0,
                        help="Render this many PDFs of the last bill run instead of billing.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--processes", type=int, default=None,
                        help="Drafting processes of the bill run (default: the bill run's own, "
                             "one per core from billing.runs.service.PARALLEL_FROM customers).")
    parser.add_argument("--broker", help="Bill on `clausier worker`s fed by this broker "
                                         "(amqp://… or redis://…); PostgreSQL only.")
    parser.add_argument("--broker-workers", type=int, default=2,
                        help="Worker processes started for --broker.")
    args = parser.parse_args()
    if args.broker and args.db != "postgresql":
        parser.error("--broker: workers in several processes need --db postgresql")
    if args.pdfs:
        render_pdfs(database_url(args.db), args.pdfs, args.workers)
        return
    started = time.perf_counter()
    url = fresh_database(args.db)
    child = multiprocessing.get_context("spawn").Process(target=set_up, args=(url, args.customers))
    child.start()
    child.join()
    if child.exitcode:
        sys.exit("set-up failed")
    print(f"set-up: {args.customers} customers × 3 subscriptions on {args.db} "
          f"in {time.perf_counter() - started:.1f} s (not timed below)")
    bill(url, args.batch_size, args.broker, args.broker_workers, args.processes)


if __name__ == "__main__":
    main()
