"""``clausier user create-portal``: a login to the customer portal (joins the ``user`` commands)."""

from __future__ import annotations

import typer

from clausier.cli.common import command, console


app = typer.Typer(no_args_is_help=True)


@app.command("create-portal")
def create_portal(email: str, customer: str = typer.Option(..., help="Customer ref (or id)."),
                  name: str = typer.Option(...), language: str = typer.Option("fr"),
                  password: str = typer.Option(..., prompt=True, hide_input=True,
                                               confirmation_prompt=True)):
    """Create a user of the customer portal who sees that customer only."""
    from clausier.customers import service as customers
    from clausier.portal import service

    with command() as cmd:
        found = (customers.get_customer(cmd.session, int(customer)) if customer.isdigit()
                 else customers.get_customer_by_ref(cmd.session, customer))
        user = service.create_portal_user(cmd.session, cmd.clock, cmd.actor, found.id,
                                          email=email, name=name, password=password,
                                          language=language)
        console.print(f"Created {user.email}, portal user of {found.ref} {found.name}",
                      highlight=False)
