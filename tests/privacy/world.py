"""A Technicophone customer with contacts and services, and helpers to lay usage partitions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from stdnum import luhn

from clausier.contracts.service import LineInput
from clausier.customers.models import Contact
from tests import factories


def technicophone(session, clock, actor):
    op = factories.operator(session, clock, actor, "technicophone")
    factories.offer(session, op, "sip-10", "sip_trunk", "450.00", unit="trunk", access_fee="300.00")
    factories.offer(session, op, "cx-ivr", "cx", "90.00", unit="subscription")
    return op


def customer_with_contacts(session, clock, actor, op, name="Boulangerie Martin"):
    customer = factories.customer(session, clock, op, name)
    base = f"{customer.id:08d}"
    customer.siren = base + luhn.calc_check_digit(base)
    customer.email, customer.phone = "compta@martin.example", "+33247000000"
    session.add(Contact(customer_id=customer.id, name="Jeanne Martin",
                        email="jeanne@martin.example", phone="0611223344",
                        roles=["incident_reporter"]))
    session.flush()
    return customer


def live_service(session, clock, actor, customer, offer="sip-10", go_live=date(2025, 2, 1)):
    [sub] = factories.subscription(session, clock, actor, customer,
                                   [LineInput(customer.sites[0].id, offer)],
                                   signed_on=go_live.replace(day=1), go_live_on=go_live)
    return sub


def write_partition(root: Path, kind: str, month: str, rows: list[dict]) -> Path:
    """A month partition the way the rating room stores it:
    ``<data dir>/usage/<records|rated>/month=YYYY-MM/batch-<n>.parquet``."""
    folder = root / "usage" / kind / f"month={month}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "batch-1.parquet"
    pl.DataFrame(rows, schema={"record_id": pl.String, "customer_id": pl.Int64,
                               "subscription_id": pl.Int64, "calling": pl.String}).write_parquet(path)
    return path
