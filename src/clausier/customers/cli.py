"""``clausier customer list|show|create|edit|add-site|add-contact``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from clausier.cli.common import JsonOption, command, console, print_json, print_table

if TYPE_CHECKING:
    from clausier.customers.models import Contact, Customer, Site


app = typer.Typer(no_args_is_help=True, help="Customers, their sites and contacts.")

OperatorOption = typer.Option(None, "--operator", help="Operator code, when refs are ambiguous.")


def site_data(site: Site) -> dict:
    from clausier.customers import service

    return {"id": site.id, **service.snapshot(site, service.SITE_FIELDS)}


def contact_data(contact: Contact) -> dict:
    from clausier.customers import service

    return {"id": contact.id, **service.snapshot(contact, service.CONTACT_FIELDS)}


def customer_data(customer: Customer, details: bool = False) -> dict:
    from clausier.customers import service

    data = {"id": customer.id, "operator_id": customer.operator_id,
            **service.snapshot(customer, service.CUSTOMER_FIELDS),
            "created_at": customer.created_at, "updated_at": customer.updated_at}
    if details:
        data["sites"] = [site_data(site) for site in customer.sites]
        data["contacts"] = [contact_data(contact) for contact in customer.contacts]
    return data


@app.command("list")
def list_customers(operator: str | None = typer.Option(None, help="Operator code."),
                   search: str | None = typer.Option(None, help="Name, ref, SIREN or e-mail."),
                   page: int = typer.Option(1, min=1), per_page: int = typer.Option(50, min=1),
                   as_json: bool = JsonOption):
    """List customers, by name."""
    from clausier.customers import service

    with command() as cmd:
        found = service.search_customers(cmd.session, search, operator, page, per_page)
        rows = [customer_data(c) for c in found.items]
    if as_json:
        print_json({"items": rows, "total": found.total, "page": found.page,
                    "per_page": found.per_page})
        return
    print_table(f"Customers ({found.total}, page {found.page}/{found.pages})",
                ["Ref", "Name", "Kind", "Category", "SIREN", "E-mail"],
                [[r["ref"], r["name"], r["kind"], r["category"], r["siren"], r["email"]]
                 for r in rows])


@app.command()
def show(ref: str, operator: str | None = OperatorOption, as_json: bool = JsonOption):
    """Show a customer with its sites and contacts."""
    from clausier.customers import service

    with command() as cmd:
        data = customer_data(service.get_customer_by_ref(cmd.session, ref, operator), details=True)
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if key not in ("sites", "contacts") and value not in (None, ""):
            console.print(f"[bold]{key}[/]: {value}", highlight=False)
    print_table("Sites", ["Id", "Name", "Postcode", "City", "Zone", "Central"],
                [[s["id"], s["name"], s["postcode"], s["city"], s["numbering_zone"],
                  "yes" if s["is_central"] else ""] for s in data["sites"]])
    print_table("Contacts", ["Id", "Name", "E-mail", "Phone", "Roles"],
                [[c["id"], c["name"], c["email"], c["phone"], ", ".join(c["roles"])]
                 for c in data["contacts"]])


def _given(**values) -> dict:
    return {name: value for name, value in values.items() if value is not None}


@app.command()
def create(operator: str = typer.Option(..., help="Operator code: technicophone, ozone, rozoh…"),
           name: str = typer.Option(...),
           kind: str = typer.Option("company", help="company or household"),
           ref: str | None = typer.Option(None, help="Default: generated, e.g. TEC-000001."),
           external_ref: str | None = None, category: str | None = None,
           siren: str | None = None, siret: str | None = None,
           vat_number: str | None = typer.Option(None, "--vat"),
           email: str | None = None, phone: str | None = None,
           address: str | None = typer.Option(None, help="Billing address."),
           country: str | None = None, employees: int | None = None):
    """Create a customer."""
    from clausier.customers import service

    with command() as cmd:
        customer = service.create_customer(
            cmd.session, cmd.clock, cmd.actor, operator=operator, name=name, kind=kind, ref=ref,
            **_given(external_ref=external_ref, category=category, siren=siren, siret=siret,
                     vat_number=vat_number, email=email, phone=phone, billing_address=address,
                     country=country, employees=employees))
        console.print(f"Created customer {customer.ref} ({customer.name})")


@app.command()
def edit(ref: str, operator: str | None = OperatorOption,
         name: str | None = None, new_ref: str | None = typer.Option(None, "--ref"),
         external_ref: str | None = None, category: str | None = None,
         siren: str | None = None, siret: str | None = None,
         vat_number: str | None = typer.Option(None, "--vat"),
         email: str | None = None, phone: str | None = None,
         address: str | None = typer.Option(None, help="Billing address."),
         employees: int | None = None, notes: str | None = None):
    """Change a customer's fields (only those given)."""
    from clausier.customers import service

    with command() as cmd:
        customer = service.get_customer_by_ref(cmd.session, ref, operator)
        service.update_customer(
            cmd.session, cmd.clock, cmd.actor, customer.id,
            **_given(name=name, ref=new_ref, external_ref=external_ref, category=category,
                     siren=siren, siret=siret, vat_number=vat_number, email=email, phone=phone,
                     billing_address=address, employees=employees, notes=notes))
        console.print(f"Updated customer {customer.ref}")


@app.command("add-site")
def add_site(ref: str, name: str = typer.Option(...), operator: str | None = OperatorOption,
             address: str = "", postcode: str = "", city: str = "", country: str = "FR",
             zone: str | None = typer.Option(None, "--zone",
                                             help="Numbering zone 01-05 (default: from postcode)."),
             central: bool | None = typer.Option(None, "--central/--not-central")):
    """Add a site to a customer."""
    from clausier.customers import service

    with command() as cmd:
        customer = service.get_customer_by_ref(cmd.session, ref, operator)
        site = service.add_site(cmd.session, cmd.clock, cmd.actor, customer.id, name=name,
                                address=address, postcode=postcode, city=city, country=country,
                                numbering_zone=zone, is_central=central)
        console.print(f"Added site {site.id} {site.name} (zone {site.numbering_zone or '-'}"
                      f"{', central' if site.is_central else ''})")


@app.command("add-contact")
def add_contact(ref: str, name: str = typer.Option(...), operator: str | None = OperatorOption,
                email: str = "", phone: str = "",
                role: list[str] = typer.Option([], "--role", help="contract_follow_up, billing, "
                                                                 "incident_reporter (repeatable)"),
                site: int | None = typer.Option(None, help="Site id.")):
    """Add a contact to a customer."""
    from clausier.customers import service

    with command() as cmd:
        customer = service.get_customer_by_ref(cmd.session, ref, operator)
        contact = service.add_contact(cmd.session, cmd.clock, cmd.actor, customer.id, name=name,
                                      email=email, phone=phone, roles=role, site_id=site)
        console.print(f"Added contact {contact.id} {contact.name} ({', '.join(contact.roles)})")
