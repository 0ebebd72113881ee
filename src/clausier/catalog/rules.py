"""An operator's legal identity as its invoices carry it (*mentions obligatoires* of the seller):
checked with python-stdnum (SIREN, SIRET, intra-community VAT number) and schwifty (IBAN, BIC).
Pure: values in, a checked identity or an error naming the field out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import auto

from stdnum import exceptions as stdnum_errors
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.fr import tva as fr_tva

from clausier.core.errors import RefusalCode, RuleRefusal

# Where a computed value comes from, as the operator's page shows it.
SIREN_FROM_SIRET = "the SIRET's first nine digits"
VAT_FROM_SIREN = "computed from the SIREN (python-stdnum)"
BIC_FROM_IBAN = "the bank of the IBAN (schwifty)"
COUNTRY_DEFAULT = "default: France"

# What an invoice cannot be issued without: the seller's name (EN 16931 BT-27), SIREN (BT-30,
# BR-CO-26; C. com. art. R123-237), VAT identifier (BT-31, BR-S-02; CGI art. 242 nonies A),
# postal address (BT-35, BT-37, BT-38, BT-40) and the account a transfer pays (BT-84, BT-86).
SELLER_REQUIRED = ("legal_name", "siren", "vat_number", "address_lines", "postcode", "city",
                   "country", "iban", "bic")


class Refused(RefusalCode):
    """What the seller's legal identity refuses (catalog.service says it as invalid input)."""

    seller_siret_not_of_the_siren = auto()
    seller_vat_number_not_of_the_siren = auto()
    seller_country_malformed = auto()
    seller_postcode_malformed = auto()
    seller_address_too_long = auto()
    seller_identifier_invalid = auto()
    seller_iban_missing = auto()
    seller_iban_invalid = auto()
    seller_bic_unknown_for_bank = auto()
    seller_bic_invalid = auto()


@dataclass(frozen=True)
class LegalIdentity:
    legal_name: str = ""
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    address_lines: tuple[str, ...] = ()
    postcode: str = ""
    city: str = ""
    country: str = "FR"
    iban: str = ""
    bic: str = ""

    def postal_lines(self) -> list[str]:
        """The address as printed: its lines, then postcode and city (and a foreign country)."""
        town = " ".join(part for part in (self.postcode, self.city) if part)
        country = [] if self.country == "FR" else [self.country]
        return [*self.address_lines, *([town] if town else []), *country]


def missing_seller_fields(identity: LegalIdentity) -> list[str]:
    """The mandatory seller fields an operator has not given yet, in the order of the invoice."""
    return [name for name in SELLER_REQUIRED if not getattr(identity, name)]


def checked_identity(values: dict, field_prefix: str = "") -> tuple[LegalIdentity, dict[str, str]]:
    """The identity from raw values (blank ones absent) with the source of each value that was
    derived rather than given: the SIREN from the SIRET, the VAT number from the SIREN, the BIC
    from the IBAN. Bad values raise :class:`RuleRefusal` naming ``field_prefix + field``."""
    derived: dict[str, str] = {}

    def field(name: str) -> str:
        return f"{field_prefix}{name}"

    def text(name: str) -> str:
        return " ".join(str(values.get(name) or "").split())

    siret = text("siret")
    if siret:
        siret = _stdnum(fr_siret, siret, field("siret"), "SIRET (14 digits, Luhn key)")
    siren = text("siren")
    if siren:
        siren = _stdnum(fr_siren, siren, field("siren"), "SIREN (9 digits, Luhn key)")
        if siret and not siret.startswith(siren):
            raise RuleRefusal(Refused.seller_siret_not_of_the_siren, field("siret"),
                              f"{siret} does not start with the SIREN {siren}")
    elif siret:
        siren, derived["siren"] = siret[:9], SIREN_FROM_SIRET
    vat_number = text("vat_number").replace(" ", "").upper()
    if vat_number:
        # python-stdnum gives numbers without their country prefix
        vat_number = "FR" + _stdnum(fr_tva, vat_number, field("vat_number"),
                                    "French VAT number (FR, key, SIREN)")
        if siren and fr_tva.to_siren(vat_number) != siren:
            raise RuleRefusal(Refused.seller_vat_number_not_of_the_siren, field("vat_number"),
                              f"{vat_number} does not carry the SIREN {siren}")
    elif siren:
        vat_number, derived["vat_number"] = "FR" + fr_siren.to_tva(siren), VAT_FROM_SIREN
    country = text("country").upper() or "FR"
    if not values.get("country"):
        derived["country"] = COUNTRY_DEFAULT
    if len(country) != 2 or not country.isalpha():
        raise RuleRefusal(Refused.seller_country_malformed, field("country"),
                          f"{country!r} is not a two-letter ISO country code")
    postcode = text("postcode")
    if postcode and country == "FR" and not (len(postcode) == 5 and postcode.isdigit()):
        raise RuleRefusal(Refused.seller_postcode_malformed, field("postcode"),
                          f"{postcode!r} is not a French postcode (5 digits)")
    lines = values.get("address_lines") or []
    if isinstance(lines, str):
        lines = lines.splitlines()
    address_lines = tuple(" ".join(line.split()) for line in lines if line.strip())
    if len(address_lines) > 3:
        raise RuleRefusal(Refused.seller_address_too_long, field("address_lines"),
                          "at most 3 lines (EN 16931 BT-35, BT-36, "
                          "BT-162), postcode and city apart")
    iban, bic = _bank(text("iban"), text("bic"), field, derived)
    identity = LegalIdentity(
        legal_name=text("legal_name"), siren=siren, siret=siret, vat_number=vat_number,
        address_lines=address_lines, postcode=postcode, city=text("city"), country=country,
        iban=iban, bic=bic)
    return identity, derived


def _stdnum(module, value: str, field_name: str, what: str) -> str:
    try:
        return module.validate(value)
    except stdnum_errors.ValidationError as exc:
        raise RuleRefusal(Refused.seller_identifier_invalid, field_name,
                          f"{value!r} is not a valid {what}: {exc.message}") from None


def _bank(iban_text: str, bic_text: str, field, derived: dict[str, str]) -> tuple[str, str]:
    # schwifty loads its bank registry on import: only when bank details are checked.
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException

    if not iban_text:
        if bic_text:
            raise RuleRefusal(Refused.seller_iban_missing, field("iban"), "required with a BIC")
        return "", ""
    try:
        iban = IBAN(iban_text)
    except SchwiftyException as exc:
        raise RuleRefusal(Refused.seller_iban_invalid, field("iban"),
                          f"{iban_text!r} is not a valid IBAN ({exc})") from None
    if not bic_text:
        if iban.bic is None:
            raise RuleRefusal(Refused.seller_bic_unknown_for_bank, field("bic"),
                              f"required: no BIC is known for {iban.compact}")
        derived["bic"] = BIC_FROM_IBAN
        return iban.compact, str(iban.bic)
    try:
        return iban.compact, str(BIC(bic_text))
    except SchwiftyException as exc:
        raise RuleRefusal(Refused.seller_bic_invalid, field("bic"),
                          f"{bic_text!r} is not a valid BIC ({exc})") from None
