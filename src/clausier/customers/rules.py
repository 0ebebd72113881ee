"""Checking and normalising customer data. Pure: no database, no clock, no I/O.

French company identifiers are checked with python-stdnum: the SIREN (9 digits, Luhn key), the
SIRET (SIREN + 5-digit establishment number, Luhn key) and the intra-EU VAT number (for France
``FR`` + 2-digit key + SIREN). Every refusal names the field and the reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import auto

import phonenumbers
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from clausier.core.errors import RefusalCode, RuleRefusal

KINDS = ("company", "household")
CATEGORIES = ("public_body", "tertiary", "industrial", "other")
CONTACT_ROLES = ("contract_follow_up", "billing", "incident_reporter")
NUMBERING_ZONES = ("01", "02", "03", "04", "05")

# Operator customer kinds (catalog) -> the customer kinds they sell to.
KINDS_FOR_OPERATOR = {"business": ("company",), "consumer": ("household",),
                      "mixed": ("company", "household")}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A reference (customer number, subscription number) as staff type it and documents print it.
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]{0,39}")


class Refused(RefusalCode):
    """What the customer rules refuse (customers.service says it as invalid input)."""

    siren_malformed = auto()
    siret_malformed = auto()
    siret_not_of_the_siren = auto()
    vat_number_invalid = auto()
    vat_number_not_of_the_siren = auto()
    vat_number_key_wrong = auto()
    email_malformed = auto()
    phone_malformed = auto()
    phone_invalid = auto()
    contact_role_unknown = auto()
    reference_malformed = auto()
    choice_unknown = auto()
    customer_kind_not_sold = auto()
    country_malformed = auto()
    household_company_field = auto()
    household_category_not_other = auto()
    siren_missing = auto()
    postcode_malformed = auto()
    numbering_zone_unknown = auto()


def _reason(exc: stdnum_errors.ValidationError) -> str:
    if isinstance(exc, stdnum_errors.InvalidLength):
        return "has the wrong number of digits"
    if isinstance(exc, stdnum_errors.InvalidFormat):
        return "must contain digits only"
    if isinstance(exc, stdnum_errors.InvalidChecksum):
        return "fails its check digit (Luhn key): a digit is probably mistyped"
    if isinstance(exc, stdnum_errors.InvalidComponent):
        return "has a country code or key that does not fit"
    return str(exc)


def check_siren(value: str) -> str:
    """The SIREN without spaces, or a refusal naming the reason."""
    try:
        return fr_siren.validate(value)
    except stdnum_errors.ValidationError as exc:
        reason = _reason(exc)
        if isinstance(exc, stdnum_errors.InvalidLength):
            reason = "must have 9 digits"
        raise RuleRefusal(Refused.siren_malformed, "siren", f"{value!r} {reason}") from None


def check_siret(value: str, siren: str | None) -> str:
    """The SIRET without spaces; it must be valid and start with the customer's SIREN."""
    try:
        siret = fr_siret.validate(value)
    except stdnum_errors.ValidationError as exc:
        reason = _reason(exc)
        if isinstance(exc, stdnum_errors.InvalidLength):
            reason = "must have 14 digits"
        raise RuleRefusal(Refused.siret_malformed, "siret", f"{value!r} {reason}") from None
    if siren and not siret.startswith(siren):
        raise RuleRefusal(Refused.siret_not_of_the_siren, "siret",
                          f"{siret} does not start with the SIREN {siren}")
    return siret


def vat_number_for(siren: str) -> str:
    """The French VAT number of a SIREN: ``FR`` + key (12 + 3 × (SIREN mod 97)) mod 97 + SIREN."""
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def check_vat_number(value: str, siren: str | None) -> str:
    """A valid EU VAT number; a French one must carry the customer's SIREN and its key."""
    try:
        vat = eu_vat.validate(value)
    except stdnum_errors.ValidationError as exc:
        raise RuleRefusal(Refused.vat_number_invalid, "vat_number",
                          f"{value!r} {_reason(exc)}") from None
    if vat.startswith("FR") and siren:
        if vat[4:] != siren:
            raise RuleRefusal(Refused.vat_number_not_of_the_siren, "vat_number",
                              f"{vat} does not carry the SIREN {siren}")
        if vat[2:4].isdigit() and vat != vat_number_for(siren):
            raise RuleRefusal(Refused.vat_number_key_wrong, "vat_number",
                              f"{vat} has the wrong key for SIREN {siren} "
                              f"(expected {vat_number_for(siren)})")
    return vat


def normalise_email(value: str, field: str = "email") -> str:
    email = value.strip().lower()
    if email and not _EMAIL.match(email):
        raise RuleRefusal(Refused.email_malformed, field, f"{value!r} is not an e-mail address")
    return email


def normalise_phone(value: str, field: str = "phone", region: str = "FR") -> str:
    """International format (``+33 2 47 40 60 00``); French numbers may be written nationally."""
    text = value.strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise RuleRefusal(Refused.phone_malformed, field,
                          f"{value!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise RuleRefusal(Refused.phone_invalid, field, f"{value!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def check_roles(roles: list[str]) -> list[str]:
    unknown = [role for role in roles if role not in CONTACT_ROLES]
    if unknown:
        raise RuleRefusal(Refused.contact_role_unknown, "roles",
                          f"{unknown[0]!r} is not one of {', '.join(CONTACT_ROLES)}")
    return sorted(set(roles), key=CONTACT_ROLES.index)


def check_reference(value: str, field: str = "ref") -> str:
    """A customer or subscription reference: letters, digits and ``-_./``, at most 40."""
    ref = value.strip()
    if not _REFERENCE.fullmatch(ref):
        raise RuleRefusal(Refused.reference_malformed, field,
                          f"{ref!r} must be letters, digits, '-', '_', '.', '/' "
                          "(at most 40)")
    return ref


def check_choice(field: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise RuleRefusal(Refused.choice_unknown, field,
                          f"{value!r} is not one of {', '.join(choices)}")
    return value


@dataclass(frozen=True)
class Identity:
    """What a customer is: the fields the rules below check together."""

    kind: str
    category: str
    country: str = "FR"
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None


def check_identity(identity: Identity, operator_customer_kind: str) -> Identity:
    """Check the identity of a customer as a whole and return it normalised.

    A household has no SIREN, SIRET or VAT number; a French company has a SIREN; the SIRET and
    the VAT number agree with it; the operator sells to this kind of customer."""
    kind = check_choice("kind", identity.kind, KINDS)
    category = check_choice("category", identity.category, CATEGORIES)
    allowed = KINDS_FOR_OPERATOR.get(operator_customer_kind, KINDS)
    if kind not in allowed:
        raise RuleRefusal(Refused.customer_kind_not_sold, "kind",
                          f"this operator sells to {' or '.join(allowed)} customers "
                          f"only, not to a {kind}")
    country = identity.country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise RuleRefusal(Refused.country_malformed, "country",
                          f"{identity.country!r} is not a 2-letter country code")
    if kind == "household":
        for name in ("siren", "siret", "vat_number"):
            if getattr(identity, name):
                raise RuleRefusal(Refused.household_company_field, name,
                                  "a household has none (only companies do)")
        if category != "other":
            raise RuleRefusal(Refused.household_category_not_other, "category",
                              "a household's category is 'other'")
        return Identity(kind, category, country)
    siren = check_siren(identity.siren) if identity.siren else None
    if country == "FR" and siren is None:
        raise RuleRefusal(Refused.siren_missing, "siren", "a French company needs its SIREN")
    siret = check_siret(identity.siret, siren) if identity.siret else None
    vat = check_vat_number(identity.vat_number, siren) if identity.vat_number else None
    return Identity(kind, category, country, siren, siret, vat)


# --------------------------------------------------------------------------- numbering zones

# Geographic prefixes of the French numbering plan (ARCEP): 01 Île-de-France, 02 North-West,
# 03 North-East, 04 South-East, 05 South-West, by department (overseas: 0262/0269 are in 02,
# 0590/0594/0596/0508 in 05).
_ZONE_DEPARTMENTS = {
    "01": "75 77 78 91 92 93 94 95",
    "02": "14 18 22 27 28 29 35 36 37 41 44 45 49 50 53 56 61 72 76 85 974 976",
    "03": "02 08 10 21 25 39 51 52 54 55 57 58 59 60 62 67 68 70 71 80 88 89 90",
    "04": "01 03 04 05 06 07 11 13 15 26 2A 2B 30 34 38 42 43 48 63 66 69 73 74 83 84",
    "05": "09 12 16 17 19 23 24 31 32 33 40 46 47 64 65 79 81 82 86 87 971 972 973 975 977 978",
}
ZONE_OF_DEPARTMENT = {department: zone for zone, departments in _ZONE_DEPARTMENTS.items()
                      for department in departments.split()}


def department_of(postcode: str) -> str:
    """The department of a French postcode (Corsica 20xxx: 2A below 20200, else 2B)."""
    code = postcode.strip().replace(" ", "")
    if not re.fullmatch(r"\d{5}", code):
        raise RuleRefusal(Refused.postcode_malformed, "postcode",
                          f"{postcode!r} is not a French postcode (5 digits)")
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def numbering_zone(postcode: str, country: str = "FR", explicit: str | None = None) -> str:
    """The geographic prefix (01–05) of a site: the explicit value if given, else derived from
    the postcode's department; empty for a site outside France."""
    if explicit:
        return check_choice("numbering_zone", explicit.strip(), NUMBERING_ZONES)
    if country.upper() != "FR" or not postcode.strip():
        return ""
    department = department_of(postcode)
    zone = ZONE_OF_DEPARTMENT.get(department)
    if zone is None:
        raise RuleRefusal(Refused.numbering_zone_unknown, "postcode",
                          f"department {department} has no geographic prefix; "
                          "give the numbering zone explicitly")
    return zone
