"""``clausier import`` keeps the references the file gives and where the old system stopped
billing (issue 18 §7 and §8, docs/IMPORT.md).

The billing expectations are read from Technicophone's terms (seed 001): monthly fees are paid
monthly in advance, "à terme à échoir" (CGV art. 10.2, L360-362; CP I §7.2, L1669-1670),
billed from the go-live of each service (CP I §7.2, L1676-1677), the first invoice of a service
carrying its set-up fees (L1678-1679).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from clausier.billing.runs import service as billing_runs
from clausier.billing.models import Invoice
from clausier.catalog import service as catalog
from clausier.cli.main import app as cli
from clausier.contracts import importing
from clausier.contracts.models import Subscription
from clausier.core.errors import InvalidInput
from clausier.customers.models import Customer
from clausier.terms import service as terms

D = Decimal

FILE = """customers:
  - external_ref: {external_ref}
{ref_line}    operator: technicophone
    kind: company
    name: Cave Roux
    siren: "834567893"
    sites:
      - {{name: Cave, postcode: "37000", city: Tours, central: true}}
    orders:
      - external_ref: {order_ref}
        signed_on: 2024-03-01
        go_live_on: 2024-04-02
        lines:
          - {{site: Cave, offer: vga_analogue_line, quantity: 1, monthly_fee: "18.00",
             access_fee: "90.00"{extra}}}
"""
# Lines of FILE (with a customer reference) where problems are reported.
CUSTOMER_LINE, ORDER_LINE, ENTRY_LINE = 2, 11, 15


def write(tmp_path, name="old.yaml", external_ref="OLD-0042", customer_ref="CLI-0042",
          order_ref="OLD-ORD-7", subscription_ref="LIGNE-0247000001", billed_until="2026-09-30"):
    """An old system's export; an empty value leaves its key out."""
    extra = "".join(f", {key}: {value}" for key, value in (("subscription_ref", subscription_ref),
                                                             ("billed_until", billed_until)) if value)
    path = tmp_path / name
    path.write_text(FILE.format(external_ref=external_ref, order_ref=order_ref, extra=extra,
                                ref_line=f"    ref: {customer_ref}\n" if customer_ref else ""),
                    encoding="utf-8")
    return path


@pytest.fixture
def catalogue(session, clock, actor):
    terms.load_built_in_sheets(session, clock, actor)
    catalog.load_built_in_catalogs(session, clock, actor)


def _problems(session, clock, actor, path) -> list[tuple]:
    before = session.scalar(select(func.count()).select_from(Customer))
    with pytest.raises(InvalidInput) as caught:
        importing.import_file(session, clock, actor, path)
    assert session.scalar(select(func.count()).select_from(Customer)) == before
    return [(p.line, p.field, p.reason) for p in caught.value.problems]


# --------------------------------------------------------------------------- references (§7)


def test_the_references_of_the_file_are_kept_and_the_report_maps_them(session, clock, actor,
                                                                       catalogue, tmp_path):
    path = write(tmp_path)
    result = importing.import_file(session, clock, actor, path)
    customer = session.scalar(select(Customer))
    subscription = session.scalar(select(Subscription))
    assert (customer.ref, customer.external_ref) == ("CLI-0042", "OLD-0042")
    assert subscription.ref == "LIGNE-0247000001"
    # The order had no Clausier reference in the file: it gets the next one of the operator.
    assert [m.as_dict() for m in result.references] == [
        {"kind": "customer", "external_ref": "OLD-0042", "ref": "CLI-0042", "subscriptions": [],
         "already_imported": False},
        {"kind": "order", "external_ref": "OLD-ORD-7", "ref": "TEC-O000001",
         "subscriptions": ["LIGNE-0247000001"], "already_imported": False}]
    again = importing.import_file(session, clock, actor, path)
    assert [(m.external_ref, m.ref, m.subscriptions, m.already_imported) for m in again.references] == [
        ("OLD-0042", "CLI-0042", (), True), ("OLD-ORD-7", "TEC-O000001", ("LIGNE-0247000001",), True)]


def test_a_reference_already_taken_is_refused_naming_the_field(session, clock, actor, catalogue,
                                                                tmp_path):
    importing.import_file(session, clock, actor, write(tmp_path))
    # Another customer of the old system given the same customer number.
    assert _problems(session, clock, actor, write(tmp_path, "b.yaml", external_ref="OLD-0043")) == [
        (CUSTOMER_LINE, "ref", "technicophone already has a customer CLI-0042")]
    # The same subscription number for a new order of another customer.
    other = write(tmp_path, "c.yaml", external_ref="OLD-0044", customer_ref="CLI-0044",
                  order_ref="OLD-ORD-8")
    assert _problems(session, clock, actor, other) == [
        (ORDER_LINE, "lines.subscription_ref", "technicophone already has a subscription LIGNE-0247000001")]
    bad = write(tmp_path, "d.yaml", external_ref="OLD-0045", customer_ref="'CLI 45'")
    assert _problems(session, clock, actor, bad) == [
        (CUSTOMER_LINE, "ref", "'CLI 45' must be letters, digits, '-', '_', '.', '/' (at most 40)")]
    # Re-importing the customer under another number is refused rather than ignored.
    renamed = write(tmp_path, "e.yaml", customer_ref="CLI-9999")
    assert _problems(session, clock, actor, renamed) == [
        (CUSTOMER_LINE, "ref", "customer OLD-0042 was already imported as CLI-0042, not CLI-9999")]


def test_two_references_for_one_subscription_are_refused(session, clock, actor, catalogue,
                                                         tmp_path):
    path = write(tmp_path)
    text = path.read_text(encoding="utf-8")
    # A second line of the same site and family (VGA) is part of the same subscription.
    path.write_text(text + "          - {site: Cave, offer: vga_isdn_t0, subscription_ref: LIGNE-2}\n",
                    encoding="utf-8")
    [(_, field, reason)] = _problems(session, clock, actor, path)
    assert field == "lines.subscription_ref"
    assert reason == ("the lines vga_analogue_line, vga_isdn_t0 make one subscription (same site "
                      "and service family) but give it 2 references: LIGNE-0247000001, LIGNE-2")


def test_generated_references_skip_a_number_an_import_took(session, clock, actor, catalogue,
                                                           tmp_path):
    importing.import_file(session, clock, actor, write(tmp_path, subscription_ref="TEC-S000002"))
    importing.import_file(session, clock, actor, write(
        tmp_path, "b.yaml", external_ref="OLD-0043", customer_ref="", order_ref="OLD-ORD-8",
        subscription_ref=""))
    assert list(session.scalars(select(Subscription.ref).order_by(Subscription.id))) == [
        "TEC-S000002", "TEC-S000003"]
    # The customer without a number in the file gets the operator's next one.
    assert session.scalar(select(Customer.ref).where(Customer.external_ref == "OLD-0043")) == \
        "TEC-000001"


# --------------------------------------------------------------------------- billed_until (§8)


def _recurring(session) -> list[tuple]:
    invoice = session.scalar(select(Invoice))
    return [(line.kind, line.label, line.amount, line.period_start, line.period_end)
            for line in invoice.lines]


def test_a_bill_run_bills_from_the_day_after_billed_until(session, clock, actor, catalogue,
                                                          tmp_path):
    """The old system billed up to 30 September 2026. The run of November 2026 bills November
    in advance (CGV art. 10.2 L360-362) and October, which nobody billed, as arrears: a line of
    its own with its period. The set-up fee went on the old system's first invoice (CP I §7.2
    L1678-1679): not again."""
    importing.import_file(session, clock, actor, write(tmp_path))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    assert _recurring(session) == [
        ("recurring", "Analogue line (VGA) — 2026-10 (arrears)", D("18.00"),
         date(2026, 10, 1), date(2026, 10, 31)),
        ("recurring", "Analogue line (VGA) — 2026-11", D("18.00"),
         date(2026, 11, 1), date(2026, 11, 30))]
    invoice = session.scalar(select(Invoice))
    assert invoice.lines[0].explanation["lines"][0]["clause"] == "CP I §7.2 (L1669-1670)"
    assert invoice.total_ht == D("36.00")


def test_without_billed_until_each_month_since_go_live_is_a_line_of_its_own(
        session, clock, actor, catalogue, tmp_path):
    """Go-live 2 April 2024, first bill run November 2026: the 31 whole months from May 2024 to
    November 2026 at 18.00 € are 558.00 € (the amount of issue 18's single line), now one line
    per month; April 2024, the started month, has its own line (CP I §7.2 L1676-1679), and the
    set-up fee of 90.00 € is on this first invoice (L1678-1679)."""
    importing.import_file(session, clock, actor, write(tmp_path, billed_until=""))
    billing_runs.bill_period(session, clock, actor, "2026-11", "technicophone")
    lines = _recurring(session)
    recurring = [line for line in lines if line[0] == "recurring"]
    assert len(recurring) == 32                            # April 2024 to November 2026
    assert all(start.month == end.month and start.year == end.year
               for _, _, _, start, end in recurring)
    whole = [line for line in recurring if line[3] >= date(2024, 5, 1)]
    assert len(whole) == 31 and sum(line[2] for line in whole) == D("558.00")
    assert all(line[1].endswith("(arrears)") for line in whole[:-1])
    assert whole[-1][1] == "Analogue line (VGA) — 2026-11"
    assert D("90.00") in [line[2] for line in lines if line[0] != "recurring"]


def test_billed_until_must_end_a_month_and_follow_the_signature(session, clock, actor, catalogue,
                                                               tmp_path):
    assert _problems(session, clock, actor, write(tmp_path, billed_until="2026-09-15")) == [
        (ENTRY_LINE, "lines.billed_until",
         "2026-09-15 is not the last day of a month (bill runs bill whole calendar months)")]
    assert _problems(session, clock, actor, write(tmp_path, billed_until="2024-02-29")) == [
        (ENTRY_LINE, "lines.billed_until", "2024-02-29 is before the signature 2024-03-01")]
    assert _problems(session, clock, actor, write(tmp_path, billed_until="30/09/2026")) == [
        (ENTRY_LINE, "lines.billed_until", "'30/09/2026' is not a date (YYYY-MM-DD)")]


def test_csv_columns_set_the_references_and_billed_until(session, clock, actor, catalogue, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "customer_external_ref,customer_ref,operator,kind,name,siren,site_name,site_postcode,"
        "order_external_ref,signed_on,go_live_on,offer,monthly_fee,subscription_ref,billed_until\n"
        "C1,CLI-7,technicophone,company,Cave Roux,834567893,Cave,37000,O1,2024-03-01,2024-04-02,"
        "vga_analogue_line,18.00,LIGNE-7,2026-10-31\n", encoding="utf-8")
    result = importing.import_file(session, clock, actor, path)
    assert [(m.external_ref, m.ref, m.subscriptions) for m in result.references] == [
        ("C1", "CLI-7", ()), ("O1", "TEC-O000001", ("LIGNE-7",))]
    assert session.scalar(select(Subscription.billed_until)) == date(2026, 10, 31)


# --------------------------------------------------------------------------- the CLI, end to end


def test_cli_import_on_a_fresh_database_then_the_first_bill_run(clean_engine, db_url, tmp_path):
    runner = CliRunner(env={"CLAUSIER_DATABASE_URL": db_url, "COLUMNS": "160"})
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    path = write(tmp_path)
    done = runner.invoke(cli, ["import", str(path)])
    assert done.exit_code == 0, done.output
    assert "OLD-0042" in done.output and "CLI-0042" in done.output
    assert "OLD-ORD-7" in done.output and "LIGNE-0247000001" in done.output
    again = runner.invoke(cli, ["import", str(path), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["references"] == [
        {"kind": "customer", "external_ref": "OLD-0042", "ref": "CLI-0042", "subscriptions": [],
         "already_imported": True},
        {"kind": "order", "external_ref": "OLD-ORD-7", "ref": "TEC-O000001",
         "subscriptions": ["LIGNE-0247000001"], "already_imported": True}]
    duplicate = runner.invoke(cli, ["import", str(write(tmp_path, "b.yaml", external_ref="OLD-0043"))])
    assert duplicate.exit_code == 2
    assert "technicophone already has a customer CLI-0042" in duplicate.output
    run = runner.invoke(cli, ["billrun", "--period", "2026-11", "--operator", "technicophone",
                              "--today", "2026-11-24", "--json"])
    assert run.exit_code == 0, run.output
    [report] = json.loads(run.output)
    assert report["invoices"] == 1 and report["total_ht"] == "36.00"
    number = report["first_number"]
    shown = json.loads(runner.invoke(cli, ["invoice", "show", number, "--json"]).output)
    assert [(line["label"], line["amount"]) for line in shown["lines"]] == [
        ("Analogue line (VGA) — 2026-10 (arrears)", "18.00"),
        ("Analogue line (VGA) — 2026-11", "18.00")]
