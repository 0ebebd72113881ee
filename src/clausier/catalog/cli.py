"""``clausier catalog list|show|load``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from clausier.cli.common import JsonOption, command, console, print_json, print_table
from clausier.core.money import fr_format

if TYPE_CHECKING:
    from clausier.catalog.models import Offer


app = typer.Typer(no_args_is_help=True, help="Operators, offers, options and equipment kinds.")


def offer_data(offer: Offer, options: list[Offer] | None = None) -> dict:
    """The plain form of an offer that ``--json`` prints (the API has its own model)."""
    data = {
        "id": offer.id, "operator": offer.operator.code, "code": offer.code, "name": offer.name,
        "family": offer.family, "kind": offer.kind, "unit": offer.unit,
        "monthly_fee": offer.monthly_fee, "access_fee": offer.access_fee,
        "one_off_price": offer.one_off_price, "price_basis": offer.price_basis,
        "vat_rate": offer.vat_rate, "commitment_months": offer.commitment_months,
        "attributes": offer.attributes, "demo": offer.demo, "price_source": offer.price_source,
        "active": offer.active, "description": offer.description,
    }
    if options is not None:
        data["options"] = [option.code for option in options]
    return data


@app.command("list")
def list_offers(operator: str | None = typer.Option(None, help="Operator code, e.g. ozone."),
                family: str | None = typer.Option(None, help="Term-sheet family key, e.g. vga."),
                as_json: bool = JsonOption):
    """List the active offers."""
    from clausier.catalog import service

    with command() as cmd:
        rows = [offer_data(o) for o in service.list_offers(cmd.session, operator, family)]
    if as_json:
        print_json(rows)
        return
    print_table("Offers", ["Operator", "Family", "Code", "Name", "Monthly", "Access", "Once",
                           "Basis", "Demo"],
                [[r["operator"], r["family"], r["code"], r["name"], fr_format(r["monthly_fee"]),
                  fr_format(r["access_fee"]), fr_format(r["one_off_price"]), r["price_basis"],
                  "demo" if r["demo"] else r["price_source"]] for r in rows])


@app.command()
def show(operator: str, code: str, as_json: bool = JsonOption):
    """Show one offer with its options."""
    from clausier.catalog import service

    with command() as cmd:
        offer = service.get_offer(cmd.session, operator, code)
        data = offer_data(offer, service.options_of(cmd.session, offer))
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        console.print(f"[bold]{key}[/]: {value}", highlight=False)


@app.command()
def load(path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                     help="A price-list YAML file.")):
    """Load (or reload) a price list; loading the same file twice changes nothing."""
    from clausier.catalog import service

    with command() as cmd:
        result = service.load_catalog(cmd.session, cmd.clock, cmd.actor, path)
    if not result.changed:
        console.print(f"{result.operator}: nothing changed")
        return
    console.print(f"{result.operator}: created {result.created}, updated {result.updated}, "
                  f"deactivated {result.deactivated}", highlight=False)


@app.command()
def equipment(operator: str | None = typer.Option(None, help="Operator code."),
              as_json: bool = JsonOption):
    """List the equipment kinds and their replacement values."""
    from clausier.catalog import service

    with command() as cmd:
        rows = [{"operator": k.operator.code, "code": k.code, "name": k.name,
                 "replacement_value": k.replacement_value, "sale_price": k.sale_price,
                 "monthly_rent": k.monthly_rent, "price_basis": k.price_basis, "demo": k.demo,
                 "price_source": k.price_source}
                for k in service.list_equipment_kinds(cmd.session, operator)]
    if as_json:
        print_json(rows)
        return
    print_table("Equipment kinds", ["Code", "Name", "Replacement", "Basis", "Source"],
                [[r["code"], r["name"], fr_format(r["replacement_value"]), r["price_basis"],
                  "demo" if r["demo"] else r["price_source"]] for r in rows])
