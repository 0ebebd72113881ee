"""``clausier demo load``."""

from __future__ import annotations

import typer

from clausier.cli.common import command, console


app = typer.Typer(no_args_is_help=True, help="The demonstration data set.")


@app.command()
def load():
    """Load the demo data (term sheets, price lists, customers, staff users); idempotent."""
    from clausier.demo import service

    with command() as cmd:
        report = service.load_demo(cmd.session, cmd.clock, cmd.actor)
    console.print(f"Term sheets: {', '.join(report.sheets) or 'none found'}")
    console.print(f"Offers: {report.offers}")
    console.print(f"Customers: {report.customers_total} ({report.customers_created} new)")
    for step in report.steps:
        console.print(f"Step: {step}", highlight=False)
    console.print("Staff users:")
    for user in report.users:
        console.print(f"  {user}", highlight=False)
    console.print(f"Log in as [bold]{service.DEMO_USERS[0]['email']}[/] with password "
                  f"[bold]{service.DEMO_USERS[0]['password']}[/]", highlight=False)


@app.callback()
def main():
    """The demonstration data set."""
