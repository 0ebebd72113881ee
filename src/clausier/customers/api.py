"""``/api/v1/customers``, ``/api/v1/sites``, ``/api/v1/contacts``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from clausier.api.deps import Ctx, staff_ctx
from clausier.api.inputs import PAGE_NUMBER_MAX, Input, Patch
from clausier.catalog import service as catalog
from clausier.customers import service

router = APIRouter(prefix="/api/v1", tags=["customers"])

Role = Literal["contract_follow_up", "billing", "incident_reporter"]


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    name: str
    address: str
    postcode: str
    city: str
    country: str
    numbering_zone: str
    is_central: bool


class SiteIn(Input):
    model_config = ConfigDict(extra="forbid")

    name: str
    address: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "FR"
    numbering_zone: str | None = Field(None, description="01–05; default: from the postcode")
    is_central: bool | None = Field(None, description="default: central if it is the first site")


class SitePatch(Patch):
    model_config = ConfigDict(extra="forbid")
    clearable = frozenset({"numbering_zone"})     # null: derived from the postcode again

    name: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    numbering_zone: str | None = None
    is_central: bool | None = None


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    site_id: int | None
    name: str
    email: str
    phone: str
    roles: list[str]


class ContactIn(Input):
    model_config = ConfigDict(extra="forbid")

    name: str
    email: str = ""
    phone: str = ""
    roles: list[Role] = []
    site_id: int | None = None


class ContactPatch(Patch):
    model_config = ConfigDict(extra="forbid")
    clearable = frozenset({"site_id"})        # null: attached to no site

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    roles: list[Role] | None = None
    site_id: int | None = None


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    operator_id: int
    ref: str
    external_ref: str | None
    kind: str
    name: str
    siren: str | None
    siret: str | None
    vat_number: str | None
    category: str
    employees: int | None
    main_activity: str
    email: str
    phone: str
    billing_address: str
    country: str
    legal_hold: bool
    notes: str
    created_at: datetime
    updated_at: datetime


class CustomerDetail(CustomerOut):
    operator: str
    sites: list[SiteOut]
    contacts: list[ContactOut]


class CustomerIn(Input):
    model_config = ConfigDict(extra="forbid")

    operator: str = Field(description="operator code, e.g. technicophone")
    name: str
    kind: Literal["company", "household"]
    ref: str | None = Field(None, description="default: generated, e.g. TEC-000001")
    external_ref: str | None = None
    category: Literal["public_body", "tertiary", "industrial", "other"] = "other"
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    employees: int | None = None
    main_activity: str = ""
    email: str = ""
    phone: str = ""
    billing_address: str = ""
    country: str = "FR"
    notes: str = ""


class CustomerPatch(Patch):
    model_config = ConfigDict(extra="forbid")
    clearable = frozenset({"external_ref", "siren", "siret", "vat_number", "employees"})

    ref: str | None = None
    external_ref: str | None = None
    name: str | None = None
    category: Literal["public_body", "tertiary", "industrial", "other"] | None = None
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    employees: int | None = None
    main_activity: str | None = None
    email: str | None = None
    phone: str | None = None
    billing_address: str | None = None
    country: str | None = None
    legal_hold: bool | None = None
    notes: str | None = None


class CustomerPage(BaseModel):
    items: list[CustomerOut]
    total: int
    page: int
    per_page: int


def _detail(ctx: Ctx, customer) -> CustomerDetail:
    operator = catalog.get_operator_by_id(ctx.session, customer.operator_id)
    return CustomerDetail.model_validate({
        **CustomerOut.model_validate(customer).model_dump(), "operator": operator.code,
        "sites": customer.sites, "contacts": customer.contacts})


@router.get("/customers", response_model=CustomerPage)
def list_customers(search: str | None = None, operator: str | None = None,
                   page: Annotated[int, Query(ge=1, le=PAGE_NUMBER_MAX)] = 1,
                   per_page: Annotated[int, Query(ge=1, le=500)] = 50,
                   ctx: Ctx = Depends(staff_ctx)):
    found = service.search_customers(ctx.session, search, operator, page, per_page)
    return CustomerPage(items=[CustomerOut.model_validate(c) for c in found.items],
                        total=found.total, page=found.page, per_page=found.per_page)


@router.post("/customers", response_model=CustomerDetail, status_code=201)
def create_customer(body: CustomerIn, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("customers")
    customer = service.create_customer(ctx.session, ctx.clock, ctx.actor, **body.model_dump())
    return _detail(ctx, customer)


@router.get("/customers/{customer_id}", response_model=CustomerDetail)
def get_customer(customer_id: int, ctx: Ctx = Depends(staff_ctx)):
    return _detail(ctx, service.get_customer(ctx.session, customer_id))


@router.patch("/customers/{customer_id}", response_model=CustomerDetail)
def update_customer(customer_id: int, body: CustomerPatch, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("customers")
    customer = service.update_customer(ctx.session, ctx.clock, ctx.actor, customer_id,
                                       **body.model_dump(exclude_unset=True))
    return _detail(ctx, customer)


@router.get("/customers/{customer_id}/sites", response_model=list[SiteOut])
def list_sites(customer_id: int, ctx: Ctx = Depends(staff_ctx)):
    return service.get_customer(ctx.session, customer_id).sites


@router.post("/customers/{customer_id}/sites", response_model=SiteOut, status_code=201)
def add_site(customer_id: int, body: SiteIn, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("customers")
    return service.add_site(ctx.session, ctx.clock, ctx.actor, customer_id, **body.model_dump())


@router.patch("/sites/{site_id}", response_model=SiteOut)
def update_site(site_id: int, body: SitePatch, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("customers")
    return service.update_site(ctx.session, ctx.clock, ctx.actor, site_id,
                               **body.model_dump(exclude_unset=True))


@router.delete("/sites/{site_id}", status_code=204)
def remove_site(site_id: int, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("customers")
    service.remove_site(ctx.session, ctx.clock, ctx.actor, site_id)
    return Response(status_code=204)


@router.get("/customers/{customer_id}/contacts", response_model=list[ContactOut])
def list_contacts(customer_id: int, ctx: Ctx = Depends(staff_ctx)):
    return service.get_customer(ctx.session, customer_id).contacts


@router.post("/customers/{customer_id}/contacts", response_model=ContactOut, status_code=201)
def add_contact(customer_id: int, body: ContactIn, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("customers")
    return service.add_contact(ctx.session, ctx.clock, ctx.actor, customer_id,
                               **body.model_dump())


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
def update_contact(contact_id: int, body: ContactPatch, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("customers")
    return service.update_contact(ctx.session, ctx.clock, ctx.actor, contact_id,
                                  **body.model_dump(exclude_unset=True))


@router.delete("/contacts/{contact_id}", status_code=204)
def remove_contact(contact_id: int, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("customers")
    service.remove_contact(ctx.session, ctx.clock, ctx.actor, contact_id)
    return Response(status_code=204)

