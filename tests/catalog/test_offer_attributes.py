"""The vocabulary of offer attributes (docs/CATALOGUE.md): a price list whose offers say
something nothing reads is refused when it loads, naming the offer and the key; the shipped
price lists say what their unlimited offers include in words rating reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clausier.catalog import service
from clausier.catalog.attributes import rating_attributes
from clausier.core.errors import InvalidInput
from clausier.rating.plans.rules import Bundle


def _price_list(tmp_path: Path, attributes: dict) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump({
        "operator": {"code": "acme", "name": "Acme", "sheet_id": "technicophone",
                     "customer_kind": "business", "price_basis": "HT", "invoice_prefix": "AC"},
        "offers": [{"code": "line", "family": "mobile", "name": "Line",
                    "attributes": attributes}]}))
    return path


@pytest.mark.parametrize(("attributes", "key"), [
    ({"bundle": {"unlimited": True}}, "bundle"),                        # the old, unread key
    ({"calls": "unlimited to French fixed lines"}, "calls"),            # prose is not a value
    ({"calls": "unlimited", "call_destinations": ["6"]}, "call_destinations"),
    ({"data_plan": "throttled"}, "data_plan"),
    ({"call_minutes": -1}, "call_minutes"),
])
def test_an_attribute_rating_cannot_read_refuses_the_price_list(tmp_path, attributes, key):
    with pytest.raises(InvalidInput) as refused:
        service.read_catalog_file(_price_list(tmp_path, attributes))
    assert any(p.field.startswith(f"offers.0.attributes.{key}") and "offer line" in p.reason
               for p in refused.value.problems), refused.value.problems


def test_a_pack_names_offers_of_its_own_file(tmp_path):
    with pytest.raises(InvalidInput, match="offer line: fibre is not an offer of this file"):
        service.read_catalog_file(_price_list(tmp_path, {"components": ["fibre"]}))


def _shipped(operator: str) -> dict:
    catalog = service.read_catalog_file(service.DATA_DIR / f"{operator}.yaml")
    return {offer.code: offer.attributes for offer in catalog.offers}


def test_technicophone_unlimited_mobile_offers_include_calls_sms_and_throttled_data():
    """CP IX §15 L7071-7082: the monthly fee includes fixed and mobile national calls and
    national SMS; L7101-7103: beyond the fair use of an unlimited plan, data is throttled
    in France and cut in roaming (not billed)."""
    offers = _shipped("technicophone")
    five = Bundle.of(rating_attributes(offers["mobile_voice_5g"]))
    assert (five.unlimited, five.sms_included, five.data_mb, five.data_plan) == (
        True, True, 5000, "unlimited")
    assert Bundle.of(rating_attributes(offers["mobile_voice_50g"])).data_mb == 50000
    # CP I §8 L1716-1718: VGA lines include calls only when the order says so
    assert not Bundle.of(rating_attributes(offers["vga_analogue_line"])).includes_anything


def test_ozone_offers_include_what_their_names_promise():
    offers = _shipped("ozone")
    voip = Bundle.of(rating_attributes(offers["voip_line"]))
    assert (voip.unlimited, voip.destinations) == (True, ("01", "02", "03", "04", "05", "09"))
    assert Bundle.of(rating_attributes(offers["mobile_unlimited_20g"])).unlimited
    two_hours = Bundle.of(rating_attributes(offers["mobile_2h"]))
    assert (two_hours.unlimited, two_hours.minutes) == (False, 120)


def test_every_shipped_unlimited_offer_reads_as_unlimited():
    """No offer named "unlimited" whose calls rating would bill."""
    for operator in ("technicophone", "ozone", "rozoh"):
        catalog = service.read_catalog_file(service.DATA_DIR / f"{operator}.yaml")
        for offer in catalog.offers:
            if "unlimited" in offer.name.lower():
                assert rating_attributes(offer.attributes).calls == "unlimited", offer.code
