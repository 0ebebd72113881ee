"""Scenario tables, one data file per schedule under ``scenarios/`` (issue 18): each row gives a
rule, its input dates, the result read from the seed, the seed lines and the reasoning; the rows
run through the pure rules the product applies. Delays in « jours » are counted as each sheet
defines the word (Technicophone CGV art. 2: a working day in France)."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest
import yaml

from clausier.billing.invoices import rules as invoice_rules

from clausier.billing.ledger import rules as ledger_rules
from clausier.contracts import rules as contracts
from clausier.contracts.rules import Facts, Item
from clausier.payments import rules as payments
from clausier.payments.rules import CaseFacts, StepHistory
from clausier.rating.sva.rules import payout_claim_standing, tariff_change_effective
from clausier.support import rules as support
from clausier.terms.loader import BUILT_IN_DIR, load_sheet

TABLES = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


@cache
def sheet(sheet_id: str):
    return load_sheet(BUILT_IN_DIR / sheet_id)


def terms_of(table: dict):
    loaded = sheet(table["sheet"])
    return loaded.general if table["section"] == "general" else loaded.terms_for(table["section"])


def facts(table: dict, **dates) -> Facts:
    """A small business signing off premises outside its main activity (withdrawal allowed)."""
    family = table["section"] if table["section"] != "general" else "internet"
    return Facts(family=family, commitment_months=36, items=(Item("Access", "access", 1, 0),),
                 channel="off_premises", outside_main_activity=True, employees=3, **dates)


def _ladder_step(terms, step_id: str, history: tuple[StepHistory, ...], due: date) -> date:
    step = payments.next_step(terms.dunning.steps, CaseFacts(due, due, due, history))
    assert step is not None and step.step.id == step_id
    return step.due_on


def restriction_from(terms, row):
    received = row["letter_received"]
    return _ladder_step(terms, "restrict", (
        StepHistory("formal_notice_1", received, received, sent_letter=True),), received)


def termination_from(terms, row):
    received = row["letter_received"]
    return _ladder_step(terms, "terminate", tuple(
        StepHistory(step, received, received, sent_letter=step.startswith("formal"))
        for step in ("formal_notice_1", "restrict", "suspend", "formal_notice_2")), received)


def litigation_from(terms, row):
    due = row["due"]
    return _ladder_step(terms, "litigation", tuple(
        StepHistory(step, due, due, sent_letter=step.startswith("formal"))
        for step in ("formal_notice_1", "restrict", "suspend", "formal_notice_2", "terminate")), due)


def cut_from(terms, row):
    sent = row["reminder_sent"]
    return _ladder_step(terms, "suspend", (StepHistory("first_reminder", sent),), sent)


def second_presentation_on(terms, row):
    due = row["due"]
    return _ladder_step(terms, "second_presentation", (
        StepHistory("first_reminder", due), StepHistory("suspend", due)), due)


def notice_deadline(terms, row):
    subscription = facts(row["table"], signed_on=row["go_live"], go_live_on=row["go_live"])
    return contracts.notice_deadline(contracts.period_on(subscription, terms, row["during"]), terms)


def pack(row) -> Facts:
    """A Rozoh pack shipped on ``shipped``, activated on ``activated`` (or never)."""
    return Facts(family="access_pack", signed_on=row["shipped"], commitment_months=120,
                 items=(Item("Pack", "pack", 1, 0),), shipped_on=row["shipped"],
                 go_live_on=row["activated"])


RULES = {
    "invoice_due_date": lambda terms, row: invoice_rules.due_date(terms, row["issued"])[0],
    "dispute_deadline": lambda terms, row: payments.dispute_admissible(
        terms, row["invoice_received"], row["invoice_received"], "registered_letter",
        usage_invoice=True).deadline,
    "dispute_admissible": lambda terms, row: payments.dispute_admissible(
        terms, row["invoice_received"], row["letter_received"], "registered_letter",
        usage_invoice=True).admissible,
    "set_off_allowed_from": lambda terms, row: payments.set_off(terms, row["sent"], row["sent"]).earliest,
    "price_change_earliest": lambda terms, row: ledger_rules.price_change_notice(
        terms, "general", row["announced"], increase=True).earliest_effective,
    "price_change_deemed_accepted_after": lambda terms, row: ledger_rules.price_change_notice(
        terms, "general", row["announced"], increase=True).leave_until,
    "withdrawal_deadline": lambda terms, row: contracts.withdrawal(
        facts(row["table"], signed_on=row["signed"], ordered_on=row.get("ordered"), status="ordered"),
        terms, row["signed"]).deadline,
    "termination_effective": lambda terms, row: contracts.quote_termination(
        facts(row["table"], signed_on=row["go_live"], go_live_on=row["go_live"]), terms,
        row["received"]).effective_date,
    "routing_last_day": lambda terms, row: contracts.preselection_elsewhere(
        facts(row["table"], signed_on=row["go_live"], go_live_on=row["go_live"]), terms,
        row["preselected"])[0],
    "tariff_change_effective": lambda terms, row: tariff_change_effective(
        terms.usage, row["requested"])[0],
    "claim_standing": lambda terms, row: [
        (standing := payout_claim_standing(row["invoice_deadline"], row["day"], terms.usage)).payable,
        standing.amount_final],
    "deposit_draw_from": lambda terms, row: payments.may_draw_deposit(terms, row["sent"], row["sent"]).earliest,
    "deposit_replenish_by": lambda terms, row: payments.replenish_by(terms, row["received"])[0],
    "restriction_from": restriction_from,
    "termination_from": termination_from,
    "litigation_from": litigation_from,
    "cut_from": cut_from,
    "second_presentation_on": second_presentation_on,
    "notice_deadline": notice_deadline,
    "claim_deadline": lambda terms, row: support.claim_deadline(terms.service_levels, row["month"]),
    "service_start": lambda terms, row: contracts.commitment_start(pack(row), terms),
    "service_end": lambda terms, row: contracts.commitment_end(pack(row), terms),
}


def _rows():
    for path in TABLES:
        table = yaml.safe_load(path.read_text(encoding="utf-8"))
        for number, row in enumerate(table["scenarios"], 1):
            yield pytest.param(table, row, id=f"{path.stem}-{number}-{row['rule']}")


@pytest.mark.parametrize(("table", "row"), list(_rows()))
def test_scenario(table, row):
    assert row["seed"] and row["why"]
    got = RULES[row["rule"]](terms_of(table), {**row, "table": table})
    assert got == row["expected"], f"{row['seed']}: {row['why']}"


def test_every_rule_has_a_scenario():
    used = {row["rule"] for table in map(lambda p: yaml.safe_load(p.read_text(encoding="utf-8")), TABLES)
            for row in table["scenarios"]}
    assert used == set(RULES)


def test_the_day_after_the_set_off_notice_runs_and_not_before_cgv_10_4():
    general = sheet("technicophone").general
    sent = date(2026, 11, 2)
    assert not payments.set_off(general, sent, date(2026, 11, 24)).allowed
    decision = payments.set_off(general, sent, date(2026, 11, 25))
    assert decision.allowed and "15 business days" in decision.reason
    assert decision.clause == ("CGV art. 10.4 (L374-377), reading T-SET-OFF-NOTICE-START; "
                               "CGV art. 2 (L66-67)")
