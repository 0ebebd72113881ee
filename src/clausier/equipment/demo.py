"""Demo equipment: the CinéTime option of OZO-000001 (the demo portal user client.ozo) ended ten
days before the last day of the demo's week, so its TV box is due back by that Sunday (the 10
days of CPV CinéTime art. 8) — the portal's "equipment to return" page, the back office's returns
of the week (Monday to Sunday) and the dashboard's returns of the days ahead all show it, whatever
the weekday of the demo (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor
from clausier.catalog import facts as catalog_facts
from clausier.contracts import service as contracts
from clausier.core.clock import Clock
from clausier.core.errors import NotFound
from clausier.customers import service as customers
from clausier.equipment import service
from clausier.equipment.models import EquipmentItem

CUSTOMER = "OZO-000001"
TV_BOX = "DEMO-VF-0001"
# CPV CinéTime art. 8 (L1080-1082): the box is sent back within 10 days of the option's end.
RETURN_DAYS = timedelta(days=10)


def load_demo(session: Session, clock: Clock, actor: Actor) -> str | None:
    if session.scalar(select(EquipmentItem.id).where(EquipmentItem.serial == TV_BOX)):
        return None
    try:
        customer = customers.get_customer_by_ref(session, CUSTOMER, "ozone")
    except NotFound:
        return None
    if not catalog_facts.equipment_kinds_by_code(session, customer.operator_id, ["tv_box"]):
        return None
    today = clock.today()
    signed, ended = today - timedelta(days=120), service.week_of(today)[1] - RETURN_DAYS
    site = next((s for s in customer.sites if s.is_central), customer.sites[0])
    order = contracts.create_order(session, clock, actor, contracts.OrderInput(
        customer_id=customer.id, signed_on=signed, channel="on_premises",
        lines=[contracts.LineInput(site.id, "tv_cinetime")], external_ref=f"DEMO-TV-{CUSTOMER}"))
    session.flush()
    [subscription] = contracts.accept_order(session, clock, actor, order.id)
    contracts.activate(session, clock, actor, subscription.id, signed + timedelta(days=7))
    service.register_item(session, clock, actor, customer.operator_id, "tv_box", TV_BOX)
    service.ship(session, clock, actor, TV_BOX, subscription.id, "loaned", signed + timedelta(days=2))
    service.install(session, clock, actor, TV_BOX, signed + timedelta(days=7))
    contracts.terminate_now(session, clock, actor, subscription.id, ended, "CinéTime option ended")
    obligation = service.open_return(session, clock, actor, TV_BOX, "termination", ended)
    return f"TV box {TV_BOX} of {CUSTOMER} due back by {obligation.due_on.isoformat()}"
