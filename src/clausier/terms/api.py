"""``/api/v1/terms``: the loaded term-sheet versions, a sheet, a family's merged terms, and a
linter for sheets being written."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from clausier.api.deps import Ctx, staff_ctx
from clausier.core.errors import InvalidInput
from clausier.terms import service
from clausier.terms.lint import lint_text
from clausier.terms.schema import Terms, TermSheet

router = APIRouter(prefix="/api/v1/terms", tags=["terms"])

MAX_LINT_BYTES = 1_000_000


class VersionOut(BaseModel):
    sheet_id: str
    version: int
    valid_from: date
    title: str
    digest: str
    loaded_at: datetime
    families: list[str]
    readings: int


class ProblemOut(BaseModel):
    field: str
    reason: str
    line: int | None = None


class LintResult(BaseModel):
    ok: bool
    problems: list[ProblemOut]


@router.get("", response_model=list[VersionOut])
def list_versions(ctx: Ctx = Depends(staff_ctx)):
    """Every loaded version of every sheet."""
    return [VersionOut(sheet_id=v.sheet_id, version=v.version, valid_from=v.valid_from,
                       title=v.title, digest=v.digest, loaded_at=v.loaded_at,
                       families=sorted(v.document.get("families") or {}),
                       readings=len(v.document.get("readings") or []))
            for v in service.list_versions(ctx.session)]


@router.post("/lint", response_model=LintResult, openapi_extra={"requestBody": {
    "required": True, "content": {"application/yaml": {"schema": {"type": "string"}}}}})
async def lint(request: Request, ctx: Ctx = Depends(staff_ctx)):
    """Lint a one-file sheet sent as YAML: schema, sources, bands, references, readings."""
    body = await request.body()
    if len(body) > MAX_LINT_BYTES:
        raise InvalidInput.on("body", f"a sheet of more than {MAX_LINT_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput.on("body", "the sheet must be UTF-8 text") from None
    problems = await run_in_threadpool(lint_text, text)    # CPU work off the event loop
    return LintResult(ok=not problems, problems=[ProblemOut(**p.__dict__) for p in problems])


@router.get("/{sheet_id}", response_model=TermSheet, response_model_exclude_none=True)
def get_sheet(sheet_id: str, version: int | None = None, ctx: Ctx = Depends(staff_ctx)):
    """A sheet version (default: the latest); every value carries its source."""
    return service.get_sheet(ctx.session, sheet_id, version)


@router.get("/{sheet_id}/families/{family}", response_model=Terms,
            response_model_exclude_none=True)
def family_terms(sheet_id: str, family: str, version: int | None = None,
                 ctx: Ctx = Depends(staff_ctx)):
    """The blocks that govern a family: general terms, then ``same_as``, then its own."""
    return service.family_terms(ctx.session, sheet_id, family, version)
