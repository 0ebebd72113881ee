"""A Technicophone customer with contacts and services, and helpers to lay usage partitions."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
from stdnum import luhn

from clausier.contracts.service import LineInput
from clausier.core.clock import PARIS
from clausier.customers.models import Contact
from clausier.rating.store import UsageStore
from tests import factories


def technicophone(session, clock, actor):
    op = factories.operator(session, clock, actor, "technicophone")
    factories.offer(session, op, "sip-10", "sip_trunk", "450.00", unit="trunk", access_fee="300.00")
    factories.offer(session, op, "cx-ivr", "cx", "90.00", unit="subscription")
    return op


def customer_with_contacts(session, clock, actor, op, name="Boulangerie Martin"):
    customer = give_siren(factories.customer(session, clock, op, name))
    customer.email, customer.phone = "compta@martin.example", "+33247000000"
    session.add(Contact(customer_id=customer.id, name="Jeanne Martin",
                        email="jeanne@martin.example", phone="0611223344",
                        roles=["incident_reporter"]))
    session.flush()
    return customer


def give_siren(customer):
    """A valid SIREN from the customer's id (a French company needs one to be updated)."""
    base = f"{customer.id:08d}"
    customer.siren = base + luhn.calc_check_digit(base)
    return customer


def live_service(session, clock, actor, customer, offer="sip-10", go_live=date(2025, 2, 1)):
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, offer)],
                                   signed_on=go_live.replace(day=1), go_live_on=go_live)
    return sub


def write_partition(root: Path, kind: str, month: str, rows: list[dict]) -> Path:
    """A month partition where the rating room puts it (``rating.store.UsageStore``): imported
    records in ``records/month=M/bucket=K/batch-*.parquet``, rated ones in
    ``rated/month=M/bucket=K.parquet``."""
    store = UsageStore(root / "usage")
    path = (store.rated_path(month, 0) if kind == "rated"
            else store.month_dir(month) / "bucket=0" / "batch-1-0.parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    # a record without its own start was made on the 15th of its month, at noon (Paris)
    mid_month = datetime.strptime(f"{month}-15 12:00", "%Y-%m-%d %H:%M").replace(tzinfo=PARIS)
    rows = [{"start": mid_month, **row} for row in rows]
    pl.DataFrame(rows, schema={"record_id": pl.String, "customer_id": pl.Int64,
                               "subscription_id": pl.Int64, "calling": pl.String,
                               "start": pl.Datetime("ms", "UTC")}).write_parquet(path)
    return path
