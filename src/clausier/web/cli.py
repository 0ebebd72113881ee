"""``clausier serve``: the web app and API (and the daily tick, run by the server itself)."""

from __future__ import annotations

import typer

from clausier.core.settings import Settings

app = typer.Typer()


@app.command()
def serve(host: str = typer.Option(None, help="Default CLAUSIER_HOST or 127.0.0.1."),
          port: int = typer.Option(None, help="Default CLAUSIER_PORT or 8000.")):
    """Serve the back office, the portals and the REST API."""
    import uvicorn

    from clausier.api.app import create_app

    settings = Settings.from_env()
    uvicorn.run(create_app(settings=settings), host=host or settings.host,
                port=port or settings.port, log_level="info")
