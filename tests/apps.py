"""The web app of the tests: one per worker and database, its clock set by each test.

FastAPI (0.165) prepares each route of an app on the first request it matches, about 340 routes
and a second of CPU per app; a suite that made an app per test spent minutes there. The app holds
nothing of a test but its engine and clock (``app.state``), which are set again on every call;
an app with other settings (``create_app(settings=…)``) is still made on its own.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from clausier.api.app import create_app
from clausier.core.clock import Clock

_APPS: dict[str, FastAPI] = {}


def app_for(engine: Engine, clock: Clock) -> FastAPI:
    app = _APPS.get(str(engine.url))
    if app is None:
        app = _APPS[str(engine.url)] = create_app(engine=engine, clock=clock)
    app.state.engine, app.state.clock = engine, clock
    return app
