"""``clausier terms lint``: schema errors name the path, bands, references, readings, seed lines."""

from __future__ import annotations

import pytest
from tests.terms.sheets import MINI, document, internet_bands, write
from typer.testing import CliRunner

from clausier.cli.main import app
from clausier.terms.lint import lint_path, lint_text
from clausier.terms.loader import load_sheet

BANDS = "families.internet.service_levels.availability.bands"


def _problems(tmp_path, doc, seeds=None) -> list[str]:
    return [str(p) for p in lint_path(write(tmp_path, doc), seeds)]


def test_the_test_sheet_is_clean_against_its_seed(seeds_folder):
    assert lint_path(MINI, seeds_folder) == []


def test_a_value_without_src_names_its_path(tmp_path):
    doc = document()
    del doc["general"]["commitment"]["initial_months"]["src"]
    assert _problems(tmp_path, doc) == [
        "general.commitment.initial_months.src: value without a source: "
        "add src 'ARTICLE Lfirst-last' or 'reading:ID'"]


def test_a_src_in_a_bad_format_names_its_path_and_the_expected_form(tmp_path):
    doc = document()
    doc["general"]["notice"]["months_before_term"]["src"] = "CGV art. 7.3"   # no line range
    [problem] = _problems(tmp_path, doc)
    assert problem.startswith("general.notice.months_before_term.src: ")
    assert "'CGV art. 7.3' is not a source: write 'ARTICLE Lfirst-last'" in problem


def test_overlapping_availability_bands_fail_with_both_bands_named(tmp_path):
    # CP III §4.1.3 (seed 001 L2621-2623) as written: 99.5 % is in both the 3 % and 5 % rows.
    doc = document()
    bands = internet_bands(doc)
    bands[0].update(lower="99.5", lower_inclusive=True, upper_inclusive=True)
    bands[1].update(upper_inclusive=True)
    assert _problems(tmp_path, doc) == [
        f"{BANDS}: bands [97, 99.5]→5% and [99.5, 99.85]→3% overlap"]


def test_gapped_bands_fail(tmp_path):
    doc = document()
    internet_bands(doc)[1]["upper_inclusive"] = False      # 99.5 itself now belongs to no band
    assert _problems(tmp_path, doc) == [
        f"{BANDS}: gap between bands [97, 99.5)→5% and (99.5, 99.85)→3%"]


def test_an_empty_band_fails(tmp_path):
    doc = document()
    penalty = doc["families"]["vga"]["service_levels"]["restoration"]["penalty_bands"]
    penalty[0]["upper"] = 6     # (6, 6] holds nothing
    problems = _problems(tmp_path, doc)
    assert ("families.vga.service_levels.restoration.penalty_bands: band (6, 6]→2% is empty"
            in problems)


def test_an_unknown_same_as_section(tmp_path):
    doc = document()
    doc["families"]["preselection"]["same_as"] = "voice"
    assert _problems(tmp_path, doc) == [
        "families.preselection.same_as: refers to unknown section 'voice'"]


def test_families_that_inherit_in_a_circle(tmp_path):
    doc = document()
    doc["families"]["vga"]["same_as"] = "preselection"
    problems = _problems(tmp_path, doc)
    assert len(problems) == 2
    assert all("inherit in a circle" in p for p in problems)


def test_an_unknown_reading(tmp_path):
    doc = document()
    doc["families"]["vga"]["billing"]["first_period"]["src"] = "reading:T-PRORATA-2"
    # T-PRORATA, no longer cited by the value it settled, is then applied by no rule either.
    assert _problems(tmp_path, doc) == [
        "families.vga.billing.first_period.src: refers to unknown reading T-PRORATA-2",
        "readings.1: reading T-PRORATA is applied by no rule: cite it in the src of the value "
        "it settles, or name the rules that apply it (applied_by)"]


def test_a_value_sourced_by_a_reading_cites_the_clause_it_applies(tmp_path):
    # T-PRORATA quotes CP I §7.2 first: the prorata value cites it, then the reading.
    from clausier.terms.loader import load_sheet
    sheet = load_sheet(write(tmp_path, document()))
    first_period = sheet.terms_for("vga").billing.first_period
    assert first_period.clause.startswith("CP I §7.2 (L")
    assert first_period.clause.endswith(", reading T-PRORATA")


def test_a_reading_that_quotes_no_seed_text_cannot_be_cited_alone(tmp_path):
    doc = document()
    doc["readings"][1]["texts"] = [{"src": "reading:T-PRORATA", "says": "nothing to open"}]
    problems = _problems(tmp_path, doc)
    assert "families.vga.billing.first_period.src: reading T-PRORATA cites no clause: give it " \
           "'applies' or quote a text with its seed lines" in problems


def test_no_built_in_value_cites_a_reading_alone():
    # Issue "Terms applied exactly" §6: every explained line names an article and seed lines.
    from clausier.terms.lint import _sources
    from clausier.terms.loader import built_in_sheets
    bare = [(sheet.id, path) for sheet in built_in_sheets() for path, ref in _sources(sheet)
            if not ref.article]
    assert bare == []


def test_an_unresolved_contradiction(tmp_path):
    doc = document()
    doc["readings"][1]["chosen"] = None       # T-PRORATA, CP I §7.2 vs §12
    assert _problems(tmp_path, doc) == [
        "readings.1.chosen: contradiction T-PRORATA is unresolved: record the reading applied"]


def test_a_gap_needs_no_second_text(tmp_path):
    doc = document()
    assert doc["readings"][3]["kind"] == "gap" and len(doc["readings"][3]["texts"]) == 1
    assert _problems(tmp_path, doc) == []


def test_a_line_range_beyond_the_end_of_the_seed(tmp_path, seeds_folder):
    doc = document()
    doc["general"]["notice"]["months_before_term"]["src"] = "CGV art. 7.3 L201-20400"
    # The seed has 10 683 newlines and a last line without one: 10 684 lines to cite.
    assert _problems(tmp_path, doc, seeds_folder) == [
        "general.notice.months_before_term.src: line L20400 is beyond the end of "
        "001_742b69a7556570e9.txt (10684 lines)"]
    assert _problems(tmp_path, doc) == []       # without the seeds, nothing to compare with


def test_a_yaml_syntax_error_names_the_line():
    [problem] = lint_text("id: x\nversion: [1\n", origin="sent.yaml")
    assert problem.field == "sent.yaml" and problem.reason == "not valid YAML"
    assert problem.line == 3


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_cli_lint_exits_1_on_overlapping_availability_bands(tmp_path, runner):
    doc = document()
    internet_bands(doc)[0].update(lower="99.5", lower_inclusive=True)
    result = runner.invoke(app, ["terms", "lint", str(write(tmp_path, doc))])
    assert result.exit_code == 1
    assert "overlap" in result.output


def test_cli_lint_exits_0_on_a_clean_sheet(runner, seeds_folder):
    result = runner.invoke(app, ["terms", "lint", str(MINI), "--seeds", str(seeds_folder)])
    assert result.exit_code == 0, result.output
    assert "✓" in result.output


def test_a_reading_no_rule_applies_fails(tmp_path):
    """Issue 18 §1: a reading recorded and then read by no rule is a decision the product ignores."""
    doc = document()
    doc["readings"][3].pop("applied_by")          # T-OFFNET settles no value of the sheet
    assert _problems(tmp_path, doc) == [
        "readings.3: reading T-OFFNET is applied by no rule: cite it in the src of the value it "
        "settles, or name the rules that apply it (applied_by)"]


def test_a_reading_naming_a_rule_that_does_not_exist_fails(tmp_path):
    doc = document()
    doc["readings"][3]["applied_by"] = ["rating.rules.no_such_rule"]
    assert _problems(tmp_path, doc) == [
        "readings.3.applied_by: T-OFFNET names rating.rules.no_such_rule, which is no function "
        "of the rules",
        "readings.3: reading T-OFFNET is applied by no rule: cite it in the src of the value it "
        "settles, or name the rules that apply it (applied_by)"]


# Issue 20 §6: the usage and privacy blocks are a closed vocabulary. CP I §3 L1250-1253 sells SDA
# numbers "par tranche de dix (10)"; Annexe 1 A.2.a L10364-10365 has the processor keep a register.
SDA_BLOCK = {"value": 10, "src": "CP I §3 L1250-1253"}
REGISTER_KEPT = {"value": True, "src": "Annexe 1 A.2.a L10364-10365"}


def test_a_usage_figure_under_its_name_is_read_by_that_name(tmp_path):
    doc = document()
    doc["families"]["vga"]["usage"] = {"figures": {"sda_block_size": SDA_BLOCK}}
    assert _problems(tmp_path, doc) == []
    figure = load_sheet(write(tmp_path, doc)).terms_for("vga").usage.figures.sda_block_size
    assert (figure.value, figure.clause) == (10, "CP I §3 (L1250-1253)")


def test_a_misspelt_usage_figure_is_refused_naming_its_path_and_the_field_meant(tmp_path):
    doc = document()
    doc["families"]["vga"]["usage"] = {"figures": {"sda_blocks_size": SDA_BLOCK}}
    assert _problems(tmp_path, doc) == [
        "families.vga.usage.figures.sda_blocks_size: no such field in this block: "
        "did you mean sda_block_size?"]


def test_a_usage_value_under_the_wrong_kind_is_refused(tmp_path):
    """A figure written among the flags is no flag: the lists of names are per kind."""
    doc = document()
    doc["families"]["vga"]["usage"] = {"flags": {"sda_block_size": SDA_BLOCK}}
    assert _problems(tmp_path, doc) == [
        "families.vga.usage.flags.sda_block_size: no such field in this block"]


def test_a_misspelt_privacy_flag_is_refused(tmp_path):
    doc = document()
    doc["general"]["privacy"] = {"flags": {"processing_registry_kept": REGISTER_KEPT}}
    assert _problems(tmp_path, doc) == [
        "general.privacy.flags.processing_registry_kept: no such field in this block: "
        "did you mean processing_register_kept?"]


def test_cli_lint_names_a_misspelt_key(tmp_path, runner):
    doc = document()
    doc["general"]["privacy"] = {"flag": {"processing_register_kept": REGISTER_KEPT}}
    result = runner.invoke(app, ["terms", "lint", str(write(tmp_path, doc))])
    assert result.exit_code == 1
    assert "general.privacy.flag: no such field in this block: did you mean flags?" in result.output
