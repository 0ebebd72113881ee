"""``clausier rate`` is shared: ``--month`` rates usage (issue "Usage rating"), ``add`` records the
legal interest rate of a half-year (issue "Payments": CGV art. 11.1, 3 × the legal rate)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from clausier.cli.main import app as cli


def test_rate_month_and_legal_interest_share_one_command(db_url, session):
    runner = CliRunner(env={"CLAUSIER_DATABASE_URL": db_url})
    rated = runner.invoke(cli, ["rate", "--month", "2026-10", "--json"])
    assert rated.exit_code == 0, rated.output
    assert json.loads(rated.output)["month"] == "2026-10"
    bad = runner.invoke(cli, ["rate", "--month", "2026-13"])
    assert bad.exit_code == 2 and "month" in bad.output
    added = runner.invoke(cli, ["rate", "add", "legal-interest", "2026-H2", "6.65"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["rate", "list", "--json"])
    assert json.loads(listed.output)[0]["half_year"] == "2026-H2"
