"""Bill runs on workers fed by RabbitMQ (issue 23): the demo data billed through two
``clausier worker`` processes gives the very invoices of the in-process run on a copy of the
same data — same numbers in the same order, same lines and totals — and a worker killed with
``kill -9`` in the middle of a partition leaves nothing doubled and nothing missing, while one
stopped with SIGTERM finishes its partition first."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from clausier.audit.service import Actor
from clausier.billing import periods as billing_periods
from clausier.billing.runs import service as billing_runs
from clausier.billing.models import BillRunPartition, Invoice
from clausier.core.clock import FixedClock
from clausier.customers.models import Customer
from clausier.db.session import engine_for, transaction
from tests.workers.conftest import CLAUSIER, clone, start_workers, stop

PARTITION = "4"        # customers a partition: the demo's operators split into several each


def _today(period: str):
    return billing_periods.parse_period(period) + timedelta(days=4)


def invoices_of(url: str) -> list[tuple]:
    """What a customer receives, invoice by invoice in number order (ids and the run left out:
    they are the database's, not the invoice's)."""
    with transaction(engine_for(url)) as s:
        rows = s.execute(select(Invoice, Customer.ref).join(Customer, Customer.id == Invoice.customer_id)
                         .where(Invoice.kind == "invoice")
                         .order_by(Invoice.number, Invoice.customer_id)).all()
        return [(i.number, ref, i.status, i.period, i.issue_date, i.due_date, i.total_ht,
                 i.total_vat, i.total_ttc, i.vat_breakdown, i.mentions, i.seller, i.buyer,
                 [(line.position, line.label, line.amount, line.vat_rate, line.clause,
                   line.explanation) for line in sorted(i.lines, key=lambda x: x.position)])
                for i, ref in rows]


def _comparable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in ("partitions", "bill_run_id")}


@pytest.fixture(scope="session")
def in_process(demo_template):
    """The in-process run (no broker) on a copy of the demo data: its report and invoices."""
    url, period = demo_template
    with clone(url, "inproc") as copy:
        reports = billing_runs.run_bill_run(engine_for(copy), FixedClock.on(_today(period)),
                                       Actor(name="cli:test"), period)
        yield [r.as_dict() for r in reports], invoices_of(copy)


def _billrun(env: dict, url: str, period: str, log) -> subprocess.Popen:
    return subprocess.Popen([CLAUSIER, "billrun", "--period", period, "--today",
                             _today(period).isoformat(), "--partition-size", PARTITION, "--json"],
                            env={**env, "CLAUSIER_DATABASE_URL": url, "CLAUSIER_ACTOR": "cli:test"},
                            stdout=subprocess.PIPE, stderr=log.open("w"), text=True)


def _numbers_are_gapless(invoices: list[tuple]) -> None:
    by_series: dict[str, list[int]] = {}
    for number, *_ in invoices:
        series, _year, n = number.rsplit("-", 2)
        by_series.setdefault(series, []).append(int(n))
    for series, numbers in by_series.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), series


def test_two_workers_issue_what_the_in_process_run_issues(broker_env, demo_template, in_process,
                                                          tmp_path):
    url, period = demo_template
    expected_reports, expected_invoices = in_process
    assert expected_invoices, "the demo data bills something in the period"
    with clone(url, "two") as copy:
        workers = start_workers(broker_env, copy, [tmp_path / f"worker{n}.log" for n in (1, 2)])
        try:
            run = _billrun(broker_env, copy, period, tmp_path / "billrun.log")
            out, _ = run.communicate(timeout=180)
        finally:
            for worker in workers:
                stop(worker)
        assert run.returncode == 0, (tmp_path / "billrun.log").read_text()
        reports = json.loads(out)
        assert [_comparable(r) for r in reports] == [_comparable(r) for r in expected_reports]
        invoices = invoices_of(copy)
    assert invoices == expected_invoices
    _numbers_are_gapless(invoices)
    partitions = [p for r in reports for p in r["partitions"]]
    assert all(p["status"] == "done" for p in partitions)
    # Every customer in exactly one partition, and the report names both workers.
    assert [sum(p["customers"] for p in r["partitions"]) for r in reports] == [
        r["customers"] for r in reports]
    assert len({p["worker"] for p in partitions}) == 2


def _waiting_on_a_lock(url: str) -> int:
    with engine_for(url).connect() as conn:
        return int(conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")))


def _partitions(url: str) -> dict[tuple[int, int], tuple[str, int, str]]:
    with transaction(engine_for(url)) as s:
        return {(p.bill_run_id, p.position): (p.status, p.attempts, p.worker)
                for p in s.scalars(select(BillRunPartition))}


def test_a_worker_killed_mid_partition_leaves_nothing_doubled_nothing_missing(
        broker_env, demo_template, in_process, tmp_path):
    url, period = demo_template
    expected_reports, expected_invoices = in_process
    with clone(url, "kill") as copy:
        killed, stopped = start_workers(broker_env, copy,
                                        [tmp_path / f"worker{n}.log" for n in (1, 2)])
        last = None
        # The workers write their partition's invoices, then wait for the lines' table: there
        # one is killed (its transaction open, its message not acknowledged), the other is told
        # to stop (SIGTERM) and finishes the partition it is on once the table is free.
        holder = create_engine(copy).connect()
        holder.execute(text("LOCK TABLE invoice_lines IN EXCLUSIVE MODE"))
        run = _billrun(broker_env, copy, period, tmp_path / "billrun.log")
        try:
            deadline = time.monotonic() + 120
            while _waiting_on_a_lock(copy) < 2:      # both workers are mid-partition
                assert time.monotonic() < deadline and run.poll() is None, \
                    (tmp_path / "billrun.log").read_text()
                time.sleep(0.2)
            in_progress = {key for key, (status, attempts, worker) in _partitions(copy).items()
                           if status == "queued" and worker}
            assert len(in_progress) == 2
            stop(killed, signal.SIGKILL)
            stopped.send_signal(signal.SIGTERM)
            holder.rollback()
            holder.close()
            assert stopped.wait(timeout=120) == 0
            [last] = start_workers(broker_env, copy, [tmp_path / "worker3.log"])
            out, _ = run.communicate(timeout=180)
        finally:
            holder.close()
            for worker in (killed, stopped, last):
                if worker is not None:
                    stop(worker)
            if run.poll() is None:
                run.kill()
        assert run.returncode == 0, (tmp_path / "billrun.log").read_text()
        reports = json.loads(out)
        invoices = invoices_of(copy)
        partitions = _partitions(copy)
    # The stopped worker's partition was finished by it, once; the killed one's delivered again.
    assert sorted(partitions[key][:2] for key in in_progress) == [("done", 1), ("done", 2)]
    assert all(status == "done" for status, _, _ in partitions.values())
    assert [_comparable(r) for r in reports] == [_comparable(r) for r in expected_reports]
    assert invoices == expected_invoices
    _numbers_are_gapless(invoices)
