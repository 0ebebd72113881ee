"""``/api/v1/me`` and ``/api/v1/tokens``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from clausier.accounts import service
from clausier.api.deps import Ctx, user_ctx

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class Me(BaseModel):
    id: int
    email: str
    name: str
    kind: str
    role: str
    customer_id: int | None


class TokenRequest(BaseModel):
    name: str


class TokenIssued(BaseModel):
    token: str


@router.get("/me", response_model=Me)
def me(ctx: Ctx = Depends(user_ctx)):
    return Me.model_validate(ctx.user, from_attributes=True)


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def issue_token(body: TokenRequest, ctx: Ctx = Depends(user_ctx)):
    return TokenIssued(token=service.issue_token(ctx.session, ctx.clock, ctx.actor, ctx.user.id,
                                                 body.name))
