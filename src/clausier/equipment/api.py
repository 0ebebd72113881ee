"""``/api/v1/equipment``: inventory, shipments, returns, sold items, appointments and SIM cards."""

from __future__ import annotations


from fastapi import APIRouter, Depends
from pydantic import ConfigDict, Field

from clausier.api.deps import Ctx, service_ctx, staff_ctx
from clausier.api.inputs import Day, Input, Moment, Page, Price, page_of_list
from clausier.equipment import service, shapes

router = APIRouter(prefix="/api/v1/equipment", tags=["equipment"])


class ItemIn(Input):
    operator_id: int
    kind: str = Field(description="equipment kind code of the catalogue: router, box_fibre, tv_box, sim…")
    serial: str


class ShipmentIn(Input):
    subscription: str
    provision_mode: str = Field(description="loaned | rented | sold")
    on: Day
    received_on: Day | None = None
    replacement_value: Price | None = None
    sale_price: Price | None = None
    monthly_rent: Price | None = None


class DayIn(Input):
    on: Day


class ReturnIn(Input):
    on: Day
    condition: str = Field("good", description="good | damaged")
    repair_cost: Price | None = None


class OpenReturnIn(Input):
    reason: str = Field(description="termination | withdrawal | end_of_service | ineligibility")
    effective_on: Day
    due_on: Day | None = Field(None, description="the deadline stated by the operator, "
                                                 "if the sheet sets none")


class AppointmentIn(Input):
    subscription: str
    scheduled_at: Moment
    price: Price


class SimIn(Input):
    operator_id: int
    iccid: str
    imsi: str | None = None
    msisdn: str | None = None


class PukIn(Input):
    # A PIN sent along is refused rather than silently dropped: Clausier never keeps one.
    model_config = ConfigDict(extra="forbid")
    puk: str


class SuspensionIn(Input):
    reason: str = Field(description="loss | theft | inactivity")
    on: Day


class SwapIn(Input):
    new_iccid: str
    reason: str = Field(description="loss | theft | blocked | faulty")
    on: Day


def _out(ctx: Ctx, item) -> dict:
    """An item as the API returns it."""
    return shapes.item_dict(item, service.kind_of(ctx.session, item))


@router.get("")
def list_items(state: str | None = None, customer_id: int | None = None, kind: str | None = None,
               page: Page = Depends(page_of_list), ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    items = service.list_items(ctx.session, state, customer_id, kind, page.limit, page.offset)
    return shapes.item_dicts(items, service.kinds_of(ctx.session, items))


@router.post("", status_code=201)
def register(body: ItemIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    return _out(ctx, service.register_item(ctx.session, ctx.clock, ctx.actor, body.operator_id,
                                           body.kind, body.serial))


@router.get("/returns/due")
def returns_due(start: Day | None = None, end: Day | None = None, customer_id: int | None = None,
                ctx: Ctx = Depends(service_ctx)) -> list[dict]:
    """Open returns due in [start, end] (default: this week) with the penalty missing them bills.
    A customer's user gets all its own equipment still to return, whatever the dates."""
    if ctx.customer_id is not None:
        # A customer's user: all it still has to send back (what its portal page shows).
        return shapes.return_dicts(service.returns_of_customer(ctx.session, ctx.customer_id))
    week = service.week_of(ctx.clock.today())
    return shapes.return_dicts(service.returns_due(ctx.session, start or week[0], end or week[1],
                                                   customer_id))


@router.post("/appointments", status_code=201)
def book(body: AppointmentIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    appointment = service.book_appointment(ctx.session, ctx.clock, ctx.actor, body.subscription,
                                           body.scheduled_at, body.price)
    ctx.session.flush()
    return {"id": appointment.id, "scheduled_at": appointment.scheduled_at, "status": appointment.status}


@router.post("/appointments/{appointment_id}/cancellation")
def cancel(appointment_id: int, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    fee = service.cancel_appointment(ctx.session, ctx.clock, ctx.actor, appointment_id)
    return {"billed": fee is not None, "charge": fee.as_dict() if fee else None}


@router.post("/sims", status_code=201)
def register_sim(body: SimIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    sim = service.register_sim(ctx.session, ctx.clock, ctx.actor, body.operator_id, body.iccid,
                               imsi=body.imsi, msisdn=body.msisdn)
    return _out(ctx, sim.item)


@router.put("/sims/{iccid}/puk")
def set_puk(iccid: str, body: PukIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    service.set_sim_puk(ctx.session, ctx.clock, ctx.actor, iccid, body.puk)
    return {"iccid": iccid, "stored": "sealed"}


@router.get("/sims/{sim}/puk")
def show_puk(sim: str, ctx: Ctx = Depends(service_ctx)) -> dict:
    """The PUK in clear, for staff or the SIM's own customer's users (audited)."""
    return {"sim": sim, "puk": service.show_puk(ctx.session, ctx.clock, ctx.actor, sim)}


@router.post("/sims/{iccid}/suspension")
def suspend(iccid: str, body: SuspensionIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    return _out(ctx, service.suspend_sim(ctx.session, ctx.clock, ctx.actor, iccid, body.reason,
                                         body.on).item)


@router.post("/sims/{iccid}/swap")
def swap(iccid: str, body: SwapIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    return _out(ctx, service.swap_sim(ctx.session, ctx.clock, ctx.actor, iccid, body.new_iccid,
                                      body.reason, body.on).item)


@router.get("/{serial}")
def get_item(serial: str, ctx: Ctx = Depends(staff_ctx)) -> dict:
    return _out(ctx, service.get_item(ctx.session, serial))


@router.get("/{serial}/ownership")
def ownership(serial: str, on: Day | None = None, ctx: Ctx = Depends(staff_ctx)) -> dict:
    return service.ownership(ctx.session, serial, on or ctx.clock.today())


@router.post("/{serial}/shipment")
def ship(serial: str, body: ShipmentIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    return _out(ctx, service.ship(
        ctx.session, ctx.clock, ctx.actor, serial, body.subscription, body.provision_mode, body.on,
        received_on=body.received_on, replacement_value=body.replacement_value,
        sale_price=body.sale_price, monthly_rent=body.monthly_rent))


@router.post("/{serial}/delivery")
def deliver(serial: str, body: DayIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """The carrier delivered the item (the first delivery dates its subscription's)."""
    ctx.require_write("equipment")
    return _out(ctx, service.record_delivery(ctx.session, ctx.clock, ctx.actor, serial, body.on))


@router.post("/{serial}/receipt")
def receive(serial: str, body: DayIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    """The customer received the item (the first receipt dates its subscription's)."""
    ctx.require_write("equipment")
    return _out(ctx, service.record_receipt(ctx.session, ctx.clock, ctx.actor, serial, body.on))


@router.post("/{serial}/installation")
def install(serial: str, body: DayIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    return _out(ctx, service.install(ctx.session, ctx.clock, ctx.actor, serial, body.on))


@router.post("/{serial}/payment-in-full")
def paid_in_full(serial: str, body: DayIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    return _out(ctx, service.record_paid_in_full(ctx.session, ctx.clock, ctx.actor, serial, body.on))


@router.post("/{serial}/return-due")
def open_return(serial: str, body: OpenReturnIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    obligation = service.open_return(ctx.session, ctx.clock, ctx.actor, serial, body.reason,
                                     body.effective_on, body.due_on)
    return {"return": obligation.as_dict() if obligation else None}


@router.post("/{serial}/return")
def record_return(serial: str, body: ReturnIn, ctx: Ctx = Depends(staff_ctx)) -> dict:
    ctx.require_write("equipment")
    charge = service.record_return(ctx.session, ctx.clock, ctx.actor, serial, body.on, body.condition,
                                   body.repair_cost)
    return {**_out(ctx, service.get_item(ctx.session, serial)),
            "repair_charge": charge.as_dict() if charge else None}
