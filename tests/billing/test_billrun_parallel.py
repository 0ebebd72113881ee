"""A bill run whose invoices are drafted by worker processes and written by the run's process
(issue 22): the same invoices, numbered in customer order without a gap, and a crash mid-run
leaves whole batches only, resumed without duplicate or gap."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from clausier.billing.models import BilledMonth, Invoice
from clausier.billing.runs import service as billing_runs
from clausier.db.session import transaction
from tests import factories

CUSTOMERS = 6


@pytest.fixture
def six_customers(clean_engine, clock, actor):
    """Six customers with a preselection line (CP II: 10.00 € HT a month) live from 1 November."""
    with transaction(clean_engine) as s:
        factories.preselection_customers(s, clock, actor, CUSTOMERS)
    return clean_engine


def _invoices(engine) -> list[tuple[str, int, D]]:
    with transaction(engine) as s:
        return [(i.number, i.customer_id, i.total_ht)
                for i in s.scalars(select(Invoice).order_by(Invoice.number))]


def test_invoices_drafted_by_worker_processes_are_numbered_in_customer_order(
        six_customers, clock, actor):
    [report] = billing_runs.run_bill_run(six_customers, clock, actor, "2026-11", "technicophone",
                                         batch_size=2, processes=2)
    assert report.billed == CUSTOMERS and not report.errors
    invoices = _invoices(six_customers)
    assert [number for number, _c, _ht in invoices] == [
        f"TEC-2026-{n:06d}" for n in range(1, CUSTOMERS + 1)]
    customer_ids = [customer_id for _n, customer_id, _ht in invoices]
    assert customer_ids == sorted(customer_ids)
    assert {ht for _n, _c, ht in invoices} == {D("10.00")}
    with transaction(six_customers) as s:
        assert s.scalar(select(func.count()).select_from(BilledMonth)) == CUSTOMERS
    [again] = billing_runs.run_bill_run(six_customers, clock, actor, "2026-11", "technicophone",
                                        batch_size=2, processes=2)
    assert again.billed == 0


def test_a_crash_of_the_writer_mid_run_is_resumed_without_duplicate_or_gap(
        six_customers, clock, actor, monkeypatch):
    real, calls = billing_runs.write_prepared, []

    def power_cut_on_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(billing_runs, "write_prepared", power_cut_on_second_batch)
    with pytest.raises(RuntimeError, match="power cut"):
        billing_runs.run_bill_run(six_customers, clock, actor, "2026-11", "technicophone",
                                  batch_size=2, processes=2)
    assert [number for number, _c, _ht in _invoices(six_customers)] == [
        "TEC-2026-000001", "TEC-2026-000002"]
    monkeypatch.setattr(billing_runs, "write_prepared", real)
    [report] = billing_runs.run_bill_run(six_customers, clock, actor, "2026-11", "technicophone",
                                         batch_size=2, processes=2)
    assert report.billed == CUSTOMERS - 2
    assert [number for number, _c, _ht in _invoices(six_customers)] == [
        f"TEC-2026-{n:06d}" for n in range(1, CUSTOMERS + 1)]
