"""The access room's plain shapes of sites, user records and credentials, for the API, the CLI's
``--json`` and the pages (an edge's business: the services return the rows)."""

from __future__ import annotations

from clausier.access.credentials.service import display_forms
from clausier.access.models import AccessSite, Credential, UserRecord
from clausier.access.packs.service import SiteStatus


def site_to_dict(site: AccessSite, status: SiteStatus) -> dict:
    """A site with its service state (``packs.service.site_status``)."""
    return {"id": site.id, "name": site.name, "kind": site.kind, "country": site.country,
            "variant": status.variant, "version": site.config_version,
            "call_timeout_seconds": site.call_timeout_seconds,
            "service": {"state": status.state.state, "start": status.state.start, "end": status.state.end,
                        "synchronised": not status.why, "why": status.why, "clause": status.clause},
            "records": status.records, "record_cap": status.cap,
            "notices": [{"kind": n.kind, "on": n.on, "message": n.message,
                         "message_message": n.message_message, "clause": n.clause}
                        for n in status.notices]}


def record_to_dict(row: UserRecord) -> dict:
    return {"id": row.id, "site_id": row.site_id, "name": row.name, "display_name": row.display_name,
            "phone_code": row.phone_code, "main_number": row.main_number,
            "secondary_numbers": row.secondary_numbers, "app_users": row.app_users, "groups": row.groups,
            "valid_from": row.valid_from, "valid_until": row.valid_until, "suspended": row.suspended}


def credential_to_dict(row: Credential) -> dict:
    return {"id": row.id, "record_id": row.record_id, "kind": row.kind, "format": row.format,
            "bits": row.bits, "access_point_id": row.access_point_id,
            "raw": row.raw if row.kind != "keypad" else None, "displays": display_forms(row)}
