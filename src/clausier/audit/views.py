"""``/audit``: the audit trail, filtered by entity type and actor."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from clausier.api.deps import Ctx, staff_ctx
from clausier.audit import service
from clausier.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = 100


@router.get("/audit")
def audit_page(request: Request, entity_type: str = "", actor: str = "", entity_id: str = "",
               before_id: int | None = Query(None), ctx: Ctx = Depends(staff_ctx)):
    entries = service.trail(ctx.session, entity_type or None, entity_id or None, actor or None,
                            before_id, PAGE)
    types, actors = service.filter_choices(ctx.session)
    return render(request, "audit/list.html", {
        "entries": entries, "types": types, "actors": actors,
        "chosen": {"entity_type": entity_type, "actor": actor, "entity_id": entity_id},
        "older": entries[-1].id if len(entries) == PAGE else None,
    })
