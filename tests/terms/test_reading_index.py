"""Issue 18 §1: each reading names the rules that apply it (``terms.readings.reading_index``),
``terms lint`` fails on a reading no rule applies, and each (reading, rule) pair of the delays is
proved by a scenario row that asserts a date read from the seed (``scenarios/*.yaml``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from clausier.terms.loader import built_in_sheets
from clausier.terms.readings import names_read_by_rules, reading_index, unknown_rules

SHEETS = {sheet.id: sheet for sheet in built_in_sheets()}
TABLES = [yaml.safe_load(path.read_text(encoding="utf-8"))
          for path in sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))]

# The pure rule each scenario rule of ``test_delays.py`` runs.
SCENARIO_RULES = {
    "invoice_due_date": "billing.invoices.rules.due_date",
    "dispute_deadline": "payments.rules.dispute_admissible",
    "dispute_admissible": "payments.rules.dispute_admissible",
    "set_off_allowed_from": "payments.rules.set_off",
    "price_change_earliest": "billing.ledger.rules.price_change_notice",
    "price_change_deemed_accepted_after": "billing.ledger.rules.price_change_notice",
    "withdrawal_deadline": "contracts.rules.withdrawal",
    "termination_effective": "contracts.rules.quote_termination",
    "routing_last_day": "contracts.rules.preselection_elsewhere",
    "tariff_change_effective": "rating.sva.rules.tariff_change_effective",
    "claim_standing": "rating.sva.rules.payout_claim_standing",
    "deposit_draw_from": "payments.rules.may_draw_deposit",
    "deposit_replenish_by": "payments.rules.replenish_by",
    "restriction_from": "payments.rules.next_step",
    "termination_from": "payments.rules.next_step",
    "litigation_from": "payments.rules.next_step",
    "cut_from": "payments.rules.next_step",
    "second_presentation_on": "payments.rules.next_step",
    "notice_deadline": "contracts.rules.period_on",
    "claim_deadline": "support.rules.claim_deadline",
    "service_start": "contracts.rules.commitment_start",
    "service_end": "contracts.rules.commitment_end",
}

# The readings of how delays are counted and what they run from (issue 18 §1).
DELAY_READINGS = {
    "technicophone": ("T-WITHDRAWAL-DAYS", "T-SET-OFF-NOTICE-START", "T-DUNNING-FIRST-NOTICE-START",
                      "T-DUNNING-SECOND-NOTICE-DAYS", "T-DUNNING-LITIGATION-START",
                      "T-SLA-CLAIM-WINDOW-DAYS", "T-RENEWAL-LENGTH", "T-PRICE-NOTICE-START"),
    "ozone": ("OZ-DUNNING-CUT-START",),
}



def _cited_readings(seed: str) -> set[str]:
    return set(re.findall(r"reading ([A-Z][A-Z0-9-]+)", seed))


@pytest.mark.parametrize("sheet_id", sorted(SHEETS))
def test_every_rule_a_reading_names_exists(sheet_id):
    assert unknown_rules(SHEETS[sheet_id]) == []


@pytest.mark.parametrize("sheet_id", sorted(SHEETS))
def test_every_reading_of_the_built_in_sheets_is_applied_by_a_rule(sheet_id):
    index = reading_index(SHEETS[sheet_id])
    assert sorted(reading for reading, rules in index.items() if not rules) == []


def test_a_value_citing_a_reading_makes_its_readers_apply_it():
    """Technicophone's withdrawal days are counted as the reading says, by the withdrawal rule."""
    index = reading_index(SHEETS["technicophone"])
    assert index["T-WITHDRAWAL-DAYS"] == ("contracts.rules.withdrawal",)
    assert "payments.rules.set_off" in index["T-SET-OFF-NOTICE-START"]


def test_every_scenario_rule_is_a_function_of_the_rules():
    assert set(SCENARIO_RULES.values()) <= set(names_read_by_rules())


def test_each_scenario_citing_a_reading_runs_a_rule_the_index_says_applies_it():
    for table in TABLES:
        index = reading_index(SHEETS[table["sheet"]])
        for row in table["scenarios"]:
            for reading in _cited_readings(row["seed"]):
                assert SCENARIO_RULES[row["rule"]] in index[reading], (reading, row)


@pytest.mark.parametrize(("sheet_id", "reading"), [
    (sheet_id, reading) for sheet_id, readings in DELAY_READINGS.items() for reading in readings])
def test_each_pure_rule_applying_a_delay_reading_has_a_scenario(sheet_id, reading):
    """The pairs (reading, pure rule) of the delays; the rooms' service functions that also apply
    them are run by the stories of tests/payments (the tick's ladder, set-off notices)."""
    pure = {rule for rule in reading_index(SHEETS[sheet_id])[reading] if ".rules." in rule}
    tested = {SCENARIO_RULES[row["rule"]] for table in TABLES if table["sheet"] == sheet_id
              for row in table["scenarios"] if reading in _cited_readings(row["seed"])}
    assert pure and pure <= tested
