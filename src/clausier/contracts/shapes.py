"""How the contracts' edges (API, CLI) show a subscription: display shapes, no use case."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from clausier.contracts import service
from clausier.contracts.models import Subscription


def subscription_dict(subscription: Subscription, timeline_on: date | None = None,
                      session: Session | None = None) -> dict:
    """A subscription as the API and the CLI show it: its items (in force on ``timeline_on``
    when given), its timeline to that day and who manages it (with a session)."""
    data = {
        "id": subscription.id, "ref": subscription.ref, "customer_id": subscription.customer_id,
        "site_id": subscription.site_id, "family": subscription.family, "status": subscription.status,
        "sheet": f"{subscription.sheet_id} v{subscription.sheet_version}",
        "signed_on": subscription.signed_on, "go_live_on": subscription.go_live_on,
        "shipped_on": subscription.shipped_on, "delivered_on": subscription.delivered_on,
        "equipment_received_on": subscription.equipment_received_on,
        "commitment_months": subscription.commitment_months,
        "notice_received_on": subscription.notice_received_on,
        "termination_effective_on": subscription.termination_effective_on,
        "items": [{"offer": i.offer_code, "label": i.label, "unit": i.unit, "quantity": i.quantity,
                   "monthly_fee": str(i.monthly_fee), "price_basis": i.price_basis,
                   "option": i.is_option, "active_from": i.active_from,
                   "active_until": i.active_until}
                  for i in (subscription.items if timeline_on is None
                            else service.items_in_force(subscription, timeline_on))],
    }
    if timeline_on is not None and session is not None:
        data["timeline"] = service.timeline(session, subscription.id, timeline_on).as_dict()
    if session is not None and (management := service.management_of(session, subscription)) is not None:
        data["management"] = {"mode": management[0], "clause": management[1]}
    return data
