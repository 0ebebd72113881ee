"""Loading price lists: idempotent upsert by codes, audited price changes, clear file errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from clausier.audit.models import AuditEntry
from clausier.audit.service import trail
from clausier.catalog import service
from clausier.core.errors import InvalidInput, NotFound

TECHNICOPHONE_FAMILIES = {"vga", "preselection", "internet", "sip_trunk", "centrex", "mail", "vpn",
                          "office365", "mobile", "cx", "hosting", "sva"}
OZONE_FAMILIES = {"internet_radio", "internet_adsl", "internet_fibre", "voip", "mobile", "tv",
                  "video_surveillance", "home_assistance", "pack"}
ROZOH_FAMILIES = {"intercom_pack", "access_pack"}


def _audit_count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry))


def test_loading_twice_changes_nothing(session, clock, actor):
    first = service.load_built_in_catalogs(session, clock, actor)
    offers, kinds, audits = (len(service.list_offers(session, active=None)),
                             len(service.list_equipment_kinds(session)), _audit_count(session))
    second = service.load_built_in_catalogs(session, clock, actor)
    assert all(load.changed for load in first)
    assert not any(load.changed for load in second)
    assert (len(service.list_offers(session, active=None)),
            len(service.list_equipment_kinds(session)), _audit_count(session)) == (
        offers, kinds, audits)


def test_every_family_of_the_three_seeds_has_offers(session, clock, actor):
    service.load_built_in_catalogs(session, clock, actor)
    for operator, families in (("technicophone", TECHNICOPHONE_FAMILIES),
                               ("ozone", OZONE_FAMILIES), ("rozoh", ROZOH_FAMILIES)):
        assert {o.family for o in service.list_offers(session, operator)} == families


def test_operators_carry_their_identity_and_price_basis(session, clock, actor):
    service.load_built_in_catalogs(session, clock, actor)
    technicophone = service.get_operator(session, "technicophone")
    # "RCS 379 341 803 00029", 4 rue des Messagers, 37210 Rochecorbon (CGV art. 2 L39-40)
    assert (technicophone.siren, technicophone.price_basis, technicophone.invoice_prefix) == (
        "379341803", "HT", "TEC")
    assert "37210 Rochecorbon" in technicophone.address
    ozone = service.get_operator(session, "ozone")
    # Ozone invoices in euros TTC (CGV art. 9 L266)
    assert (ozone.price_basis, ozone.customer_kind, ozone.invoice_prefix) == ("TTC", "consumer",
                                                                              "OZO")
    assert service.get_operator(session, "rozoh").price_basis == "HT"


def test_vga_units_are_the_units_of_the_termination_fees(session, clock, actor):
    # €500 per analogue line, €1 000 per ISDN/Numéris basic access (CP VGA §6.2 L1613-1619)
    service.load_built_in_catalogs(session, clock, actor)
    assert service.get_offer(session, "technicophone", "vga_analogue_line").unit == "analogue_line"
    assert service.get_offer(session, "technicophone", "vga_isdn_t0").unit == "isdn_access"
    options = service.options_of(session, service.get_offer(session, "technicophone",
                                                            "vga_analogue_line"))
    assert {"gtr_6h_business", "gtr_6h_24x7", "teletaxe", "sda_block_10"} <= {
        o.code for o in options}


def test_prices_from_the_seed_cite_their_clause(session, clock, actor):
    service.load_built_in_catalogs(session, clock, actor)
    desaturation = service.get_offer(session, "technicophone", "dsl_desaturation")
    # "coût forfaitaire de désaturation de 750€ HT" (CP Accès Internet art. 2 L2272-2275)
    assert (desaturation.one_off_price, desaturation.demo) == (Decimal("750.00"), False)
    assert "L2272-2275" in desaturation.price_source
    # Annex 2 non-return values: radio kit 300, non-fibre box 80, fibre box 120, TV box 80 € TTC
    values = {k.code: (k.replacement_value, k.price_basis, k.demo)
              for k in service.list_equipment_kinds(session, "ozone")}
    assert values["radio_kit"] == (Decimal("300.00"), "TTC", False)
    assert values["box_non_fibre"] == (Decimal("80.00"), "TTC", False)
    assert values["box_fibre"] == (Decimal("120.00"), "TTC", False)
    assert values["tv_box"] == (Decimal("80.00"), "TTC", False)
    assert all(o.demo for o in service.list_offers(session, "rozoh"))


def test_packs_fix_their_commitment_and_user_records(session, clock, actor):
    service.load_built_in_catalogs(session, clock, actor)
    assert {o.commitment_months for o in service.list_offers(session, "ozone", "pack")} == {12, 24}
    records = sorted(o.attributes["user_records"]
                     for o in service.list_offers(session, "rozoh", "intercom_pack"))
    assert records == [10, 50, 100, 250]
    pack = service.get_offer(session, "rozoh", "access_pack_100")
    assert pack.one_off_price > 0 and pack.monthly_fee == 0
    cx = service.get_offer(session, "technicophone", "cx_pack")
    # 5000 inbound minutes a month per pack (CP CX art. 2 L7429-7431)
    assert cx.attributes["inbound_minutes"] == 5000


def _rewrite(source: Path, target: Path, change) -> Path:
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    change(document)
    target.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return target


def test_a_changed_price_is_updated_with_an_audit_entry(session, clock, actor, tmp_path):
    source = service.DATA_DIR / "ozone.yaml"
    service.load_catalog(session, clock, actor, source)

    def raise_fibre(document):
        for offer in document["offers"]:
            if offer["code"] == "fibre_1g":
                offer["monthly_fee"] = "46.90"
        document["offers"] = [o for o in document["offers"] if o["code"] != "adsl_8m"]

    result = service.load_catalog(session, clock, actor,
                                  _rewrite(source, tmp_path / "ozone.yaml", raise_fibre))
    assert (result.updated, result.deactivated) == ({"offer": 1}, 1)
    fibre = service.get_offer(session, "ozone", "fibre_1g")
    assert fibre.monthly_fee == Decimal("46.90")
    assert trail(session, "offers", str(fibre.id))[0].changes == {
        "monthly_fee": ["44.90", "46.90"]}
    assert not service.get_offer(session, "ozone", "adsl_8m").active
    assert "adsl_8m" not in {o.code for o in service.list_offers(session, "ozone")}


def test_keeping_existing_rows_adds_only_the_new_offers_of_a_file(session, clock, actor,
                                                                  tmp_path):
    source = service.DATA_DIR / "ozone.yaml"
    service.load_catalog(session, clock, actor, source)

    def next_release(document):
        for offer in document["offers"]:
            if offer["code"] == "vigilians_2_cameras":
                offer.update(monthly_fee="15.90", options=[])
        document["offers"] = [o for o in document["offers"] if o["code"] != "adsl_8m"]
        document["offers"].append({"code": "vigilians_4_cameras", "family": "video_surveillance",
                                   "name": "VIGILIANS video-surveillance (4 cameras)",
                                   "monthly_fee": "24.90", "options": ["axa_home_assistance"]})

    result = service.load_catalog(session, clock, actor,
                                  _rewrite(source, tmp_path / "ozone.yaml", next_release),
                                  keep_existing=True)
    assert (result.created, result.updated, result.deactivated) == (
        {"offer": 1, "offer_options": 1}, {}, 0)
    kept = service.get_offer(session, "ozone", "vigilians_2_cameras")
    assert kept.monthly_fee == Decimal("14.90")
    assert [o.code for o in service.options_of(session, kept)] == ["axa_home_assistance"]
    assert service.get_offer(session, "ozone", "adsl_8m").active
    added = service.get_offer(session, "ozone", "vigilians_4_cameras")
    assert (added.monthly_fee, [o.code for o in service.options_of(session, added)]) == (
        Decimal("24.90"), ["axa_home_assistance"])


def test_a_bad_value_names_its_place_in_the_file(session, clock, actor, tmp_path):
    def negative(document):
        document["offers"][0]["one_off_price"] = "-5"

    with pytest.raises(InvalidInput) as refused:
        service.load_catalog(session, clock, actor, _rewrite(
            service.DATA_DIR / "rozoh.yaml", tmp_path / "r.yaml", negative))
    assert refused.value.problems[0].field == "offers.0.one_off_price"
    assert "a price cannot be negative" in refused.value.problems[0].reason


def test_unknown_options_and_uncited_real_prices_are_refused(session, clock, actor, tmp_path):
    def inconsistent(document):
        document["offers"][1]["options"] = ["no_such_option"]
        document["equipment"][0]["demo"] = False

    with pytest.raises(InvalidInput) as refused:
        service.load_catalog(session, clock, actor, _rewrite(
            service.DATA_DIR / "rozoh.yaml", tmp_path / "r.yaml", inconsistent))
    assert [str(p) for p in refused.value.problems] == [
        "offers.1.options: no_such_option is not an offer of this file",
        "equipment.0.price_source: a price that is not a demo price must cite its clause"]
    assert service.list_operators(session) == []


def test_unknown_operator_and_offer_are_not_found(session, clock, actor):
    service.load_built_in_catalogs(session, clock, actor)
    with pytest.raises(NotFound, match="known: ozone, rozoh, technicophone"):
        service.get_operator(session, "acme")
    with pytest.raises(NotFound, match="technicophone has no offer 'nope'"):
        service.get_offer(session, "technicophone", "nope")


def test_the_legal_identity_is_split_into_its_fields_each_with_its_source(session, clock, actor):
    """TECHNICOPHONE CGV art. 2 L39-40: « la société TECHNICOPHONE (RCS 379 341 803 00029)
    domiciliée 4, Rue des Messagers – ZA de Châtenay –37210 Rochecorbon ». The RCS number is a
    SIRET: the SIREN is its first nine digits, the VAT number is computed from the SIREN."""
    service.load_built_in_catalogs(session, clock, actor)
    technicophone = service.get_operator(session, "technicophone")
    assert (technicophone.legal_name, technicophone.siret, technicophone.siren,
            technicophone.vat_number) == ("TECHNICOPHONE", "37934180300029", "379341803",
                                          "FR81379341803")
    assert (technicophone.address_lines, technicophone.postcode, technicophone.city,
            technicophone.country) == (["4, rue des Messagers", "ZA de Châtenay"], "37210",
                                       "Rochecorbon", "FR")
    assert technicophone.identity_sources == {
        "legal_name": "CGV art. 2 L39", "siret": "CGV art. 2 L39",
        "siren": "the SIRET's first nine digits",
        "vat_number": "computed from the SIREN (python-stdnum)",
        "address_lines": "CGV art. 2 L40", "postcode": "CGV art. 2 L40", "city": "CGV art. 2 L40",
        "country": "default: France", "iban": "demo", "bic": "demo"}
    # Ozone: the address of CGV art. 7.5 L213, no SIREN in the seed (a demo one).
    ozone = service.get_operator(session, "ozone")
    assert (ozone.legal_name, ozone.postcode, ozone.city) == ("OZONE SAS", "50220", "Poilley")
    assert ozone.identity_sources["siren"] == "demo"
    # Rozoh: the seed names COGELEC (R:20-24) and gives no SIREN or address: demo values.
    rozoh = service.get_operator(session, "rozoh")
    assert rozoh.legal_name == "COGELEC" and rozoh.identity_sources["legal_name"] == "R:20-24"
    assert {rozoh.identity_sources[name] for name in ("siren", "address_lines", "city")} == {
        "demo"}


@pytest.mark.parametrize(("field", "item", "reason"), [
    ("siret", {"value": "379 341 803 00028", "src": "CGV art. 2 L39"},
     "is not a valid SIRET (14 digits, Luhn key)"),
    ("vat_number", {"value": "FR12379341803", "src": "CGV art. 2 L39"},
     "is not a valid French VAT number"),
    ("iban", {"value": "FR7630006000011234567890188", "demo": True}, "is not a valid IBAN"),
    ("postcode", {"value": "3721", "src": "CGV art. 2 L40"}, "is not a French postcode"),
])
def test_a_bad_identity_value_is_refused_naming_its_field(session, clock, actor, tmp_path,
                                                          field, item, reason):
    def spoil(document):
        document["operator"]["legal_identity"][field] = item

    with pytest.raises(InvalidInput) as refused:
        service.load_catalog(session, clock, actor, _rewrite(
            service.DATA_DIR / "technicophone.yaml", tmp_path / "t.yaml", spoil))
    [problem] = refused.value.problems
    assert problem.field == f"operator.legal_identity.{field}" and reason in problem.reason
    assert service.list_operators(session) == []


def test_an_identity_value_must_cite_its_clause_or_say_it_is_a_demo(session, clock, actor,
                                                                   tmp_path):
    def unsourced(document):
        document["operator"]["legal_identity"]["city"] = {"value": "Tours"}

    with pytest.raises(InvalidInput) as refused:
        service.load_catalog(session, clock, actor, _rewrite(
            service.DATA_DIR / "technicophone.yaml", tmp_path / "t.yaml", unsourced))
    [problem] = refused.value.problems
    assert problem.field == "operator.legal_identity.city"
    assert "give either the clause it comes from (src) or demo: true" in problem.reason
