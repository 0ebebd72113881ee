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


# Issue 17 §6: every bad file is refused with its name, line and reason, and leaves nothing.

CSV_HEADER = ("customer_external_ref,operator,kind,name,siren,employees,site_name,site_postcode,"
              "order_external_ref,signed_on,offer,quantity\n")
CSV_ROW = ("C1,technicophone,company,Cave Roux,834567893,12,Cave,37000,O1,2024-05-02,"
           "vga_analogue_line,3\n")


def _refused(session, clock, actor, path) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        importing.import_file(session, clock, actor, path)
    assert _count(session, Customer) == 0
    return caught.value


def _refused_problems(session, clock, actor, path) -> list[tuple]:
    before = _count(session, Customer)
    with pytest.raises(InvalidInput) as caught:
        importing.import_file(session, clock, actor, path)
    assert _count(session, Customer) == before
    return [(p.line, p.field, p.reason) for p in caught.value.problems]


def test_a_csv_employees_column_is_read_as_a_whole_number(session, clock, actor, catalogue,
                                                          tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(CSV_HEADER + CSV_ROW, encoding="utf-8")
    result = importing.import_file(session, clock, actor, path)
    assert (result.customers, result.subscriptions) == (1, 1)
    assert session.scalar(select(Customer.employees)) == 12
    bad = CSV_ROW.replace(",12,", ",douze,").replace("C1", "C2")
    path.write_text(CSV_HEADER + bad, encoding="utf-8")
    problems = _refused_problems(session, clock, actor, path)
    assert problems == [(2, "employees", "'douze' is not a whole number")]


def test_a_csv_cut_mid_line_is_refused_whole(session, clock, actor, catalogue, tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text(CSV_HEADER + CSV_ROW + CSV_ROW.replace("C1", "C2")[:40], encoding="utf-8")
    error = _refused(session, clock, actor, path)
    assert error.message == ("cut.csv, line 3: 5 field(s) where the header has 12 (a row cut short "
                             "or a stray comma?); nothing imported")
    path.write_text(CSV_HEADER + CSV_ROW.replace("Cave Roux", '"Cave Roux') + CSV_ROW,
                    encoding="utf-8")
    assert _refused(session, clock, actor, path).message == (
        "cut.csv, line 2: a quote opened on this line is never closed; nothing imported")


def test_a_latin_1_file_is_refused_naming_its_line(session, clock, actor, catalogue, tmp_path):
    path = tmp_path / "latin1.csv"
    second = CSV_ROW.replace("C1", "C2").replace("Cave", "Épicerie")
    path.write_bytes((CSV_HEADER + CSV_ROW + second).encode("latin-1"))
    error = _refused(session, clock, actor, path)
    assert error.message == ("latin1.csv, line 3: is not UTF-8 text (byte 0xc9); save it as UTF-8; "
                             "nothing imported")


def test_a_huge_field_is_refused_with_the_limit(session, clock, actor, catalogue, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(CSV_HEADER + CSV_ROW.replace("Cave Roux", "x" * 5_000_000), encoding="utf-8")
    assert _refused(session, clock, actor, path).message == (
        "huge.csv, line 2: a field is longer than 1000 characters (or a quote is never closed); "
        "nothing imported")
    # Within csv's own limit, the width of the column (customers.name is 200 characters).
    path.write_text(CSV_HEADER + CSV_ROW.replace("Cave Roux", "x" * 201), encoding="utf-8")
    assert _refused_problems(session, clock, actor, path) == [
        (2, "name", "201 characters, more than the limit of 200")]
    yaml_path = tmp_path / "huge.yaml"
    yaml_path.write_text("customers:\n  - external_ref: OLD-9\n    operator: technicophone\n"
                         f"    kind: company\n    name: {'y' * 5_000_000}\n", encoding="utf-8")
    assert _refused_problems(session, clock, actor, yaml_path) == [
        (2, "name", "5000000 characters, more than the limit of 200")]


YAML_CUSTOMER = """customers:
  - external_ref: OLD-5
    operator: technicophone
    kind: company
    name: {name}
    siren: 834567893
    employees: 4
    sites:
      - {{name: Cave, postcode: 37000, central: true}}
    orders:
      - external_ref: OLD-ORD-5
        signed_on: {signed_on}
        lines:
          - {{site: Cave, offer: vga_analogue_line, quantity: 2, monthly_fee: 19.50}}
"""


def test_yaml_scalars_are_text_and_a_bad_date_names_its_field(session, clock, actor, catalogue,
                                                              tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(YAML_CUSTOMER.format(name="12345", signed_on="2026-02-30"), encoding="utf-8")
    assert _refused_problems(session, clock, actor, path) == [
        (11, "orders.signed_on", "'2026-02-30' is not a date (YYYY-MM-DD)")]
    path.write_text(YAML_CUSTOMER.format(name="12345", signed_on="2024-02-01"), encoding="utf-8")
    result = importing.import_file(session, clock, actor, path)
    assert (result.customers, result.subscriptions) == (1, 1)
    customer = session.scalar(select(Customer))
    assert (customer.name, customer.siren, customer.employees) == ("12345", "834567893", 4)
    sub = session.scalar(select(Subscription))
    assert (sub.items[0].quantity, sub.items[0].monthly_fee) == (2, Decimal("19.50"))


def test_the_cli_refuses_a_bad_file_without_a_traceback(db_url, engine, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((CSV_HEADER + CSV_ROW.replace("Cave", "Épicerie")).encode("latin-1"))
    runner = CliRunner(env={"CLAUSIER_DATABASE_URL": db_url})
    failed = runner.invoke(cli, ["import", str(path)])
    assert failed.exit_code == 2     # an uncaught exception would give 1
    assert "latin1.csv, line 2: is not UTF-8 text (byte 0xc9)" in failed.output


# Issue 19: a change line goes through the change-order service (quoted, confirmed, audited).

CHANGE_YAML = """\
customers:
  - external_ref: OLD-77
    operator: technicophone
    kind: company
    name: Cabinet Leroy
    siren: "834567893"
    sites:
      - {name: Tours, postcode: "37000", central: true}
    orders:
      - external_ref: OLD-ORD-77
        signed_on: 2024-05-02
        go_live_on: 2024-06-03
        lines:
          - {site: Tours, offer: centrex_user, quantity: 10}
    changes:
      - external_ref: OLD-CHG-1
        order: OLD-ORD-77
        on: 2025-01-31
        lines:
          - {action: add, offer: centrex_user, quantity: 2}
"""


def test_a_change_line_is_a_change_order_quoted_confirmed_and_audited(session, clock, actor,
                                                                       catalogue, tmp_path):
    """CGV art. 7.4 L206-212: two Centrex users added on 31 January 2025 re-commit the service
    for 36 months from that date, to 30 January 2028; the 12 seats cost 12 × 15,00 a month
    (price list: catalog/data/technicophone.yaml) from the change."""
    from clausier.audit.models import AuditEntry
    from clausier.contracts import service as contracts
    from clausier.contracts.models import ChangeOrder

    path = tmp_path / "changes.yaml"
    path.write_text(CHANGE_YAML, encoding="utf-8")
    result = importing.import_file(session, clock, actor, path)
    assert (result.orders, result.changes) == (1, 1)
    order = session.scalar(select(ChangeOrder))
    assert (order.external_ref, order.effective_on, order.monthly_total, order.status) == (
        "OLD-CHG-1", date(2025, 1, 31), Decimal("180.00"), "confirmed")
    assert order.quote["commitment_end"] == "2028-01-30"
    sub = session.scalar(select(Subscription))
    assert [i.quantity for i in contracts.items_in_force(sub, date(2025, 1, 31))] == [12]
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "subscription.change"))
    again = importing.import_file(session, clock, actor, path)
    assert (again.changes, _count(session, ChangeOrder)) == (0, 1)


def test_a_bad_change_line_names_its_line_field_and_reason(session, clock, actor, catalogue,
                                                          tmp_path):
    bad = CHANGE_YAML.replace("{action: add, offer: centrex_user, quantity: 2}",
                              "{action: remove, offer: centrex_user, quantity: 11}")
    path = tmp_path / "changes.yaml"
    path.write_text(bad, encoding="utf-8")
    problems = _refused_problems(session, clock, actor, path)
    assert problems == [(20, "changes.lines.quantity",
                         "11 is more than the 10 user in force")]
    path.write_text(bad.replace("action: remove", "action: grow"), encoding="utf-8")
    assert _refused_problems(session, clock, actor, path) == [
        (20, "changes.lines.action",
         "'grow' is not one of add, remove, option_add, option_remove, offer")]
    path.write_text(CHANGE_YAML.replace("on: 2025-01-31", "on: 2025-02-30"), encoding="utf-8")
    assert _refused_problems(session, clock, actor, path) == [
        (16, "changes.on", "'2025-02-30' is not a date (YYYY-MM-DD)")]


def test_csv_change_columns_make_one_change_order_per_reference(session, clock, actor, catalogue,
                                                                 tmp_path):
    """CGV art. 7.4 L206-212 (any change re-commits the whole service): an SDA block added to a
    SIP trunk named by its service identifier."""
    from clausier.contracts.models import ChangeOrder

    path = tmp_path / "export.csv"
    path.write_text(
        "customer_external_ref,operator,kind,name,siren,site_name,order_external_ref,signed_on,"
        "offer,quantity,go_live_on,service_identifier,change_external_ref,change_subscription,"
        "change_on,change_action,change_offer,change_quantity\n"
        "C1,technicophone,company,Cave Roux,834567893,Cave,O1,2024-05-02,sip_trunk_10,1,"
        "2024-06-03,0247000009,,,,,,\n"
        "C1,technicophone,company,Cave Roux,834567893,Cave,,,,,,,CH1,0247000009,2025-03-03,"
        "option_add,sip_sda_block_10,\n", encoding="utf-8")
    result = importing.import_file(session, clock, actor, path)
    assert (result.subscriptions, result.changes) == (1, 1)
    order = session.scalar(select(ChangeOrder))
    assert order.changes == [{"action": "option_add", "offer": "sip_sda_block_10", "quantity": 1}]
    assert order.quote["commitment_end"] == "2028-03-02"
