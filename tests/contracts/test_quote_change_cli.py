"""``clausier contract quote-change --change ROW`` (issue 18 §7): the effective date follows from
the service, a grid row about other services is refused with its clause, and the fee is a
change fee. Ozone CGV art. 3.3 (seed 002 L149: « valides à compter de leur mise en application »;
L151: « contrat de téléphonie … à compter du 1er jour du mois suivant la signature de
l'avenant ») and annex 1 (L1211-1220)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from clausier.cli.main import app
from clausier.core.message import msg
from clausier.web.explain_text import explained
from tests.contracts.changes import ozone_subscription

runner = CliRunner()


def quote(ref: str, change: str, on: str):
    return runner.invoke(app, ["contract", "quote-change", ref, "--change", change, "--on", on,
                               "--json"])


@pytest.fixture
def subscriptions(clean_engine, db_url, clock, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    return {"voip": ozone_subscription(clean_engine, clock, "voip", "voip_line", "9.99"),
            "fibre": ozone_subscription(clean_engine, clock, "internet_fibre", "fibre_1g", "44.90"),
            "pack": ozone_subscription(clean_engine, clock, "pack", "pack_fibre_tv", "39.99")}


@pytest.mark.parametrize("service, change, on, effective, fee, clause", [
    # a telephony contract: the first day of the month after the avenant (L151)
    ("voip", "telephony_downgrade", "2026-06-12", "2026-07-01", "30.00", "Annexe 1 (L1220)"),
    ("voip", "telephony_downgrade", "2026-06-30", "2026-07-01", "30.00", "Annexe 1 (L1220)"),
    ("voip", "telephony_downgrade", "2026-07-01", "2026-08-01", "30.00", "Annexe 1 (L1220)"),
    ("voip", "telephony_upgrade", "2026-12-31", "2027-01-01", "0.00", "Annexe 1 (L1219)"),
    # out of commitment (12 months from 2026-01-01 end on 2026-12-31): 15 € (L1220)
    ("voip", "telephony_downgrade", "2027-01-04", "2027-02-01", "15.00", "Annexe 1 (L1220)"),
    # internet only: when Ozone implements it (L149), quoted for the day asked
    ("fibre", "internet_downgrade", "2026-06-12", "2026-06-12", "30.00", "Annexe 1 (L1217)"),
    ("fibre", "internet_upgrade", "2026-02-28", "2026-02-28", "0.00", "Annexe 1 (L1215)"),
    # the telephony of a pack is downgraded at the telephony price, but the pack is no
    # telephony contract: effective when implemented
    ("pack", "telephony_downgrade", "2027-03-15", "2027-03-15", "15.00", "Annexe 1 (L1220)"),
])
def test_the_effective_date_and_fee_follow_from_the_service(subscriptions, service, change, on,
                                                            effective, fee, clause):
    result = quote(subscriptions[service], change, on)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["effective_date"], data["total"]) == (effective, fee)
    [line] = data["lines"]
    assert line["label"] == f"Change fee ({change.replace('_', ' ')})"
    assert line["clause"] == clause


@pytest.mark.parametrize("service, change, heading", [
    ("voip", "pack_downgrade", "Annexe 1 (L1213)"),         # « Modification d'une offre groupée »
    ("voip", "internet_upgrade", "Annexe 1 (L1215)"),       # « offre internet seul »
    ("fibre", "telephony_downgrade", "Annexe 1 (L1220), reading OZ-TELEPHONY-DOWNGRADE-IN-PACK"),
    ("pack", "internet_downgrade", "Annexe 1 (L1217)"),     # a pack is no internet-only offer
])
def test_a_row_about_other_services_is_refused_with_its_clause(subscriptions, service, change,
                                                               heading):
    result = quote(subscriptions[service], change, "2026-06-12")
    assert result.exit_code == 2
    refusal = json.loads(result.output)
    assert refusal["refused"] is True and refusal["status"] == 409
    assert change in refusal["detail"] and heading in refusal["detail"]
    table = runner.invoke(app, ["contract", "quote-change", subscriptions[service], "--change",
                                change, "--on", "2026-06-12"])
    assert table.exit_code == 2 and "not of a" in table.output


def test_the_change_fee_is_labelled_in_french_on_pages():
    """Ozone annex 1 (seed 002 L1208-1223): the grid's rows, in the seed's words."""
    assert explained(msg("Change fee ({change})", change="telephony downgrade"), "fr") == (
        "Frais de changement d'offre (downgrade téléphonie)")
    assert explained(msg("Change fee ({change})", change="pack downgrade"), "fr") == (
        "Frais de changement d'offre (downgrade d'une offre groupée)")
