"""``GET /api/v1/audit``: who changed what, when."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from clausier.api.deps import Ctx, staff_ctx
from clausier.audit import service

router = APIRouter(prefix="/api/v1", tags=["audit"])


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    summary: str
    # The summary's message when it is a sentence (the answer adds its ``text`` in the
    # request's language); None for an identifier.
    summary_message: dict | None = None
    changes: dict


@router.get("/audit", response_model=list[AuditEntryOut])
def audit_trail(entity_type: str | None = None, entity_id: str | None = None,
                actor: str | None = None,
                before_id: int | None = Query(None, description="Entries older than this id."),
                limit: int = Query(200, ge=1, le=1000), ctx: Ctx = Depends(staff_ctx)):
    """The newest entries first, filtered by entity and actor."""
    return [AuditEntryOut.model_validate(e, from_attributes=True)
            for e in service.trail(ctx.session, entity_type, entity_id, actor, before_id, limit)]
