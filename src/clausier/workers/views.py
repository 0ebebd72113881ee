"""Back-office page: the messages the workers gave up on (dead letters), with their error."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from clausier.api.deps import Ctx, staff_ctx
from clausier.web.templating import render
from clausier.workers import service

router = APIRouter(include_in_schema=False)


@router.get("/workers/dead-letters")
def dead_letters_page(request: Request, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    return render(request, "workers/dead_letters.html", {
        "letters": service.list_dead_letters(ctx.session)})
