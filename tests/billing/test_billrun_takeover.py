"""A bill run whose process died (kill -9) does not stay "running" forever: the next run of its
period sees that it stopped showing signs of life and takes it over (issue 17 §8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from clausier.audit.models import AuditEntry
from clausier.billing.runs import rules as run_rules
from clausier.billing.runs import batch as billing_batch
from clausier.billing.runs import service as billing_runs
from clausier.billing.models import BillRun, Invoice
from clausier.db.session import database_now, transaction
from tests import factories

CUSTOMERS = 6


@pytest.fixture
def run_died_after_one_batch(clean_engine, clock, actor, monkeypatch) -> int:
    """Six customers with a preselection line (CP II, 10.00 € HT a month); a run that billed
    its first batch of two and stopped dead: nothing after the crash ran."""
    with transaction(clean_engine) as s:
        factories.preselection_customers(s, clock, actor, CUSTOMERS)
    real, calls = billing_batch._line_rows, []

    def killed_in_second_batch(invoice_id, totals):
        calls.append(invoice_id)
        if len(calls) == 3:
            raise SystemExit("kill -9")
        return real(invoice_id, totals)

    monkeypatch.setattr(billing_batch, "_line_rows", killed_in_second_batch)
    with pytest.raises(SystemExit):
        billing_runs.run_bill_run(clean_engine, clock, actor, "2026-11", "technicophone",
                                  batch_size=2)
    monkeypatch.setattr(billing_batch, "_line_rows", real)
    with transaction(clean_engine) as s:
        [run] = s.scalars(select(BillRun))
        assert (run.status, run.customers_done, run.invoices) == ("running", 2, 2)
        return run.id


def _silent_for(engine, run_id: int, silence: timedelta) -> None:
    with transaction(engine) as s:
        s.execute(update(BillRun).where(BillRun.id == run_id)
                  .values(heartbeat_at=database_now(s) - silence))


def test_the_next_run_takes_over_a_run_silent_for_longer_than_its_lease(
        clean_engine, clock, actor, run_died_after_one_batch):
    _silent_for(clean_engine, run_died_after_one_batch,
                run_rules.BILL_RUN_LEASE + timedelta(minutes=1))
    [report] = billing_runs.run_bill_run(clean_engine, clock, actor, "2026-11", "technicophone",
                                    batch_size=2)
    assert (report.bill_run_id, report.billed) == (run_died_after_one_batch, CUSTOMERS - 2)
    with transaction(clean_engine) as s:
        [run] = s.scalars(select(BillRun))
        assert (run.status, run.customers_done, run.invoices) == ("completed", CUSTOMERS, CUSTOMERS)
        assert run.total_ht == 10 * CUSTOMERS
        assert [i.number for i in s.scalars(select(Invoice).order_by(Invoice.number))] == [
            f"TEC-2026-{n:06d}" for n in range(1, CUSTOMERS + 1)]
        [resumed] = s.scalars(select(AuditEntry).where(AuditEntry.action == "billrun.resume"))
        assert f"run {run.id} stopped showing signs of life" in resumed.summary


def test_a_run_that_showed_a_sign_of_life_within_its_lease_is_left_alone(
        clean_engine, clock, actor, run_died_after_one_batch):
    _silent_for(clean_engine, run_died_after_one_batch,
                run_rules.BILL_RUN_LEASE - timedelta(minutes=1))
    [report] = billing_runs.run_bill_run(clean_engine, clock, actor, "2026-11", "technicophone",
                                    batch_size=2)
    assert report.bill_run_id != run_died_after_one_batch and report.billed == CUSTOMERS - 2
    with transaction(clean_engine) as s:
        assert s.get(BillRun, run_died_after_one_batch).status == "running"
