"""Use cases of the catalogue: load a price list (idempotently), read operators, offers and
equipment kinds, change an offer."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from clausier.audit.service import Actor, changes_between, record
from clausier.catalog import attributes as offer_attributes
from clausier.catalog import rules
from clausier.catalog.models import EquipmentKind, Offer, OfferOption, Operator
from clausier.core.clock import Clock
from clausier.core.errors import InvalidInput, NotFound, Problem, RuleRefusal
from clausier.core.money import money
from clausier.db.lookup import get_or_not_found
from clausier.terms import service as terms

DATA_DIR = Path(__file__).parent / "data"
IDENTITY_FIELDS = tuple(rules.LegalIdentity.__dataclass_fields__)


# --------------------------------------------------------------------------- the price-list file

class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _amount(value: object) -> Decimal:
    amount = money(value, field="price")
    if amount < 0:
        raise ValueError("a price cannot be negative")
    return amount


class IdentityValue(_Entry):
    """One value of the legal identity with where it comes from: the seed's clause (``src``) or
    a value invented for the demonstration (``demo: true``), never neither."""

    value: str | list[str]
    src: str = ""
    demo: bool = False

    @model_validator(mode="after")
    def _sourced(self) -> IdentityValue:
        if bool(self.src.strip()) == self.demo:
            raise ValueError("give either the clause it comes from (src) or demo: true")
        return self

    @property
    def source(self) -> str:
        return "demo" if self.demo else self.src.strip()


class OperatorEntry(_Entry):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    legal_identity: dict[Literal[IDENTITY_FIELDS], IdentityValue] = {}  # type: ignore[valid-type]
    email: str = ""
    phone: str = ""
    sheet_id: str
    customer_kind: Literal["business", "consumer", "mixed"]
    price_basis: Literal["HT", "TTC"]
    invoice_prefix: str = Field(min_length=1, max_length=10)


class OfferEntry(_Entry):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    family: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    kind: Literal["service", "option", "pack"] = "service"
    unit: str = "subscription"
    monthly_fee: Decimal = Decimal("0.00")
    access_fee: Decimal = Decimal("0.00")
    one_off_price: Decimal = Decimal("0.00")
    price_basis: Literal["HT", "TTC"] | None = None      # default: the operator's
    vat_rate: str = "normal"
    commitment_months: int | None = Field(default=None, ge=0)
    attributes: dict = {}
    options: list[str] = []
    demo: bool = True
    price_source: str = ""
    active: bool = True
    description: str = ""

    @field_validator("monthly_fee", "access_fee", "one_off_price", mode="before")
    @classmethod
    def _amounts(cls, value: object) -> Decimal:
        return _amount(value)


class EquipmentEntry(_Entry):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    replacement_value: Decimal = Decimal("0.00")
    sale_price: Decimal = Decimal("0.00")
    monthly_rent: Decimal = Decimal("0.00")
    price_basis: Literal["HT", "TTC"] | None = None
    serialised: bool = True
    demo: bool = True
    price_source: str = ""

    @field_validator("replacement_value", "sale_price", "monthly_rent", mode="before")
    @classmethod
    def _amounts(cls, value: object) -> Decimal:
        return _amount(value)


class CatalogFile(_Entry):
    operator: OperatorEntry
    offers: list[OfferEntry] = []
    equipment: list[EquipmentEntry] = []


def read_catalog_file(path: Path) -> CatalogFile:
    """Parse and check a price-list file; every problem names its place in the file."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput.on("path", f"{path}: file not found",
                              code="price_list_file_missing") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidInput(f"{path}: not valid YAML ({exc})", problems=[
            Problem(str(path), "not valid YAML", mark.line + 1 if mark else None)],
                           code="price_list_not_yaml") from None
    try:
        catalog = CatalogFile.model_validate(document)
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in error["loc"]), error["msg"])
                    for error in exc.errors()]
        raise InvalidInput(f"{path}: " + "; ".join(str(p) for p in problems[:5]),
                           problems=problems, code="price_list_invalid") from None
    _check_consistency(catalog, path)
    return catalog


def _check_consistency(catalog: CatalogFile, path: Path) -> None:
    problems: list[Problem] = []
    codes = [offer.code for offer in catalog.offers]
    for index, offer in enumerate(catalog.offers):
        if codes.count(offer.code) > 1:
            problems.append(Problem(f"offers.{index}.code", f"{offer.code} is listed twice"))
        for option in offer.options:
            if option not in codes:
                problems.append(Problem(f"offers.{index}.options",
                                        f"{option} is not an offer of this file"))
        for key, reason in offer_attributes.attribute_problems(offer.attributes):
            problems.append(Problem(f"offers.{index}.attributes.{key}",
                                    f"offer {offer.code}, attribute {key}: {reason}"))
        for component in offer.attributes.get("components") or ():
            if component not in codes:
                problems.append(Problem(f"offers.{index}.attributes.components",
                                        f"offer {offer.code}: {component} is not an offer of this file"))
        if not offer.demo and not offer.price_source:
            problems.append(Problem(f"offers.{index}.price_source",
                                    "a price that is not a demo price must cite its clause"))
    for index, kind in enumerate(catalog.equipment):
        if not kind.demo and not kind.price_source:
            problems.append(Problem(f"equipment.{index}.price_source",
                                    "a price that is not a demo price must cite its clause"))
    if problems:
        raise InvalidInput(f"{path}: " + "; ".join(str(p) for p in problems[:5]),
                           problems=problems, code="price_list_invalid")


# --------------------------------------------------------------------------- loading

@dataclass
class CatalogLoad:
    """What a load did: counts per kind of object."""

    operator: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deactivated: int = 0

    def count(self, bucket: dict[str, int], what: str) -> None:
        bucket[what] = bucket.get(what, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


def _upsert(session: Session, clock: Clock, actor: Actor, result: CatalogLoad, existing,
            model: type, values: dict, what: str, label: str, keep_existing: bool = False):
    """Create ``model`` from ``values`` or, unless ``keep_existing``, update ``existing``;
    audit what changed."""
    if existing is None:
        created = model(**values)
        session.add(created)
        record(session, clock, actor, f"{what}.create", created, label, changes=values)
        result.count(result.created, what)
        return created
    if keep_existing:
        return existing
    before = {name: getattr(existing, name) for name in values}
    changes = changes_between(before, values)
    if changes:
        for name, (_, after) in changes.items():
            setattr(existing, name, after)
        record(session, clock, actor, f"{what}.update", existing, label, changes=changes)
        result.count(result.updated, what)
    return existing


def load_catalog(session: Session, clock: Clock, actor: Actor, path: Path,
                 keep_existing: bool = False) -> CatalogLoad:
    """Upsert an operator's price list by codes. Reloading the same file changes nothing; a
    changed price is updated with an audit entry; an offer no longer listed is deactivated.

    With ``keep_existing`` only what the database lacks is added: an operator, offer or
    equipment kind already stored keeps its values and options, and nothing is deactivated."""
    catalog = read_catalog_file(path)
    entry = catalog.operator
    result = CatalogLoad(operator=entry.code)
    operator = _upsert(session, clock, actor, result,
                       session.scalar(select(Operator).where(Operator.code == entry.code)),
                       Operator, _operator_values(entry, path), "operator", entry.code,
                       keep_existing)
    session.flush()

    offers: dict[str, Offer] = {}
    created_offers: set[str] = set()
    for offer_entry in catalog.offers:
        values = offer_entry.model_dump(exclude={"options"})
        values["price_basis"] = offer_entry.price_basis or entry.price_basis
        values["operator_id"] = operator.id
        existing = session.scalar(select(Offer).where(Offer.operator_id == operator.id,
                                                      Offer.code == offer_entry.code))
        if existing is None:
            created_offers.add(offer_entry.code)
        offers[offer_entry.code] = _upsert(session, clock, actor, result, existing, Offer, values,
                                           "offer", f"{entry.code}/{offer_entry.code}",
                                           keep_existing)
    session.flush()
    _link_options(session, clock, actor, result, catalog, offers,
                  created_offers if keep_existing else set(offers))
    if not keep_existing:
        _deactivate_missing(session, clock, actor, result, operator, set(offers))

    for kind_entry in catalog.equipment:
        values = kind_entry.model_dump()
        values["price_basis"] = kind_entry.price_basis or entry.price_basis
        values["operator_id"] = operator.id
        existing = session.scalar(select(EquipmentKind).where(
            EquipmentKind.operator_id == operator.id, EquipmentKind.code == kind_entry.code))
        _upsert(session, clock, actor, result, existing, EquipmentKind, values,
                "equipment_kind", f"{entry.code}/{kind_entry.code}", keep_existing)
    session.flush()
    return result


def _operator_values(entry: OperatorEntry, path: Path) -> dict:
    """The operator's columns: its entry, the legal identity checked (derived values filled in)
    and the source of each identity value."""
    given = {name: item.value for name, item in entry.legal_identity.items()}
    try:
        identity, derived = rules.checked_identity(given, field_prefix="operator.legal_identity.")
    except RuleRefusal as exc:
        error = exc.as_invalid_input()
        raise InvalidInput(f"{path}: {error.message}", problems=error.problems, code=error.code,
                           clause=error.clause) from None
    sources = {name: item.source for name, item in entry.legal_identity.items()}
    values = {name: getattr(identity, name) for name in IDENTITY_FIELDS}
    values["address_lines"] = list(identity.address_lines)
    return {**entry.model_dump(exclude={"legal_identity"}), **values,
            "identity_sources": {**derived, **sources}}


def _link_options(session: Session, clock: Clock, actor: Actor, result: CatalogLoad,
                  catalog: CatalogFile, offers: dict[str, Offer], linked: set[str]) -> None:
    """Give each offer of ``linked`` the options the file lists for it."""
    for offer_entry in catalog.offers:
        if offer_entry.code not in linked:
            continue
        offer = offers[offer_entry.code]
        wanted = {offers[code].id for code in offer_entry.options}
        links = session.scalars(select(OfferOption).where(OfferOption.offer_id == offer.id)).all()
        current = {link.option_id for link in links}
        if wanted == current:
            continue
        for link in links:
            if link.option_id not in wanted:
                session.delete(link)
        for option_id in wanted - current:
            session.add(OfferOption(offer_id=offer.id, option_id=option_id))
        record(session, clock, actor, "offer.options", offer, offer.code,
               changes={"options": [sorted(current), sorted(wanted)]})
        result.count(result.updated if current else result.created, "offer_options")


def _deactivate_missing(session: Session, clock: Clock, actor: Actor, result: CatalogLoad,
                        operator: Operator, listed: set[str]) -> None:
    # Offers are never deleted: subscriptions keep pointing at them.
    for offer in session.scalars(select(Offer).where(Offer.operator_id == operator.id,
                                                     Offer.active.is_(True))):
        if offer.code not in listed:
            offer.active = False
            record(session, clock, actor, "offer.deactivate", offer, offer.code,
                   changes={"active": [True, False]})
            result.deactivated += 1


def built_in_paths() -> list[Path]:
    return sorted(DATA_DIR.glob("*.yaml"))


def load_built_in_catalogs(session: Session, clock: Clock, actor: Actor) -> list[CatalogLoad]:
    return [load_catalog(session, clock, actor, path) for path in built_in_paths()]


@dataclass
class BuiltinsInstall:
    """What ``install_builtins`` found and what it added."""

    sheets: list[str] = field(default_factory=list)       # every built-in version, "ozone v1"
    sheets_added: int = 0
    operators: list[str] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)   # kind of object -> how many created

    @property
    def changed(self) -> bool:
        return bool(self.sheets_added or self.added)


def install_builtins(session: Session, clock: Clock, actor: Actor) -> BuiltinsInstall:
    """The reference data a database needs before its first customer: the built-in term sheets,
    then the operators with their price lists (``clausier db upgrade`` runs it; the demo builds
    on it). Only what is missing is added: a second run changes nothing, and a price changed
    since in the back office stays (``clausier catalog load FILE`` applies a new price list)."""
    versions_before = len(terms.list_versions(session))
    sheets = terms.load_built_in_sheets(session, clock, actor)
    report = BuiltinsInstall(sheets=[f"{s.sheet_id} v{s.version}" for s in sheets])
    report.sheets_added = len(terms.list_versions(session)) - versions_before
    for path in built_in_paths():
        load = load_catalog(session, clock, actor, path, keep_existing=True)
        report.operators.append(load.operator)
        for what, count in load.created.items():
            report.added[what] = report.added.get(what, 0) + count
    return report


# --------------------------------------------------------------------------- reading

def list_operators(session: Session) -> list[Operator]:
    return list(session.scalars(select(Operator).order_by(Operator.name)))


def get_operator(session: Session, code: str) -> Operator:
    operator = session.scalar(select(Operator).where(Operator.code == code))
    if operator is None:
        known = ", ".join(o.code for o in list_operators(session)) or "none loaded"
        raise NotFound(f"operator: no operator {code!r} (known: {known})", resource="operator")
    return operator


def get_operator_by_id(session: Session, operator_id: int) -> Operator:
    operator = get_or_not_found(session, Operator, operator_id, resource="operator",
                                 message=f"operator: no operator with id {operator_id}")
    return operator


def list_offers(session: Session, operator: str | None = None, family: str | None = None,
                active: bool | None = True) -> list[Offer]:
    """Offers, optionally of one operator (code) and one family; ``active=None`` lists all."""
    query = (select(Offer).join(Operator).options(selectinload(Offer.operator))
             .order_by(Operator.name, Offer.family, Offer.kind.desc(), Offer.code))
    if operator is not None:
        query = query.where(Operator.code == get_operator(session, operator).code)
    if family is not None:
        query = query.where(Offer.family == family)
    if active is not None:
        query = query.where(Offer.active.is_(active))
    return list(session.scalars(query))


def get_offer(session: Session, operator_code: str, code: str) -> Offer:
    operator = get_operator(session, operator_code)
    offer = session.scalar(select(Offer).where(Offer.operator_id == operator.id,
                                               Offer.code == code))
    if offer is None:
        raise NotFound(f"offer: {operator_code} has no offer {code!r}", resource="offer")
    return offer


def get_offer_by_id(session: Session, offer_id: int) -> Offer:
    offer = get_or_not_found(session, Offer, offer_id, resource="offer",
                              message=f"offer: no offer with id {offer_id}")
    return offer


def options_of(session: Session, offer: Offer) -> list[Offer]:
    """The options that may be added to ``offer``."""
    return list(session.scalars(
        select(Offer).join(OfferOption, OfferOption.option_id == Offer.id)
        .where(OfferOption.offer_id == offer.id).order_by(Offer.code)))


def list_equipment_kinds(session: Session, operator: str | None = None) -> list[EquipmentKind]:
    query = select(EquipmentKind).join(Operator, EquipmentKind.operator_id == Operator.id)
    if operator is not None:
        query = query.where(Operator.code == get_operator(session, operator).code)
    return list(session.scalars(query.order_by(Operator.name, EquipmentKind.code)))


def get_equipment_kind(session: Session, operator_code: str, code: str) -> EquipmentKind:
    operator = get_operator(session, operator_code)
    kind = session.scalar(select(EquipmentKind).where(EquipmentKind.operator_id == operator.id,
                                                      EquipmentKind.code == code))
    if kind is None:
        raise NotFound(f"equipment_kind: {operator_code} has no equipment kind {code!r}",
                       resource="equipment_kind")
    return kind


# --------------------------------------------------------------------------- changing

OFFER_EDITABLE = ("name", "description", "monthly_fee", "access_fee", "one_off_price", "active")


def update_offer(session: Session, clock: Clock, actor: Actor, offer_id: int,
                 **values: object) -> Offer:
    """Change an offer's name, description, prices or active flag (audited)."""
    offer = get_offer_by_id(session, offer_id)
    unknown = set(values) - set(OFFER_EDITABLE)
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput.on(name, "cannot be changed here "
                                    f"(editable: {', '.join(OFFER_EDITABLE)})",
                              code="offer_field_not_editable")
    for name in ("monthly_fee", "access_fee", "one_off_price"):
        if name in values:
            amount = money(values[name], field=name)
            if amount < 0:
                raise InvalidInput.on(name, "a price cannot be negative",
                                      code="offer_price_negative")
            values[name] = amount
    before = {name: getattr(offer, name) for name in values}
    changes = changes_between(before, values)
    for name, (_, after) in changes.items():
        setattr(offer, name, after)
    if changes:
        record(session, clock, actor, "offer.update", offer, offer.code, changes=changes)
    return offer


def family_titles(session: Session, operator: Operator) -> dict[str, str]:
    """Family key -> schedule title, from the operator's term sheet when it is loaded."""
    try:
        sheet = terms.get_sheet(session, operator.sheet_id)
    except NotFound:
        return {}
    return {key: family.title for key, family in sheet.families.items()}
