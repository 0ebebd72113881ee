"""The privacy room's plain shapes of data-subject requests and retention runs, for the CLI's
``--json`` and the API."""

from __future__ import annotations

from clausier.privacy.models import DataSubjectRequest, PurgeReportLine, RetentionRun


def request_to_dict(request: DataSubjectRequest) -> dict:
    return {"ref": request.ref, "kind": request.kind, "role": request.role,
            "customer_id": request.customer_id, "contact_id": request.contact_id,
            "requester": request.requester, "received_on": request.received_on,
            "due_on": request.due_on, "extended_due_on": request.extended_due_on,
            "extension_reason": request.extension_reason,
            "deadline": request.extended_due_on or request.due_on, "clause": request.clause,
            "status": request.status, "answered_on": request.answered_on,
            "outcome": request.outcome}


def run_to_dict(run: RetentionRun, lines: list[PurgeReportLine]) -> dict:
    return {"day": run.day, "ran_at": run.ran_at, "actor": run.actor, "deleted": run.deleted,
            "held": run.held,
            "lines": [{"operator": l.operator, "data": l.data, "rule": l.rule, "clause": l.clause,
                       "what": l.what, "count": l.count, "unit": l.unit, "held": l.held,
                       "detail": l.detail} for l in lines]}
