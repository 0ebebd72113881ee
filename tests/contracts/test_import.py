"""``clausier import``: migrating customers and contracts from an old system (docs/IMPORT.md)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from clausier.catalog import service as catalog
from clausier.cli.main import app as cli
from clausier.contracts import importing
from clausier.contracts.models import Subscription
from clausier.core.errors import InvalidInput
from clausier.customers.models import Customer
from clausier.db.session import transaction
from clausier.terms import service as terms

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def catalogue(session, clock, actor):
    terms.load_built_in_sheets(session, clock, actor)
    catalog.load_built_in_catalogs(session, clock, actor)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_file_with_bad_rows_imports_nothing_and_reports_each_line(session, clock, actor, catalogue):
    with pytest.raises(InvalidInput) as caught:
        importing.import_file(session, clock, actor, FIXTURES / "import_good_and_bad.yaml")
    problems = {(p.line, p.field) for p in caught.value.problems}
    assert (20, "siren") in problems                           # checksum of 123456789 is wrong
    assert (35, "orders.signed_on") in problems                # 01/02/2024 is not YYYY-MM-DD
    assert _count(session, Customer) == 0


def test_skip_bad_rows_imports_the_good_ones_idempotently(session, clock, actor, catalogue):
    path = FIXTURES / "import_good_and_bad.yaml"
    result = importing.import_file(session, clock, actor, path, skip_bad_rows=True)
    assert (result.customers, result.orders, result.subscriptions) == (1, 1, 1)
    assert len(result.report.problems) == 2
    sub = session.scalar(select(Subscription))
    assert (sub.status, sub.go_live_on, sub.service_identifier) == ("active", date(2024, 3, 1), "0247000001")
    assert sub.items[0].monthly_fee == Decimal("19.50") and sub.items[0].quantity == 2
    again = importing.import_file(session, clock, actor, path, skip_bad_rows=True)
    assert (again.customers, again.orders, again.skipped_existing) == (0, 0, 2)
    assert _count(session, Subscription) == 1


def test_csv_rows_are_grouped_by_customer_and_order(session, clock, actor, catalogue, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "customer_external_ref,operator,kind,name,siren,site_name,site_postcode,site_central,"
        "order_external_ref,signed_on,offer,quantity,go_live_on\n"
        "C1,technicophone,company,Cave Roux,834567893,Cave,37000,yes,O1,2024-05-02,vga_analogue_line,3,2024-06-03\n"
        "C1,technicophone,company,Cave Roux,834567893,Cave,37000,yes,O1,2024-05-02,preselection_line,1,2024-06-03\n",
        encoding="utf-8")
    result = importing.import_file(session, clock, actor, path)
    assert (result.customers, result.sites, result.orders, result.subscriptions) == (1, 1, 1, 2)


def test_cli_import_reports_and_exits_2_on_errors(db_url, engine, clock, actor, session):
    with transaction(engine) as s:
        terms.load_built_in_sheets(s, clock, actor)
        catalog.load_built_in_catalogs(s, clock, actor)
    runner = CliRunner(env={"CLAUSIER_DATABASE_URL": db_url})
    failed = runner.invoke(cli, ["import", str(FIXTURES / "import_good_and_bad.yaml")])
    assert failed.exit_code == 2 and "line 20: siren" in failed.output
    done = runner.invoke(cli, ["import", str(FIXTURES / "import_good_and_bad.yaml"), "--skip-bad-rows", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["customers"] == 1
