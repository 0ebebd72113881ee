"""Delays in « jours » applied as Technicophone's CGV define the word (art. 2: a working day in
France), by every rule that counts one; the rows are in ``scenarios/technicophone_cgv_delays.yaml``."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest
import yaml

from clausier.billing import rules as billing
from clausier.contracts import rules as contracts
from clausier.contracts.rules import Facts, Item
from clausier.payments import rules as payments
from clausier.terms.loader import BUILT_IN_DIR, load_sheet

SCENARIOS = yaml.safe_load((Path(__file__).parent / "scenarios" / "technicophone_cgv_delays.yaml")
                           .read_text(encoding="utf-8"))


@cache
def general():
    return load_sheet(BUILT_IN_DIR / "technicophone").general


def withdrawal_deadline(signed: date) -> date:
    terms = load_sheet(BUILT_IN_DIR / "technicophone").terms_for("internet")
    facts = Facts(family="internet", signed_on=signed, commitment_months=36,
                  items=(Item("Fibre", "access", 1, 0),), status="ordered", channel="off_premises",
                  outside_main_activity=True, employees=3)
    return contracts.withdrawal(facts, terms, signed).deadline


RULES = {
    "set_off_allowed_from": lambda row: payments.set_off(general(), row["sent"], row["sent"]).earliest,
    "price_change_earliest": lambda row: billing.price_change_notice(
        general(), "general", row["announced"], increase=True).earliest_effective,
    "price_change_deemed_accepted_after": lambda row: billing.price_change_notice(
        general(), "general", row["announced"], increase=True).leave_until,
    "withdrawal_deadline": lambda row: withdrawal_deadline(row["signed"]),
    "deposit_draw_from": lambda row: payments.may_draw_deposit(general(), row["sent"], row["sent"]).earliest,
    "deposit_replenish_by": lambda row: payments.replenish_by(general(), row["received"])[0],
}


@pytest.mark.parametrize("row", SCENARIOS, ids=lambda row: f"{row['rule']}-{row['expected']}")
def test_scenario(row):
    assert RULES[row["rule"]](row) == row["expected"], row["why"]


def test_every_rule_has_a_scenario():
    assert {row["rule"] for row in SCENARIOS} == set(RULES)


def test_the_day_after_the_set_off_notice_runs_and_not_before_cgv_10_4():
    sent = date(2026, 11, 2)
    assert not payments.set_off(general(), sent, date(2026, 11, 24)).allowed
    decision = payments.set_off(general(), sent, date(2026, 11, 25))
    assert decision.allowed and "15 jours ouvrés" in decision.reason
    assert decision.clause == ("CGV art. 10.4 (L374-377), reading T-SET-OFF-NOTICE-START; "
                               "CGV art. 2 (L66-67)")

