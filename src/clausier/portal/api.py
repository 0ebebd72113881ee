"""``/api/v1/portal/...``: the customer portal for integrations (a customer user's token sees its
customer only); ``/api/v1/customers/{id}/portal-users`` for staff."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from clausier.api.files import attachment
from clausier.api.deps import Ctx, customer_ctx, staff_ctx
from clausier.api.inputs import Day, Input
from clausier.portal import service

router = APIRouter(prefix="/api/v1", tags=["portal"])


class PortalUserIn(Input):
    email: str
    name: str
    password: str = Field(description="at least 10 characters; the user may change it later")
    language: str = "fr"


class PortalUserOut(BaseModel):
    id: int
    email: str
    name: str
    language: str
    active: bool
    customer_id: int


def _contract(view: service.ContractView) -> dict:
    sub, timeline = view.subscription, view.timeline
    return {"ref": sub.ref, "family": sub.family, "status": sub.status, "site_id": sub.site_id,
            "signed_on": sub.signed_on, "commitment_end": timeline.commitment_end,
            "notice_deadline": timeline.notice_deadline,
            "termination_if_received_today": timeline.termination_if_received_today}


@router.get("/portal/contracts")
def my_contracts(ctx: Ctx = Depends(customer_ctx)) -> list[dict]:
    """The customer's contracts with their commitment end and last day to give notice."""
    return [_contract(v) for v in service.contracts_of(ctx.session, ctx.customer_id,
                                                       ctx.clock.today())]


@router.get("/portal/contracts/{ref}")
def my_contract(ref: str, ctx: Ctx = Depends(customer_ctx)) -> dict:
    return _contract(service.contract_of(ctx.session, ctx.customer_id, ref, ctx.clock.today()))


@router.get("/portal/contracts/{ref}/termination-quote")
def my_termination_quote(ref: str, received: Day | None = None, reason: str | None = None,
                         ctx: Ctx = Depends(customer_ctx)) -> dict:
    """What leaving would cost if the letter were received on ``received`` (default: today),
    explained line by line with the clauses; changes nothing."""
    quote = service.quote_leaving(ctx.session, ctx.customer_id, ref,
                                  received or ctx.clock.today(), reason)
    return quote.as_dict()


@router.get("/customers/{customer_id}/portal-users", response_model=list[PortalUserOut])
def list_portal_users(customer_id: int, ctx: Ctx = Depends(staff_ctx)):
    return [PortalUserOut.model_validate(u, from_attributes=True)
            for u in service.portal_users(ctx.session, customer_id)]


@router.post("/customers/{customer_id}/portal-users", response_model=PortalUserOut,
             status_code=201)
def create_portal_user(customer_id: int, body: PortalUserIn, ctx: Ctx = Depends(staff_ctx)):
    ctx.require_write("customers")
    user = service.create_portal_user(ctx.session, ctx.clock, ctx.actor, customer_id,
                                      **body.model_dump())
    ctx.session.flush()
    return PortalUserOut.model_validate(user, from_attributes=True)


@router.get("/portal/invoices")
async def my_invoices(limit: int = Query(10_000, ge=1, le=10_000), offset: int = Query(0, ge=0),
                      ctx: Ctx = Depends(customer_ctx)) -> list[dict]:
    """The customer's issued invoices and credit notes, latest first (``offset`` and ``limit``
    give a page of them)."""
    # Read in a thread, the answer checked on the event loop: a plain ``def`` route has its
    # answer checked in a second hop to the pool (integrations poll this list).
    documents = await run_in_threadpool(service.invoices_of_customer, ctx.session,
                                        ctx.customer_id, limit=limit, offset=offset)
    return [{"number": i.number, "kind": i.kind, "status": i.status, "period": i.period,
             "issue_date": i.issue_date, "due_date": i.due_date, "total_ht": str(i.total_ht),
             "total_ttc": str(i.total_ttc), "amount_paid": str(i.amount_paid)}
            for i in documents]


@router.get("/portal/invoices/{number}/{document}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "application/xml": {}}}})
def my_invoice_file(number: str, document: str,
                    lang: Literal["fr", "en"] = Query("fr", description="language of the PDF"),
                    ctx: Ctx = Depends(customer_ctx)) -> Response:
    """``pdf`` (Factur-X, its XML embedded) in ``lang`` or ``facturx.xml``."""
    return attachment(*service.invoice_file(ctx.session, ctx.customer_id, number, document, lang))
