"""``/api/v1/operators``, ``/api/v1/offers``, ``/api/v1/equipment-kinds``."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from clausier.api.deps import Ctx, staff_ctx
from clausier.api.inputs import Patch, Price
from clausier.catalog import service

router = APIRouter(prefix="/api/v1", tags=["catalog"])


class OperatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    legal_name: str
    siren: str
    siret: str
    vat_number: str
    address: str
    address_lines: list[str]
    postcode: str
    city: str
    country: str
    iban: str
    bic: str
    identity_sources: dict[str, str]
    email: str
    phone: str
    sheet_id: str
    customer_kind: str
    price_basis: str
    invoice_prefix: str


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    operator: str
    code: str
    name: str
    family: str
    kind: str
    unit: str
    monthly_fee: Decimal
    access_fee: Decimal
    one_off_price: Decimal
    price_basis: str
    vat_rate: str
    commitment_months: int | None
    attributes: dict
    demo: bool
    price_source: str
    active: bool
    description: str
    terms_link: str
    options: list[str] | None = None

    @classmethod
    def of(cls, offer, options=None) -> OfferOut:
        return cls.model_validate({
            **{name: getattr(offer, name) for name in cls.model_fields
               if name not in ("operator", "terms_link", "options")},
            "operator": offer.operator.code,
            "terms_link": f"/terms/{offer.operator.sheet_id}#{offer.family}",
            "options": None if options is None else [option.code for option in options],
        })


class OfferPatch(Patch):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    monthly_fee: Price | None = None
    access_fee: Price | None = None
    one_off_price: Price | None = None
    active: bool | None = None


class EquipmentKindOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    operator: str
    code: str
    name: str
    replacement_value: Decimal
    sale_price: Decimal
    monthly_rent: Decimal
    price_basis: str
    serialised: bool
    demo: bool
    price_source: str


@router.get("/operators", response_model=list[OperatorOut])
def operators(ctx: Ctx = Depends(staff_ctx)):
    return service.list_operators(ctx.session)


@router.get("/offers", response_model=list[OfferOut])
def offers(operator: str | None = None, family: str | None = None, active: bool | None = True,
           ctx: Ctx = Depends(staff_ctx)):
    return [OfferOut.of(offer)
            for offer in service.list_offers(ctx.session, operator, family, active)]


@router.get("/offers/{offer_id}", response_model=OfferOut)
def offer(offer_id: int, ctx: Ctx = Depends(staff_ctx)):
    found = service.get_offer_by_id(ctx.session, offer_id)
    return OfferOut.of(found, service.options_of(ctx.session, found))


@router.patch("/offers/{offer_id}", response_model=OfferOut)
def change_offer(offer_id: int, body: OfferPatch, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("catalog")
    changed = service.update_offer(ctx.session, ctx.clock, ctx.actor, offer_id,
                                   **body.model_dump(exclude_unset=True))
    return OfferOut.of(changed, service.options_of(ctx.session, changed))


@router.get("/equipment-kinds", response_model=list[EquipmentKindOut])
def equipment_kinds(operator: str | None = None, ctx: Ctx = Depends(staff_ctx)):
    fields = [name for name in EquipmentKindOut.model_fields if name != "operator"]
    return [EquipmentKindOut.model_validate({**{name: getattr(kind, name) for name in fields},
                                             "operator": kind.operator.code})
            for kind in service.list_equipment_kinds(ctx.session, operator)]
