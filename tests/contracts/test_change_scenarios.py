"""Change-order quotes, one scenario table per schedule (tests/contracts/scenarios/*.yaml).

Each row names the seed text it applies and says in one sentence why the figure is expected.
Pure: the built-in term sheets are read from their YAML files.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
import yaml

from clausier.contracts import changes, rules
from clausier.core.errors import RuleRefusal
from clausier.terms.loader import BUILT_IN_DIR, load_sheet

SCENARIOS = Path(__file__).parent / "scenarios"


@cache
def sheet(name: str):
    return load_sheet(BUILT_IN_DIR / name)


def _tables():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        table = yaml.safe_load(path.read_text(encoding="utf-8"))
        for row in table["scenarios"]:
            yield pytest.param(table, row, id=f"{path.stem}: {row['name']}")


def _offers(table) -> dict[str, changes.Offered]:
    return {code: changes.Offered(code, table["family"], data["label"], data["unit"],
                                  Decimal(data["monthly_fee"]),
                                  Decimal(data.get("access_fee", "0")),
                                  is_option=data.get("option", False))
            for code, data in table["offers"].items()}


def _held(table, row) -> tuple[changes.Held, ...]:
    offers = _offers(table)
    return tuple(
        changes.Held(item["offer"], offers[item["offer"]].label, offers[item["offer"]].unit,
                     item["quantity"], offers[item["offer"]].monthly_fee,
                     offers[item["offer"]].access_fee,
                     Decimal(item["minimum_billing"]) if "minimum_billing" in item else None,
                     offers[item["offer"]].is_option)
        for item in row["items"])


def _quote(table, row):
    held = _held(table, row)
    go_live = row["go_live"]
    signed_on = go_live or row["ordered_on"] - timedelta(days=30)
    facts = rules.Facts(family=table["family"], signed_on=signed_on,
                        commitment_months=row.get("months", 36),
                        items=tuple(item.as_item() for item in held),
                        status="active" if go_live else "ordered",
                        commitment_start=go_live, go_live_on=go_live)
    terms = sheet(table["sheet"]).terms_for(table["family"])
    wanted = tuple(changes.Change.from_dict(change) for change in row["changes"])
    quote = changes.quote_change(facts, terms, held, wanted, _offers(table), row["ordered_on"])
    return facts, terms, quote


@pytest.mark.parametrize(("table", "row"), list(_tables()))
def test_scenario(table, row):
    assert row["seed"] and row["reasoning"]
    if "refused" in row:
        with pytest.raises(RuleRefusal) as refused:
            _quote(table, row)
        assert row["refused"] in str(refused.value)
        return
    facts, terms, quote = _quote(table, row)
    expect = row["expect"]
    assert quote.commitment_end == expect["commitment_end"]
    assert quote.one_off.total == Decimal(expect["one_off"])
    assert quote.monthly.total == Decimal(expect["monthly"])
    if "minimum_top_up" in expect:
        assert quote.minimum_billing.total == Decimal(expect["minimum_top_up"])
    if "line_clause" in expect:
        assert any(expect["line_clause"] in line.clause for line in quote.one_off.lines)
    assert all(line.clause for line in quote.one_off.lines + quote.monthly.lines)
    if "exit_next_day" in row:
        changed = rules.Facts(**{**facts.__dict__, "items": tuple(i.as_item() for i in quote.after),
                                 "recommitted_on": quote.effective_date,
                                 "recommit_months": quote.recommit_months})
        exit_quote = rules.quote_termination(changed, terms, row["ordered_on"] + timedelta(days=1))
        assert exit_quote.period.end == row["exit_next_day"]["period_end"]


def test_a_removal_during_the_commitment_cites_the_reading_and_the_clause():
    """CGV art. 7.4 L206-212 names "suppression" among the changes; the terms price no removal
    (reading T-CHANGE-REMOVAL): a zero line that says so."""
    table = yaml.safe_load((SCENARIOS / "technicophone-office365.yaml").read_text())
    _, _, quote = _quote(table, table["scenarios"][0])
    (line,) = quote.one_off.lines
    assert line.amount == Decimal("0.00")
    assert line.clause == "CGV art. 7.4 (L206-212), reading T-CHANGE-REMOVAL"
    assert line.formula.startswith("4 × 0,00")


def test_removing_the_main_service_is_a_termination_not_a_change():
    table = yaml.safe_load((SCENARIOS / "technicophone-office365.yaml").read_text())
    row = {**table["scenarios"][0],
           "changes": [{"action": "remove", "offer": "o365_business_standard", "quantity": 20}]}
    with pytest.raises(RuleRefusal, match="no main service"):
        _quote(table, row)


def test_removing_more_than_held_names_the_field():
    table = yaml.safe_load((SCENARIOS / "technicophone-office365.yaml").read_text())
    row = {**table["scenarios"][0],
           "changes": [{"action": "remove", "offer": "o365_business_standard", "quantity": 21}]}
    with pytest.raises(RuleRefusal, match=r"changes\.0\.quantity: 21 is more than the 20"):
        _quote(table, row)


FAMILIES = [(name, family) for name in ("technicophone", "ozone", "rozoh")
            for family in sheet(name).families]


@pytest.mark.parametrize(("sheet_name", "family"), FAMILIES)
def test_every_family_of_the_three_sheets_is_quoted_or_refused_with_a_clause(sheet_name, family):
    """Issue 19, Done when: a change answers for every family, or names the clause refusing it."""
    terms = sheet(sheet_name).terms_for(family)
    go_live = date(2026, 1, 15)
    main = changes.Held("main", "Main service", "unit", 2, Decimal("10.00"))
    facts = rules.Facts(family=family, signed_on=go_live, commitment_months=12,
                        items=(main.as_item(),), commitment_start=go_live, go_live_on=go_live)
    offers = {"main": changes.Offered("main", family, "Main service", "unit", Decimal("10.00"))}
    wanted = (changes.Change("add", "main", 1),)
    try:
        quote = changes.quote_change(facts, terms, (main,), wanted, offers, date(2026, 3, 2))
    except RuleRefusal as exc:
        assert "order a new subscription" in str(exc)
        assert any(char.isdigit() for char in str(exc).split("(")[-1]), str(exc)
        return
    assert quote.commitment_end is not None and quote.recommit_months
    assert quote.monthly.total == Decimal("30.00")
