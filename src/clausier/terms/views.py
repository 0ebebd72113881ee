"""Term-sheet pages: the list of sheets, a sheet with every value and its clause, readings and
lint result, and a family's merged terms."""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Depends, Request

from clausier.api.deps import Ctx, staff_ctx
from clausier.terms import service
from clausier.terms.lint import lint_sheet
from clausier.terms.rendering import block_rows
from clausier.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/terms")
def sheets(request: Request, ctx: Ctx = Depends(staff_ctx)):
    grouped = [(sheet_id, list(versions)) for sheet_id, versions in
               groupby(service.list_versions(ctx.session), key=lambda v: v.sheet_id)]
    return render(request, "terms/list.html", {"sheets": grouped})


@router.get("/terms/{sheet_id}")
def sheet_page(request: Request, sheet_id: str, version: int | None = None,
               ctx: Ctx = Depends(staff_ctx)):
    sheet = service.get_sheet(ctx.session, sheet_id, version)
    general = block_rows(sheet.general)
    families = {name: block_rows(family) for name, family in sheet.families.items()}
    every_row = general + [row for rows in families.values() for row in rows]
    used_by = {reading.id: [row.path for row in every_row if row.reading == reading.id]
               for reading in sheet.readings}
    return render(request, "terms/sheet.html", {
        "sheet": sheet, "general": general, "families": families, "used_by": used_by,
        "problems": lint_sheet(sheet),
        "versions": service.list_versions(ctx.session, sheet_id),
    })


@router.get("/terms/{sheet_id}/families/{family}")
def family_page(request: Request, sheet_id: str, family: str, version: int | None = None,
                ctx: Ctx = Depends(staff_ctx)):
    sheet = service.get_sheet(ctx.session, sheet_id, version)
    terms = service.family_terms(ctx.session, sheet_id, family, sheet.version)
    return render(request, "terms/family.html", {
        "sheet": sheet, "name": family, "family": sheet.families[family],
        "rows": block_rows(terms),
    })
