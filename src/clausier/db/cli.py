"""``clausier db upgrade``."""

import typer

from clausier.core.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Database schema.")


@app.command()
def upgrade(url: str = typer.Option(None, help="Database URL (default CLAUSIER_DATABASE_URL).")):
    """Apply the migrations (Alembic) to the database."""
    from clausier.db.migrate import upgrade as run_upgrade   # Alembic: for this command only

    target = url or Settings.from_env().database_url
    run_upgrade(target)
    typer.echo(f"Database up to date: {target.split('@')[-1]}")
