"""How the equipment edges (API, CLI, pages) show an item: display shapes, no use case."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from clausier.catalog.facts import EquipmentKindFacts
from clausier.equipment.models import EquipmentItem

if TYPE_CHECKING:
    from clausier.equipment.service import ReturnDue


def item_dicts(items: Collection[EquipmentItem], kinds: dict[int, EquipmentKindFacts]) -> list[dict]:
    """The items as the edges show them, ``kinds`` the catalogue's by id (``service.kinds_of``)."""
    return [item_dict(item, kinds[item.kind_id]) for item in items]


def item_dict(item: EquipmentItem, kind: EquipmentKindFacts) -> dict:
    """An equipment item (its SIM side too) as the API, the CLI and the pages show it, ``kind``
    its catalogue kind (``service.kind_of``)."""
    return {"id": item.id, "serial": item.serial, "kind": kind.code, "kind_name": kind.name,
            "state": item.state, "provision_mode": item.provision_mode, "owner": item.owner,
            "customer_id": item.customer_id, "subscription_id": item.subscription_id, "site_id": item.site_id,
            "replacement_value": str(item.replacement_value), "sale_price": str(item.sale_price),
            "monthly_rent": str(item.monthly_rent), "price_basis": item.price_basis,
            "shipped_on": item.shipped_on, "delivered_on": item.delivered_on, "received_on": item.received_on,
            "paid_in_full_on": item.paid_in_full_on,
            "ownership_passed_on": item.ownership_passed_on, "return_reason": item.return_reason,
            "return_due_on": item.return_due_on, "return_to": item.return_to,
            "overdue_action": item.overdue_action, "returned_on": item.returned_on,
            "return_condition": item.return_condition,
            "sim": None if item.sim is None else {"msisdn": item.sim.msisdn, "status": item.sim.status,
                                                  "suspension_reason": item.sim.suspension_reason,
                                                  "last_activity_on": item.sim.last_activity_on}}


def return_dict(row: ReturnDue) -> dict:
    """An item still to come back (``service.returns_due``, ``returns_of_customer``): the item,
    what missing its deadline bills and under which clause, and where to send it when told."""
    item, obligation = row.item, row.obligation
    shown = {**item_dict(item, row.kind),
             "penalty": obligation.penalty.as_dict() if obligation.penalty else None,
             "on_overdue": obligation.on_overdue, "clause": obligation.clause,
             "basis": obligation.basis, "ownership_passes": obligation.ownership_passes,
             "still_to_return": obligation.still_to_return,
             "penalty_billed_on": item.overdue_handled_on if obligation.penalty else None}
    if row.send_to is not None:
        shown["send_to"] = {"to": row.send_to.to, "name": row.send_to.name,
                            "address": row.send_to.address}
    return shown


def return_dicts(rows: Iterable[ReturnDue]) -> list[dict]:
    return [return_dict(row) for row in rows]
