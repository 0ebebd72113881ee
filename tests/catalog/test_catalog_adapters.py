"""The catalogue through the API, the CLI and the web page."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from clausier.catalog import service
from clausier.cli.main import app
from clausier.db.session import transaction


def test_api_lists_operators_offers_and_equipment(loaded, staff_client):
    api = staff_client("support")
    assert [o["code"] for o in api.get("/api/v1/operators").json()] == [
        "ozone", "rozoh", "technicophone"]
    vga = api.get("/api/v1/offers", params={"operator": "technicophone", "family": "vga"}).json()
    analogue = next(o for o in vga if o["code"] == "vga_analogue_line")
    assert (analogue["unit"], analogue["terms_link"]) == (
        "analogue_line", "/terms/technicophone#vga")
    one = api.get(f"/api/v1/offers/{analogue['id']}").json()
    assert "gtr_6h_24x7" in one["options"]
    kinds = api.get("/api/v1/equipment-kinds", params={"operator": "ozone"}).json()
    assert {k["code"]: k["replacement_value"] for k in kinds}["box_fibre"] == "120.00"
    assert api.get("/api/v1/offers", params={"operator": "acme"}).status_code == 404


def test_support_cannot_edit_the_catalogue_but_sales_can(loaded, staff_client):
    support, sales = staff_client("support"), staff_client("sales")
    offer = support.get("/api/v1/offers", params={"operator": "ozone", "family": "tv"}).json()[0]
    refused = support.patch(f"/api/v1/offers/{offer['id']}", json={"monthly_fee": "10.99"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "role: support may not change catalog"
    changed = sales.patch(f"/api/v1/offers/{offer['id']}", json={"monthly_fee": "10.99"})
    assert changed.json()["monthly_fee"] == "10.99"


def test_cli_list_show_and_load(loaded, db_url, monkeypatch):
    from clausier.catalog.service import DATA_DIR

    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["catalog", "list", "--operator", "rozoh",
                                            "--family", "access_pack", "--json"]).output)
    assert [o["code"] for o in listed] == ["access_pack_100", "access_pack_250", "access_pack_50",
                                           "access_user_records_10"]
    shown = json.loads(runner.invoke(app, ["catalog", "show", "ozone", "pack_fibre_trio_24m",
                                           "--json"]).output)
    # Ozone packs re-commit for 12 or 24 months (CGV art. 3.3)
    assert (shown["commitment_months"], shown["price_basis"]) == (24, "TTC")
    reloaded = runner.invoke(app, ["catalog", "load", str(DATA_DIR / "ozone.yaml")])
    assert reloaded.exit_code == 0 and "nothing changed" in reloaded.output
    missing = runner.invoke(app, ["catalog", "show", "ozone", "nope"])
    assert missing.exit_code == 2


def test_the_catalogue_page_groups_by_family_with_demo_badges_and_terms_links(loaded, browser):
    page = browser.get("/catalog/technicophone")
    assert page.status_code == 200
    assert 'id="family-sip_trunk"' in page.text
    assert 'href="/terms/technicophone#vga"' in page.text
    assert "750,00" in page.text and "L2272-2275" in page.text
    ozone = browser.get("/catalog/ozone", params={"lang": "en"})
    assert "demo price" in ozone.text and "€120.00" in ozone.text
    assert "Rozoh" in browser.get("/catalog").text


def test_the_operator_page_shows_the_legal_identity_with_its_sources(loaded, browser):
    """TECHNICOPHONE CGV art. 2 L39-40 for what the seed gives; the rest marked as demo."""
    page = browser.get("/catalog/technicophone", params={"lang": "en"}).text
    identity = page.split('id="legal-identity"', 1)[1].split("</section>", 1)[0]
    assert "37934180300029" in identity and "FR81379341803" in identity
    assert "4, rue des Messagers, ZA de Châtenay" in identity and "Rochecorbon" in identity
    assert "CGV art. 2 L39" in identity and "computed from the SIREN" in identity
    assert identity.count("demo value") == 2                  # the IBAN and the BIC
    assert "cannot be issued" not in identity
    french = browser.get("/catalog/rozoh").text
    assert "Identité légale (vendeur sur les factures)" in french
    assert "valeur de démonstration" in french


def test_the_operator_page_warns_while_a_mandatory_seller_field_is_missing(loaded, browser,
                                                                          engine):
    with transaction(engine) as s:
        service.get_operator(s, "rozoh").siren = ""
    page = browser.get("/catalog/rozoh", params={"lang": "en"}).text
    assert "Invoices cannot be issued until these are given: siren" in page



def test_a_negative_price_is_refused_with_its_code(loaded, engine, clock, actor):
    from clausier.catalog.models import Offer
    from clausier.core.errors import InvalidInput

    with transaction(engine) as s:
        offer_id = s.scalar(select(Offer.id).order_by(Offer.id).limit(1))
        with pytest.raises(InvalidInput) as refused:
            service.update_offer(s, clock, actor, offer_id, monthly_fee="-1.00")
    assert refused.value.code == "offer_price_negative"
