"""The rating room's use cases and commands apply the premium-number readings (issue 18 §1):
the date a caller-tariff change takes effect, a supplier's penalty passed on at its amount, and
where a payout request stands after its year."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from clausier.cli.main import app
from clausier.core.errors import InvalidInput
from clausier.rating.sva import service as sva_service
from tests import factories

runner = CliRunner()


def _premium_number(session, clock, actor):
    """A Technicophone premium number (CP XII) live since 5 January 2026."""
    number = factories.one_line(session, clock, actor, "technicophone", "sva", "15.00",
                                unit="number", signed_on=date(2026, 1, 5),
                                go_live_on=date(2026, 1, 5))
    number.service_identifier = "0899123456"
    session.flush()
    return number


def test_supplier_penalty_is_proposed_at_its_amount(session, clock, actor):
    """CP XII §13.1 L10132-10134: the penalty the operator bears towards the « Fournisseur » for
    the client's number, passed on as charged (reading T-SVA-FOURNISSEUR); another number's is not."""
    number = _premium_number(session, clock, actor)
    proposal = sva_service.pass_on_supplier_penalty(session, clock, actor, number.ref, "Collecting operator",
                                                    "08 99 12 34 56", Decimal("350.00"), date(2026, 10, 12))
    assert (proposal.kind, proposal.amount, proposal.status) == ("supplier_penalty", Decimal("350.00"), "proposed")
    assert proposal.explanation["lines"][0]["clause"] == "CP XII §13.1 (L10132-10134), reading T-SVA-FOURNISSEUR"
    with pytest.raises(InvalidInput, match="number"):
        sva_service.pass_on_supplier_penalty(session, clock, actor, number.ref, "Collecting operator",
                                             "0899000000", Decimal("350.00"), date(2026, 10, 12))


def test_tariff_change_date_from_the_command_line(session, clock, actor, db_url, monkeypatch):
    """CP XII §8.1 L9847-9852: requested on 16 March, after the 15th, the new caller tariff takes
    effect on 1 May (reading T-SVA-TARIFF-AFTER-15); on the 15th, on 1 April."""
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    ref = _premium_number(session, clock, actor).ref
    session.commit()          # the command reads through its own connection
    late = runner.invoke(app, ["usage", "tariff-change", ref, "--requested", "2026-03-16", "--json"])
    assert late.exit_code == 0, late.output
    data = json.loads(late.output)
    assert data["effective_on"] == "2026-05-01"
    assert data["clause"] == "CP XII §8.1 (L9847-9852), reading T-SVA-TARIFF-AFTER-15"
    timely = json.loads(runner.invoke(app, ["usage", "tariff-change", ref, "--requested", "2026-03-15",
                                            "--json"]).output)
    assert timely["effective_on"] == "2026-04-01"
