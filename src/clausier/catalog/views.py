"""Catalogue pages: the operators, and each operator's price list grouped by family."""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Depends, Request

from clausier.api.deps import Ctx, staff_ctx
from clausier.catalog import service
from clausier.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/catalog")
def operators_page(request: Request, ctx: Ctx = Depends(staff_ctx)):
    operators = service.list_operators(ctx.session)
    counts = {operator.code: len(service.list_offers(ctx.session, operator.code))
              for operator in operators}
    return render(request, "catalog/index.html", {"operators": operators, "counts": counts})


@router.get("/catalog/{operator_code}")
def operator_page(request: Request, operator_code: str, ctx: Ctx = Depends(staff_ctx)):
    operator = service.get_operator(ctx.session, operator_code)
    offers = service.list_offers(ctx.session, operator_code)
    families = [(family, list(items)) for family, items in groupby(offers, key=lambda o: o.family)]
    options = {offer.id: service.options_of(ctx.session, offer) for offer in offers}
    return render(request, "catalog/operator.html", {
        "operator": operator, "families": families, "options": options,
        "titles": service.family_titles(ctx.session, operator),
        "equipment": service.list_equipment_kinds(ctx.session, operator_code),
    })
