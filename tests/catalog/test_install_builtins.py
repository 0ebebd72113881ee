"""A fresh database is ready to use: the built-in term sheets, operators and price lists are
installed by ``clausier db upgrade`` (``install_builtins``), once, and an import follows."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from clausier.audit.models import AuditEntry
from clausier.catalog import service
from clausier.catalog.models import EquipmentKind, Offer, Operator
from clausier.cli.main import app
from clausier.contracts import importing
from clausier.contracts.models import Subscription
from clausier.core.errors import NotFound
from clausier.customers.models import Customer
from clausier.db.session import engine_for, transaction
from clausier.terms import service as terms
from clausier.terms.models import TermSheetVersion

IMPORT_FILE = Path(__file__).parent / "fixtures" / "import_three_operators.yaml"


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _counts(session) -> tuple[int, ...]:
    return tuple(_count(session, model) for model in (TermSheetVersion, Operator, Offer,
                                                      EquipmentKind, AuditEntry))


def _shipped(entries: str) -> int:
    return sum(len(getattr(service.read_catalog_file(path), entries))
               for path in service.built_in_paths())


def _subscriptions(session) -> dict[str, tuple]:
    """Offer code -> (customer's old reference, status, signed on, sheet and version)."""
    rows = session.execute(select(Subscription, Customer.external_ref).join(
        Customer, Subscription.customer_id == Customer.id))
    return {sub.items[0].offer_code: (ref, sub.status, sub.signed_on, sub.sheet_id,
                                      sub.sheet_version) for sub, ref in rows}


def test_an_import_of_the_three_operators_works_once_the_builtins_are_installed(
        session, clock, actor):
    service.install_builtins(session, clock, actor)
    result = importing.import_file(session, clock, actor, IMPORT_FILE)
    assert (result.customers, result.orders, result.subscriptions) == (3, 3, 4)
    assert dict(session.execute(select(Customer.external_ref, Customer.ref)).all()) == {
        "OLD-TEC-1": "TEC-000001", "OLD-OZO-1": "OZO-000001", "OLD-ROZ-1": "ROZ-000001"}
    # Each order is bound to v1 of its operator's sheet, in force on the signature date.
    assert _subscriptions(session) == {
        "vga_analogue_line": ("OLD-TEC-1", "active", date(2023, 7, 3), "technicophone", 1),
        "preselection_line": ("OLD-TEC-1", "active", date(2023, 7, 3), "technicophone", 1),
        "radio_wifi_10m": ("OLD-OZO-1", "active", date(2019, 6, 12), "ozone", 1),
        "intercom_pack_50": ("OLD-ROZ-1", "ordered", date(2012, 3, 5), "rozoh", 1),
    }


def test_installing_twice_changes_nothing(session, clock, actor):
    first = service.install_builtins(session, clock, actor)
    counts = _counts(session)
    second = service.install_builtins(session, clock, actor)
    assert first.sheets == second.sheets == ["ozone v1", "rozoh v1", "technicophone v1"]
    assert first.operators == ["ozone", "rozoh", "technicophone"]
    assert (first.sheets_added, first.added["operator"], first.added["offer"],
            first.added["equipment_kind"]) == (3, 3, _shipped("offers"), _shipped("equipment"))
    assert (second.changed, second.sheets_added, second.added) == (False, 0, {})
    assert _counts(session) == counts


def test_a_sheet_is_in_force_from_the_date_its_terms_give_not_from_the_day_it_is_loaded(
        session, clock, actor):
    service.install_builtins(session, clock, actor)
    assert clock.today() == date(2026, 11, 24)
    valid_from = {v.sheet_id: v.valid_from for v in terms.list_versions(session)}
    assert valid_from == {
        "technicophone": date(2023, 7, 1),   # "Version 01.07.2023" (the seed's version stamp)
        "ozone": date(2019, 6, 10),          # "Applicables au 10/06/2019" (Couverture L7)
        "rozoh": date(2010, 1, 1),           # reading ROZ-VALID-FROM: every pack on record
    }
    assert terms.version_in_force(session, "technicophone", date(2023, 7, 1)).version == 1
    with pytest.raises(NotFound, match=r"in force on 2023-06-30 \(the earliest loaded, v1, "
                                       r"applies from 2023-07-01: load the terms in force"):
        terms.version_in_force(session, "technicophone", date(2023, 6, 30))


def test_a_price_changed_in_the_back_office_survives_another_install(session, clock, actor):
    service.install_builtins(session, clock, actor)
    fibre = service.get_offer(session, "ozone", "fibre_1g")
    service.update_offer(session, clock, actor, fibre.id, monthly_fee="46.90")
    audits = _count(session, AuditEntry)
    service.install_builtins(session, clock, actor)
    assert service.get_offer(session, "ozone", "fibre_1g").monthly_fee == Decimal("46.90")
    assert _count(session, AuditEntry) == audits


def test_db_upgrade_of_a_new_sqlite_file_then_import(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    runner = CliRunner(env={"CLAUSIER_DATABASE_URL": url, "CLAUSIER_DATA_DIR": str(tmp_path)})
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "Term sheets: ozone v1, rozoh v1, technicophone v1 (3 new)" in upgraded.output
    imported = runner.invoke(app, ["import", str(IMPORT_FILE), "--json"])
    assert imported.exit_code == 0, imported.output
    summary = json.loads(imported.output)
    assert (summary["customers"], summary["subscriptions"], summary["problems"]) == (3, 4, [])
    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert "(0 new)" in again.output and "(nothing new)" in again.output
    with transaction(engine_for(url)) as session:
        assert _count(session, TermSheetVersion) == 3
        assert _count(session, Subscription) == 4
    engine_for(url).dispose()


def test_db_upgrade_installs_the_builtins_in_the_configured_database(clean_engine, db_url):
    runner = CliRunner(env={"CLAUSIER_DATABASE_URL": db_url})
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    imported = runner.invoke(app, ["import", str(IMPORT_FILE), "--json"])
    assert imported.exit_code == 0, imported.output
    with transaction(clean_engine) as session:
        assert _subscriptions(session)["intercom_pack_50"][:2] == ("OLD-ROZ-1", "ordered")
