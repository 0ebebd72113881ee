"""Every route commits its transaction before answering (``Depends(get_session,
scope="function")``): a client that follows a redirect sees what the request wrote."""

from __future__ import annotations

import fastapi.routing
from fastapi.routing import APIRoute

from clausier.api.app import create_app
from clausier.api.deps import get_session


def _dependencies(dependant):
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def test_every_route_commits_before_it_answers(engine):
    app = create_app(engine=engine)
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = [getattr(r, "original_route", r) for r in (flatten(app.routes) if flatten else app.routes)]
    late = sorted({route.path for route in routes if isinstance(route, APIRoute)
                   for dependency in _dependencies(route.dependant)
                   if dependency.call is get_session and dependency.scope != "function"})
    assert not late, f"Depends(get_session) without scope=\"function\" on {late}"
