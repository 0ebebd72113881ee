"""How the numbers edges (API, CLI, pages) show numbers and port requests: display shapes."""

from __future__ import annotations

from clausier.numbers.models import PhoneNumber, PortRequest


def number_dict(row: PhoneNumber) -> dict:
    """A phone number as the API, the CLI and the pages show it."""
    return {"id": row.id, "number": row.number, "kind": row.kind, "numbering_zone": row.numbering_zone,
            "sda_block": row.sda_block, "status": row.status, "customer_id": row.customer_id,
            "subscription_id": row.subscription_id, "ported_in": row.ported_in,
            "assigned_on": row.assigned_on, "released_on": row.released_on,
            "release_reason": row.release_reason}


def port_dict(request: PortRequest) -> dict:
    """A port request as the API, the CLI and the pages show it."""
    return {"id": request.id, "direction": request.direction, "number": request.number, "kind": request.kind,
            "customer_id": request.customer_id, "subscription_id": request.subscription_id,
            "rio": request.rio, "mandate_signed_on": request.mandate_signed_on,
            "requested_on": request.requested_on, "porting_date": request.porting_date,
            "status": request.status, "refusal_reasons": request.refusal_reasons, "plan": request.plan}
