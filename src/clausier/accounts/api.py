"""``/api/v1/me`` and ``/api/v1/tokens`` (a user's own API tokens)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from clausier.accounts import service
from clausier.api.deps import Ctx, user_ctx
from clausier.api.inputs import Input

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class Me(BaseModel):
    id: int
    email: str
    name: str
    kind: str
    role: str
    customer_id: int | None


class TokenRequest(Input):
    name: str


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIssued(TokenOut):
    token: str


@router.get("/me", response_model=Me)
def me(ctx: Ctx = Depends(user_ctx)):
    return Me.model_validate(ctx.user, from_attributes=True)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(ctx: Ctx = Depends(user_ctx)):
    return [TokenOut.model_validate(t, from_attributes=True)
            for t in service.list_tokens(ctx.session, ctx.user.id)]


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def issue_token(body: TokenRequest, ctx: Ctx = Depends(user_ctx)):
    """Issue a token for yourself; its clear value is in this answer only."""
    token, secret = service.issue_token(ctx.session, ctx.clock, ctx.actor, ctx.user.id, body.name)
    ctx.session.flush()
    return TokenIssued(token=secret, **TokenOut.model_validate(token, from_attributes=True)
                       .model_dump())


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: int, ctx: Ctx = Depends(user_ctx)):
    token = service.revoke_token(ctx.session, ctx.clock, ctx.actor, token_id)
    return TokenOut.model_validate(token, from_attributes=True)
