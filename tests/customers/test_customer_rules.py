"""Customer identity rules: SIREN/SIRET/VAT checks (python-stdnum), household vs company,
contact roles, e-mail/phone normalisation and numbering zones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import tva

from clausier.core.errors import RuleRefusal
from clausier.customers import rules
from clausier.customers.rules import Identity

# Technicophone's own identifier: "RCS 379 341 803 00029" (CGV art. 1 L39) is a SIRET whose
# first nine digits are the SIREN.
TECHNICOPHONE_SIRET = "37934180300029"
TECHNICOPHONE_SIREN = "379341803"


def test_the_seed_identifier_of_technicophone_is_a_valid_siret_of_its_siren():
    assert rules.check_siren("379 341 803") == TECHNICOPHONE_SIREN
    assert rules.check_siret("379 341 803 00029", TECHNICOPHONE_SIREN) == TECHNICOPHONE_SIRET


@pytest.mark.parametrize("value, reason", [
    ("379341804", "fails its check digit"),
    ("37934180", "must have 9 digits"),
    ("37934180A", "must contain digits only"),
])
def test_an_invalid_siren_is_refused_with_its_reason(value, reason):
    with pytest.raises(RuleRefusal) as refused:
        rules.check_siren(value)
    assert refused.value.field == "siren"
    assert reason in refused.value.reason


@pytest.mark.parametrize("value, siren, reason", [
    ("37934180300028", TECHNICOPHONE_SIREN, "fails its check digit"),
    ("3793418030002", TECHNICOPHONE_SIREN, "must have 14 digits"),
    ("81234567600017", TECHNICOPHONE_SIREN, "does not start with the SIREN 379341803"),
])
def test_an_invalid_siret_is_refused_with_its_reason(value, siren, reason):
    with pytest.raises(RuleRefusal) as refused:
        rules.check_siret(value, siren)
    assert refused.value.field == "siret"
    assert reason in refused.value.reason


def test_the_french_vat_number_is_derived_from_the_siren():
    # key = (12 + 3 × (379341803 mod 97)) mod 97 = 81
    assert rules.vat_number_for(TECHNICOPHONE_SIREN) == "FR81379341803"
    assert rules.check_vat_number("FR 81 379 341 803", TECHNICOPHONE_SIREN) == "FR81379341803"


@pytest.mark.parametrize("value, reason", [
    ("FR82379341803", "fails its check digit"),
    ("FR19812345676", "does not carry the SIREN 379341803"),
    ("FR81379", "wrong number of digits"),
])
def test_an_inconsistent_vat_number_is_refused(value, reason):
    with pytest.raises(RuleRefusal) as refused:
        rules.check_vat_number(value, TECHNICOPHONE_SIREN)
    assert refused.value.field == "vat_number"
    assert reason in refused.value.reason


def test_a_vat_number_of_another_eu_country_is_accepted():
    assert rules.check_vat_number("BE0403019261", None) == "BE0403019261"


@given(st.integers(min_value=10_000_000, max_value=99_999_999))
def test_every_siren_with_its_luhn_key_gives_a_valid_vat_number(base):
    siren = f"{base}{luhn.calc_check_digit(str(base))}"
    assert rules.check_siren(siren) == siren
    assert tva.is_valid(rules.vat_number_for(siren))
    assert tva.to_siren(rules.vat_number_for(siren)) == siren


def test_a_household_has_no_siren():
    with pytest.raises(RuleRefusal) as refused:
        rules.check_identity(Identity("household", "other", siren=TECHNICOPHONE_SIREN), "consumer")
    assert str(refused.value) == "siren: a household has none (only companies do)"


def test_a_french_company_needs_its_siren():
    with pytest.raises(RuleRefusal) as refused:
        rules.check_identity(Identity("company", "tertiary"), "business")
    assert refused.value.field == "siren"


def test_a_foreign_company_may_have_no_siren():
    identity = rules.check_identity(Identity("company", "industrial", country="be"), "business")
    assert identity.country == "BE" and identity.siren is None


def test_the_operator_customer_kind_decides_who_may_be_a_customer():
    # Ozone sells to consumers only (its CGV: domestic, personal use)
    with pytest.raises(RuleRefusal) as refused:
        rules.check_identity(Identity("company", "tertiary", siren=TECHNICOPHONE_SIREN), "consumer")
    assert refused.value.field == "kind"


def test_category_must_be_one_of_the_four():
    with pytest.raises(RuleRefusal) as refused:
        rules.check_identity(Identity("company", "retail", siren=TECHNICOPHONE_SIREN), "business")
    assert "public_body, tertiary, industrial, other" in str(refused.value)


def test_contact_roles_are_checked_and_deduplicated():
    assert rules.check_roles(["incident_reporter", "billing", "billing"]) == [
        "billing", "incident_reporter"]
    with pytest.raises(RuleRefusal) as refused:
        rules.check_roles(["boss"])
    assert refused.value.field == "roles"


def test_phone_numbers_are_normalised_to_the_international_format():
    # Technicophone's reporting line as the seed writes it: "0247406000" (CP Internet L2550-2554)
    assert rules.normalise_phone("0247406000") == "+33 2 47 40 60 00"
    assert rules.normalise_phone("+33 (0)2 47 40 60 00") == "+33 2 47 40 60 00"
    with pytest.raises(RuleRefusal) as refused:
        rules.normalise_phone("0247", "phone")
    assert refused.value.field == "phone"


def test_emails_are_lowercased_and_checked():
    assert rules.normalise_email(" Telecom@Technicophone.FR ") == "telecom@technicophone.fr"
    with pytest.raises(RuleRefusal):
        rules.normalise_email("telecom.technicophone.fr")


@pytest.mark.parametrize("postcode, zone", [
    ("37210", "02"),   # Rochecorbon, Technicophone's seat (CGV art. 1 L40)
    ("50220", "02"),   # Poilley, Ozone's seat
    ("75009", "01"), ("59000", "03"), ("69002", "04"), ("20000", "04"), ("20200", "04"),
    ("33000", "05"), ("17000", "05"), ("97400", "02"), ("97200", "05"),
])
def test_the_numbering_zone_comes_from_the_department(postcode, zone):
    assert rules.numbering_zone(postcode) == zone


def test_an_explicit_numbering_zone_wins_and_is_checked():
    assert rules.numbering_zone("37210", explicit="04") == "04"
    with pytest.raises(RuleRefusal) as refused:
        rules.numbering_zone("37210", explicit="09")
    assert refused.value.field == "numbering_zone"


def test_a_site_abroad_has_no_numbering_zone_and_a_bad_postcode_is_refused():
    assert rules.numbering_zone("1000", country="BE") == ""
    with pytest.raises(RuleRefusal) as refused:
        rules.numbering_zone("3721")
    assert refused.value.field == "postcode"


def test_every_metropolitan_department_has_one_zone():
    metropolitan = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
    assert all(rules.ZONE_OF_DEPARTMENT[d] in rules.NUMBERING_ZONES for d in metropolitan)
