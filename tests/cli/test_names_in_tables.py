"""The command tables name what they list (issue 21, "Names everywhere"): a customer by its
name, a subscription by its reference, a service family by its name, every amount in euros —
never a database id or a bare decimal."""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from clausier.cli.main import app
from clausier.db.session import transaction


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_contract_and_invoice_lists_name_the_customer_and_the_family(
        clean_engine, db_url, actor, tmp_path, monkeypatch):
    from clausier.cli import common
    from tests.payments.helpers import billed_customer

    monkeypatch.setattr(common.console, "width", 200)      # each row on one line

    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path / "var"))
    with transaction(clean_engine) as s:
        billed = billed_customer(s, actor, "technicophone", family="sip_trunk",
                                 monthly_fee="1000.00", go_live=date(2025, 10, 1),
                                 period="2025-10", issue_on=date(2025, 10, 3))
        customer_id = billed.invoice.customer_id

    contracts = _run("contract", "list")
    assert "Boulangerie Martin" in contracts and "SIP trunk" in contracts
    assert f"│ {customer_id} " not in contracts and "sip_trunk" not in contracts
    [row] = json.loads(_run("contract", "list", "--json"))       # the JSON keeps the ids
    assert (row["customer_id"], row["family"]) == (customer_id, "sip_trunk")

    # A month of a 1 000 € HT trunk billed in advance, with 20 % VAT: amounts print as euros.
    invoices = _run("invoice", "list").replace("\u202f", " ").replace("\u00a0", " ")
    assert "1 000,00 €" in invoices and "1 200,00 €" in invoices
    assert "1200.00" not in invoices and "1000.00" not in invoices
