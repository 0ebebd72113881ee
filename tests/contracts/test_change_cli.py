"""``clausier contract change`` and ``contract show --today`` on a real database (issue 19)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from clausier.cli.main import app
from tests.contracts.changes import centrex_with_ten_seats



def test_quote_then_confirm_seats_and_show_the_items_in_force(clean_engine, db_url, clock,
                                                              monkeypatch):
    """CGV art. 7.4 L206-212: two hosted-telephony users added re-commit the service for 36
    months from 2026-10-15, to 2029-10-14."""
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    ref = centrex_with_ten_seats(clean_engine, clock)
    runner = CliRunner()
    args = ["contract", "change", ref, "--add", "centrex_user=2", "--on", "2026-10-15"]
    quoted = json.loads(runner.invoke(app, [*args, "--quote", "--json"]).output)
    assert (quoted["change_order"], quoted["monthly"]["total"], quoted["one_off"]["total"],
            quoted["commitment_end"]) == (None, "180.00", "40.00", "2029-10-14")
    confirmed = runner.invoke(app, args)
    assert confirmed.exit_code == 0 and f"{ref}-C001" in confirmed.output
    assert "2029-10-14" in confirmed.output
    before, after = (json.loads(runner.invoke(app, ["contract", "show", ref, "--today", day,
                                                    "--json"]).output)["items"]
                     for day in ("2026-10-14", "2026-10-15"))
    assert [i["quantity"] for i in before] == [10] and [i["quantity"] for i in after] == [12]
    again = json.loads(runner.invoke(app, ["contract", "quote-change", ref, "--remove",
                                           "centrex_user=2", "--on", "2026-11-02",
                                           "--json"]).output)
    assert (again["monthly"]["total"], again["commitment_end"]) == ("150.00", "2029-11-01")
    assert again["one_off"]["lines"][0]["clause"] == (
        "CGV art. 7.4 (L206-212), reading T-CHANGE-REMOVAL")


def test_bad_input_is_red_and_exit_2_and_nothing_changes(clean_engine, db_url, clock,
                                                         monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    ref = centrex_with_ten_seats(clean_engine, clock)
    runner = CliRunner()
    bad = runner.invoke(app, ["contract", "change", ref, "--add", "centrex_user=two",
                              "--on", "2026-10-15"])
    assert bad.exit_code == 2 and "add: 'centrex_user=two' is not OFFER=N" in bad.output
    refused = runner.invoke(app, ["contract", "change", ref, "--remove", "centrex_user=10",
                                  "--on", "2026-10-15"])
    assert refused.exit_code == 2 and "no main service" in refused.output
    shown = json.loads(runner.invoke(app, ["contract", "show", ref, "--today", "2026-10-20",
                                           "--json"]).output)
    assert [i["quantity"] for i in shown["items"]] == [10]
