"""Catalogue pages: the operators, and each operator's price list grouped by family."""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Depends, Request

from clausier.api.deps import Ctx, staff_ctx
from clausier.catalog import rules, service
from clausier.web.templating import render

router = APIRouter(include_in_schema=False)


def _(text: str) -> str:
    """Marks a text for the catalogues; it is translated when the page is rendered."""
    return text


# The operator's legal identity as its page lists it (msgids, translated by the template).
IDENTITY_LABELS = (
    ("legal_name", _("Legal name")), ("siren", _("SIREN")), ("siret", _("SIRET")),
    ("vat_number", _("Intra-community VAT number")), ("address_lines", _("Address")),
    ("postcode", _("Postcode")), ("city", _("City")), ("country", _("Country")),
    ("iban", _("IBAN")), ("bic", _("BIC")))


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
    legal = operator.legal_identity
    identity = [(name, label, ", ".join(value) if isinstance(value, tuple) else value)
                for name, label in IDENTITY_LABELS for value in [getattr(legal, name)]]
    return render(request, "catalog/operator.html", {
        "operator": operator, "families": families, "options": options, "identity": identity,
        "missing": rules.missing_seller_fields(legal),
        "titles": service.family_titles(ctx.session, operator),
        "equipment": service.list_equipment_kinds(ctx.session, operator_code),
    })
