"""``clausier db upgrade``."""

import typer

from clausier.cli.common import command, console
from clausier.core.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Database schema.")


@app.command()
def upgrade(url: str = typer.Option(None, help="Database URL (default CLAUSIER_DATABASE_URL).")):
    """Apply the migrations (Alembic), then add the built-in term sheets, operators and price
    lists the database lacks; running it again changes nothing."""
    # Alembic and the catalogue: for this command only, not for every command's start.
    from clausier.catalog.service import install_builtins
    from clausier.db.migrate import upgrade as run_upgrade
    from clausier.db.session import engine_for

    target = url or Settings.from_env().database_url
    run_upgrade(target)
    typer.echo(f"Database up to date: {target.split('@')[-1]}")
    with command(engine=engine_for(target)) as cmd:
        installed = install_builtins(cmd.session, cmd.clock, cmd.actor)
    added = ", ".join(f"{what} {count}" for what, count in sorted(installed.added.items()))
    console.print(f"Term sheets: {', '.join(installed.sheets) or 'none'} "
                  f"({installed.sheets_added} new)", highlight=False)
    console.print(f"Price lists: {', '.join(installed.operators) or 'none'} "
                  f"({'added: ' + added if added else 'nothing new'})", highlight=False)
