"""Storing sheet versions, picking the one in force, merging a family's terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.terms.sheets import MINI, document, write
from sqlalchemy import func, select
from typer.testing import CliRunner

from clausier.audit.models import AuditEntry
from clausier.cli.main import app
from clausier.core.errors import Conflict, InvalidInput, NotFound
from clausier.terms import service
from clausier.terms.loader import load_sheet
from clausier.terms.models import TermSheetVersion
from clausier.terms.schema import Proration, StartEvent


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_loading_the_same_sheet_twice_changes_nothing(session, clock, actor):
    first = service.load_sheet_file(session, clock, actor, MINI)
    again = service.load_sheet_file(session, clock, actor, MINI)
    assert again.id == first.id
    assert _count(session, TermSheetVersion) == 1
    assert session.scalars(select(AuditEntry.action)).all() == ["terms.load"]


def test_other_content_under_a_loaded_version_is_refused(session, clock, actor, tmp_path):
    service.load_sheet_file(session, clock, actor, MINI)
    doc = document()
    doc["general"]["notice"]["months_before_term"]["value"] = 1
    with pytest.raises(Conflict, match="techni-mini v1 is already loaded with other content"):
        service.load_sheet_file(session, clock, actor, write(tmp_path, doc))


def test_a_sheet_that_does_not_lint_is_not_loaded(session, clock, actor, tmp_path):
    doc = document()
    doc["readings"][0]["chosen"] = None
    with pytest.raises(InvalidInput, match="does not lint clean") as refused:
        service.load_sheet_file(session, clock, actor, write(tmp_path, doc))
    assert refused.value.problems[0].field == "readings.0.chosen"
    assert _count(session, TermSheetVersion) == 0


def _load_versions(session, clock, actor, tmp_path):
    """v1 valid from 1 July 2023 (the seed's version stamp), v2 from 1 January 2025."""
    service.load_sheet_file(session, clock, actor, MINI)
    doc = document()
    doc.update(version=2, valid_from=date(2025, 1, 1))
    doc["general"]["notice"]["months_before_term"]["value"] = 2
    service.load_sheet_file(session, clock, actor, write(tmp_path, doc, "v2.yaml"))


def test_version_in_force_is_the_latest_valid_on_the_date(session, clock, actor, tmp_path):
    _load_versions(session, clock, actor, tmp_path)
    assert service.version_in_force(session, "techni-mini", date(2024, 12, 31)).version == 1
    assert service.version_in_force(session, "techni-mini", date(2025, 1, 1)).version == 2
    assert service.version_in_force(session, "techni-mini", date(2026, 11, 24)).version == 2
    with pytest.raises(NotFound, match="no version of 'techni-mini' was in force on 2023-06-30 "
                                       r"\(the earliest loaded, v1, applies from 2023-07-01: load "
                                       "the terms in force before it with 'clausier terms load"):
        service.version_in_force(session, "techni-mini", date(2023, 6, 30))


def test_no_version_in_force_of_a_sheet_never_loaded_says_how_to_load_it(session):
    with pytest.raises(NotFound, match="no version of 'technicophone' was in force on 2024-03-01 "
                                       r"\(none is loaded: run 'clausier db upgrade'"):
        service.version_in_force(session, "technicophone", date(2024, 3, 1))


def test_get_sheet_gives_the_latest_version_unless_asked(session, clock, actor, tmp_path):
    _load_versions(session, clock, actor, tmp_path)
    assert service.get_sheet(session, "techni-mini").version == 2
    old = service.get_sheet(session, "techni-mini", 1)
    assert old.general.notice.months_before_term.value == 3      # CGV art. 7.3 L201-204
    with pytest.raises(NotFound):
        service.get_sheet(session, "techni-mini", 3)


def test_terms_for_merges_general_then_same_as_then_family_field_by_field():
    sheet = load_sheet(MINI)
    presel = sheet.terms_for("preselection")
    # general (CGV art. 7.1 L190-194) kept where vga says nothing about it
    assert presel.commitment.initial_months.value == 36
    assert presel.commitment.initial_months.clause == "CGV art. 7.1 (L190-194)"
    # from vga through same_as (CP I §6 L1605-1609, CP I §7.2 / reading T-PRORATA)
    assert presel.commitment.start_event.value == StartEvent.go_live_per_access_link
    assert presel.billing.first_period.value == Proration.prorata
    assert presel.billing.first_period.src.reading == "T-PRORATA"
    # its own: best efforts only (CP II L1981-1983), vga's restoration guarantee removed
    assert presel.service_levels.no_service_level.value is True
    assert presel.service_levels.restoration is None
    # general renewal stays for every family
    assert presel.renewal.period_months.value == 12


def test_terms_for_a_family_overrides_only_what_it_states():
    sheet = load_sheet(MINI)
    vga = sheet.terms_for("vga")
    bands = vga.service_levels.restoration.penalty_bands          # CP I §5.2 L1454-1458
    assert [(b.lower, b.upper, b.percent) for b in bands] == [
        (6, 8, 2), (8, 12, 5), (12, None, 10)]
    assert vga.service_levels.restoration.cap_percent.value == Decimal(10)   # CP I §5.4
    internet = sheet.terms_for("internet")
    assert internet.service_levels.availability.objective_percent.value == Decimal("99.85")
    assert internet.commitment == sheet.general.commitment
    assert internet.billing is None


def test_a_stored_sheet_merges_families_as_the_file_does(session, clock, actor):
    service.load_sheet_file(session, clock, actor, MINI)
    for family in ("vga", "preselection", "internet"):
        assert service.family_terms(session, "techni-mini", family) == load_sheet(MINI).terms_for(
            family)


def test_family_terms_of_an_unknown_family_is_not_found(session, clock, actor):
    service.load_sheet_file(session, clock, actor, MINI)
    with pytest.raises(NotFound, match="has no family 'voice' .it has internet, preselection, vga"):
        service.family_terms(session, "techni-mini", "voice")


def test_cli_load_is_idempotent_and_refuses_changed_content(
        clean_engine, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    runner = CliRunner()
    assert runner.invoke(app, ["terms", "load", str(MINI)]).exit_code == 0
    again = runner.invoke(app, ["terms", "load", str(MINI)])
    assert again.exit_code == 0 and "Loaded techni-mini v1" in again.output
    doc = document()
    doc["title"] = "Changed"
    changed = runner.invoke(app, ["terms", "load", str(write(tmp_path, doc))])
    assert changed.exit_code == 2
    assert "already loaded with other content" in changed.output
    listed = runner.invoke(app, ["terms", "list", "--json"])
    assert '"version": 1' in listed.output and '"readings": 4' in listed.output


def test_a_built_in_sheet_changed_since_the_database_was_made_says_what_to_do(session, clock,
                                                                              actor):
    """Versions are immutable: a database holding another content under a built-in sheet's
    version refuses the release's one, and the message says how to recover a demo database."""
    [first, *_] = service.load_built_in_sheets(session, clock, actor)
    first.digest = "an earlier release"
    session.flush()
    with pytest.raises(Conflict, match="rm -rf var, then make run") as refused:
        service.load_built_in_sheets(session, clock, actor)
    assert f"{first.sheet_id} v{first.version} is already loaded with other content" in str(
        refused.value.message)
