"""``clausier customer ...`` against the test database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from clausier.cli.main import app


@pytest.fixture
def run(db_url, loaded, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


def test_create_show_edit_and_list(run):
    created = run("customer", "create", "--operator", "technicophone",
                  "--name", "Transports Durand",
                  "--siren", "834567893", "--siret", "83456789300013", "--category", "industrial")
    assert created.exit_code == 0, created.output
    assert "Created customer TEC-000001" in created.output
    assert run("customer", "add-site", "TEC-000001", "--name", "Dépôt Lille",
               "--postcode", "59000").exit_code == 0
    assert run("customer", "add-contact", "TEC-000001", "--name", "Sophie Roux",
               "--email", "sophie@durand.example", "--role", "incident_reporter").exit_code == 0
    assert run("customer", "edit", "TEC-000001", "--employees", "120").exit_code == 0

    shown = json.loads(run("customer", "show", "TEC-000001", "--json").output)
    assert shown["employees"] == 120
    assert [(s["name"], s["numbering_zone"], s["is_central"]) for s in shown["sites"]] == [
        ("Dépôt Lille", "03", True)]
    assert shown["contacts"][0]["roles"] == ["incident_reporter"]

    listed = json.loads(run("customer", "list", "--search", "durand", "--json").output)
    assert [c["ref"] for c in listed["items"]] == ["TEC-000001"]


def test_a_bad_siren_is_a_clear_error_with_exit_code_2(run):
    refused = run("customer", "create", "--operator", "technicophone", "--name", "X",
                  "--siren", "834567894")
    assert refused.exit_code == 2
    assert "siren" in refused.output and "check digit" in refused.output
