"""``clausier contract withdraw --json`` and ``contract terminate --today`` (issue "Terms applied
exactly" §7)."""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from clausier.audit.service import Actor
from clausier.cli.main import app
from clausier.contracts.service import LineInput
from clausier.db.session import transaction
from tests import factories


def _internet(clean_engine, clock, go_live: date | None) -> str:
    actor = Actor(name="test@clausier.local")
    with transaction(clean_engine) as session:
        op = factories.operator(session, clock, actor, "technicophone")
        factories.offer(session, op, "fibre", "internet", "89.00", unit="access")
        customer = factories.customer(session, clock, op)
        [sub] = factories.subscription(session, clock, actor, customer,
                                       [LineInput(customer.sites[0].id, "fibre")],
                                       signed_on=date(2026, 5, 4), go_live_on=go_live)
        return sub.ref


def test_a_refused_withdrawal_answers_in_json_with_exit_code_2_cgv_19(clean_engine, db_url, clock,
                                                                      monkeypatch):
    # CGV art. 19 L751-755: only a contract concluded off premises may be withdrawn from; this
    # one was signed on premises. The refusal is the decision itself, and nothing changes.
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    ref = _internet(clean_engine, clock, go_live=None)
    runner = CliRunner()
    result = runner.invoke(app, ["contract", "withdraw", ref, "--on", "2026-05-10", "--json"])
    assert result.exit_code == 2
    decision = json.loads(result.output)
    assert decision["allowed"] is False
    assert decision["reasons"][0] == "the contract was signed on premises, not off premises"
    assert decision["clause"].startswith("CGV art. 19 (L751-755)")
    shown = json.loads(runner.invoke(app, ["contract", "show", ref, "--json"]).output)
    assert shown["status"] == "ordered"


def test_terminate_takes_the_date_of_today(clean_engine, db_url, clock, monkeypatch):
    # CP III: three months' notice from receipt; the letter of 2026-10-01 recorded "today"
    # 2026-10-02 takes effect on 2027-01-01.
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    ref = _internet(clean_engine, clock, go_live=date(2026, 6, 1))
    result = CliRunner().invoke(app, ["contract", "terminate", ref, "--received", "2026-10-01",
                                      "--today", "2026-10-02", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["effective_date"] == "2027-01-01"
