"""``/api/v1/numbers`` and ``/api/v1/ports``: the number inventory, SDA orders, moves, portability."""

from __future__ import annotations


from fastapi import APIRouter, Depends
from pydantic import Field

from clausier.api.deps import Ctx, staff_ctx
from clausier.api.inputs import Day, Input, Page, page_of_list
from clausier.numbers import service, shapes

router = APIRouter(prefix="/api/v1", tags=["numbers"])


class NumbersIn(Input):
    operator_id: int
    numbers: list[str]
    kind: str = Field(description="geographic | sda | mobile | premium | non_geographic")
    numbering_zone: str = ""


class AssignIn(Input):
    subscription: str
    on: Day


class SdaIn(Input):
    subscription: str
    first: str
    count: int = Field(description="a whole number of blocks (10 for Technicophone VGA)")
    on: Day


class MoveIn(Input):
    subscription: str
    on: Day
    new_site_id: int


class PortInIn(Input):
    subscription: str
    number: str
    rio: str | None = None
    mandate_signed_on: Day | None = None
    requested_on: Day
    wanted: Day | None = None
    number_active_at_donor: bool = True
    requester_capable: bool = True


class PortOutIn(Input):
    number: str
    received_on: Day
    porting_date: Day | None = None


class DayIn(Input):
    on: Day


@router.get("/numbers")
def list_numbers(status: str | None = None, kind: str | None = None, customer_id: int | None = None,
                 page: Page = Depends(page_of_list), ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [shapes.number_dict(n) for n in service.list_numbers(ctx.session, status, kind, customer_id,
                                                              page.limit, page.offset)]


@router.post("/numbers", status_code=201)
def add_numbers(body: NumbersIn, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    ctx.require_write("contracts")
    return [shapes.number_dict(n) for n in service.add_numbers(ctx.session, ctx.clock, ctx.actor, body.operator_id,
                                                             body.numbers, body.kind, body.numbering_zone)]


@router.post("/numbers/sda", status_code=201)
def order_sda(body: SdaIn, ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    ctx.require_write("contracts")
    return [shapes.number_dict(n) for n in service.order_sda(ctx.session, ctx.clock, ctx.actor, body.subscription,
                                                           body.first, body.count, body.on)]


@router.post("/numbers/moves")
def move(body: MoveIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("contracts")
    return service.move_site(ctx.session, ctx.clock, ctx.actor, body.subscription, body.on, body.new_site_id)


@router.get("/numbers/{number}")
def get_number(number: str, ctx: Ctx = Depends(staff_ctx)) -> dict:
    return shapes.number_dict(service.get_number(ctx.session, number))


@router.post("/numbers/{number}/assignment")
def assign(number: str, body: AssignIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("contracts")
    return shapes.number_dict(service.assign(ctx.session, ctx.clock, ctx.actor, number, body.subscription, body.on))


@router.get("/ports")
def list_ports(status: str | None = None, direction: str | None = None,
               ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [shapes.port_dict(p) for p in service.list_ports(ctx.session, status, direction)]


@router.post("/ports/in", status_code=201)
def port_in(body: PortInIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """Refusals are recorded and returned (status ``refused`` with every reason), not raised."""
    ctx.require_write("contracts")
    request = service.port_in(ctx.session, ctx.clock, ctx.actor, body.subscription, body.number,
                              rio=body.rio, mandate_signed_on=body.mandate_signed_on,
                              requested_on=body.requested_on, wanted=body.wanted,
                              number_active_at_donor=body.number_active_at_donor,
                              requester_capable=body.requester_capable)
    ctx.session.flush()
    return shapes.port_dict(request)


@router.post("/ports/out", status_code=201)
def port_out(body: PortOutIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """The port-out is the termination request of the line: the exit quote comes back."""
    ctx.require_write("contracts")
    request, quote = service.port_out(ctx.session, ctx.clock, ctx.actor, body.number, body.received_on,
                                      body.porting_date)
    ctx.session.flush()
    return {**shapes.port_dict(request), "quote": quote}


@router.get("/ports/{request_id}")
def get_port(request_id: int, ctx: Ctx = Depends(staff_ctx)) -> dict:
    return shapes.port_dict(service.get_port(ctx.session, request_id))


@router.post("/ports/{request_id}/completion")
def complete(request_id: int, body: DayIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("contracts")
    return shapes.port_dict(service.complete_port(ctx.session, ctx.clock, ctx.actor, request_id, body.on))


@router.post("/ports/{request_id}/cancellation")
def cancel(request_id: int, body: DayIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("contracts")
    return shapes.port_dict(service.cancel_port(ctx.session, ctx.clock, ctx.actor, request_id, body.on))
