"""Rating fixtures: seed usage blocks, a test operator with a sheet made of them, a price list,
subscriptions with service identifiers, and CDR frames/files built in the tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import yaml

from clausier.catalog.models import Operator
from clausier.contracts.service import LineInput
from clausier.core.clock import PARIS
from clausier.rating.cdr import rules as cdr
from clausier.rating.plans.rules import Bundle, Plan
from clausier.rating.price.rules import Tariff
from clausier.rating.price import service as price_service
from clausier.rating.store import UsageStore
from clausier.terms import service as terms
from clausier.terms.schema import Usage
from tests import factories

HERE = Path(__file__).parent
USAGE_TERMS = yaml.safe_load((HERE / "usage_terms.yaml").read_text(encoding="utf-8"))
OCTOBER = "2026-10"
T0 = datetime(2026, 10, 5, 9, 0, tzinfo=PARIS)


def usage(family: str) -> Usage:
    return Usage.model_validate(USAGE_TERMS[family])


def plan(family: str, subscription_id: int = 1, *, units=None, bundle=None, identifier="0247000001",
         lines_managed: bool = True) -> Plan:
    return Plan(subscription_id, 1, family, identifier, usage(family),
                bundle or Bundle(unlimited=True), units or {}, "demo",
                lines_managed=lines_managed)


DEMO_TARIFFS = {"demo": [
    Tariff("fixed", "voice", Decimal("0.02"), source="demo list"),
    Tariff("mobile", "voice", Decimal("0.08"), source="demo list"),
    Tariff("international", "voice", Decimal("0.30"), source="demo list"),
    Tariff("unknown_origin", "voice", Decimal("0.90"), source="demo list"),
    Tariff("mobile", "sms", Decimal("0.08"), source="demo list"),
    Tariff("data", "data", Decimal("0.01"), source="demo list"),
    Tariff("roaming_surcharge", "voice", Decimal("0.022"), source="demo list"),
]}


def records(rows: Iterable[dict], subscription_id: int = 1, service_id: str = "0247000001") -> pl.LazyFrame:
    """Stored-record frames: every field defaults to an outgoing 60 s voice call at T0."""
    base = {"service": service_id, "start": T0, "duration": 60, "calling": service_id,
            "called": "0145000000", "direction": "out", "type": "voice", "bytes": 0,
            "origin_country": "", "terminating_operator": "FT", "forwarded": False,
            "traffic": "interpersonal", "forwarded_to": "", "line": 0, "subscription_id": subscription_id,
            "customer_id": 1, "batch_id": 1}
    full = [{**base, "record_id": f"r{index}", **row} for index, row in enumerate(rows)]
    frame = pl.DataFrame(full).with_columns(pl.col("start").dt.convert_time_zone("UTC").dt.cast_time_unit("ms"))
    return frame.select(*cdr.STORED_SCHEMA).cast(cdr.STORED_SCHEMA).lazy()


def distinct_calls(count: int, prefix: str = "01", **extra) -> list[dict]:
    return [{"called": f"{prefix}{index:08d}", "start": T0 + timedelta(minutes=index), **extra}
            for index in range(count)]


def write_csv(path: Path, rows: list[dict]) -> Path:
    header = list(cdr.COLUMNS)
    lines = [",".join(header)] + [",".join(str(row.get(name, "")) for name in header) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def csv_row(record_id: str, service_id: str = "0247000001", **values) -> dict:
    return {"record_id": record_id, "service": service_id, "start": "2026-10-05T09:00:00+02:00",
            "duration": "60", "calling": service_id, "called": "0145000000", "direction": "out",
            "type": "voice", "bytes": "", "origin_country": "", "terminating_operator": "FT",
            "forwarded": "0", **values}


# --------------------------------------------------------------------------- database fixtures

@pytest.fixture
def store(tmp_path) -> UsageStore:
    return UsageStore(tmp_path / "usage")


@pytest.fixture
def rating_operator(session, clock, actor, tmp_path) -> Operator:
    return make_rating_operator(session, clock, actor, tmp_path)


def make_rating_operator(session, clock, actor, tmp_path: Path) -> Operator:
    """An operator bound to a test sheet whose families carry the seeds' usage blocks."""
    sheet = {"id": "rating-test", "version": 1, "valid_from": "2020-01-01",
             "title": "Seed usage blocks", "operator": {"name": "TECHNICOPHONE"},
             "source": {"seed": "001_742b69a7556570e9.txt"}, "customer_kind": "business",
             "price_basis": "HT",
             "general": {"commitment": {"initial_months": {"value": 12, "src": "CGV art. 7 L190-194"}}},
             "families": {family: {"title": family, "src": "CP I §8 L1716-1747", "usage": block}
                          for family, block in USAGE_TERMS.items()}}
    path = tmp_path / "sheet.yaml"
    path.write_text(yaml.safe_dump(sheet, allow_unicode=True), encoding="utf-8")
    terms.load_sheet_file(session, clock, actor, path)
    operator = Operator(code="ratingtest", sheet_id="rating-test", name="TECHNICOPHONE",
                        customer_kind="business", price_basis="HT", invoice_prefix="RT",
                        **factories.IDENTITIES["technicophone"])
    session.add(operator)
    session.flush()
    price_service.load_price_list(session, clock, actor, write_price_list(tmp_path / "prices.yaml"))
    return operator


def write_price_list(path: Path) -> Path:
    path.write_text(yaml.safe_dump({
        "scope": "operator:ratingtest", "source": "test price list", "price_basis": "HT",
        "valid_from": date(2020, 1, 1), "demo": True,
        "tariffs": [{"destination": t.destination, "kind": t.kind, "price": str(t.price)}
                    for t in DEMO_TARIFFS["demo"]]}), encoding="utf-8")
    return path


@pytest.fixture
def subscribe(session, clock, actor, rating_operator):
    return subscriber(session, clock, actor, rating_operator)


def subscriber(session, clock, actor, rating_operator: Operator):
    """subscribe(family, identifier, unit=..., quantity=..., **offer attributes) -> Subscription."""
    customer = factories.customer(session, clock, rating_operator)

    def make(family: str, identifier: str, *, unit: str = "line", quantity: int = 1, **attributes):
        code = f"{family}-{unit}-{len(attributes)}-{identifier}"
        factories.offer(session, rating_operator, code, family, "10.00", unit=unit, **attributes)
        [sub] = factories.subscription(session, clock, actor, customer,
                                       [LineInput(customer.sites[0].id, code, quantity, 12)],
                                       signed_on=date(2026, 1, 5), go_live_on=date(2026, 2, 1))
        sub.service_identifier = identifier
        session.flush()
        return sub

    return make
