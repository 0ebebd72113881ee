"""Back-office pages: the number inventory and the porting requests."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from clausier.api.deps import Ctx, staff_ctx
from clausier.customers import facts as customer_facts
from clausier.numbers import rules, service, shapes
from clausier.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/numbers")
def numbers_page(request: Request, status: str | None = None, kind: str | None = None,
                 ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    rows = [shapes.number_dict(n) for n in service.list_numbers(ctx.session, status or None, kind or None)]
    return render(request, "numbers/inventory.html", {
        "rows": rows, "status": status or "", "kind": kind or "", "statuses": rules.NUMBER_STATUSES,
        "kinds": rules.NUMBER_KINDS})


@router.get("/ports")
def ports_page(request: Request, status: str | None = None, ctx: Ctx = Depends(staff_ctx)):
    request.state.user = ctx.user
    rows = [shapes.port_dict(p) for p in service.list_ports(ctx.session, status or None)]
    names = customer_facts.names(ctx.session, {r["customer_id"] for r in rows})
    return render(request, "numbers/ports.html", {"rows": rows, "status": status or "", "names": names})
