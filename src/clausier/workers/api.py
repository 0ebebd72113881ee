"""``GET /api/v1/dead-letters``: the messages the workers gave up on, with their error."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from clausier.api.deps import Ctx, staff_ctx
from clausier.workers import service, shapes

router = APIRouter()


@router.get("/dead-letters")
def dead_letters(ctx: Ctx = Depends(staff_ctx)) -> list[dict]:
    return [shapes.dead_letter_dict(letter) for letter in service.list_dead_letters(ctx.session)]
