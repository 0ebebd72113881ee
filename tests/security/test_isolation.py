"""Tenant isolation, checked on every route of the app (API and pages, from ``app.routes``): a user
of customer A, given the identifiers of customer B's objects, gets 403/404 (or an answer without
B's data), never a server error and never a write on B's objects. New rooms are covered as soon as
they are wired in ``api/app.py ROOMS``."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import fastapi.routing
import pytest
from fastapi.routing import APIRoute
from tests.security.world import World, as_customer_a, world, world_app  # noqa: F401

# Routes that do not act on anybody's data.
PUBLIC = {"/login", "/logout", "/lang/{code}", "/api/v1/health"}
MAX_CALLS_PER_ROUTE = 8
PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def _candidates(world: World, name: str) -> list[str]:
    """Identifiers of B's objects to put in a path parameter, guessed from its name."""
    foreign = world.foreign
    if name == "customer_id":
        return [str(world.customer_b)]
    if name.endswith("_id"):
        stem = name[:-3]
        ids = [i for table in foreign.rows if stem in table for i in foreign.ids(table)]
        if not ids:
            ids = [i for table in foreign.rows for i in foreign.ids(table)]
        return [str(i) for i in dict.fromkeys(ids)][:4]
    values = foreign.values(name) or foreign.values("ref") + foreign.values("number")
    return list(dict.fromkeys(values))[:4] or ["1"]


def _calls(world: World, route: Route):
    names = PARAM.findall(route.path)
    options = [_candidates(world, name) for name in names]
    for combination in itertools.islice(itertools.product(*options), MAX_CALLS_PER_ROUTE):
        path = route.path
        for name, value in zip(names, combination):
            path = re.sub(r"{" + re.escape(name) + r"(?::[^}]+)?}", value, path)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            yield method, path, bool(names)


@dataclass(frozen=True)
class Route:
    path: str
    methods: frozenset[str]


def all_routes(app) -> list[Route]:
    """Every API route and page of the app (FastAPI ≥ 0.16x includes routers lazily)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    found = flatten(app.routes) if flatten else app.routes
    return [Route(r.path, frozenset(r.methods)) for r in found
            if isinstance(getattr(r, "original_route", r), APIRoute)]


def _routes(app) -> list[Route]:
    return [r for r in all_routes(app) if r.path not in PUBLIC]


def exercise(client, world: World, app, markers: set[str]) -> tuple[int, list[str]]:
    """Call every route with B's identifiers; the failures: server errors, writes on B's objects,
    answers showing B's data."""
    failures, calls = [], 0
    for route in _routes(app):
        for method, path, scoped in _calls(world, route):
            response = client.request(method, path, json={} if method != "GET" else None)
            calls += 1
            status = response.status_code
            leaked = sorted(m for m in markers if m in response.text)
            if status >= 500:
                failures.append(f"{method} {path}: {status}")
            elif status < 300 and method != "GET" and scoped:
                failures.append(f"{method} {path}: {status} (a write on B's object)")
            elif status < 300 and leaked:
                failures.append(f"{method} {path}: {status} shows B's {leaked[:3]}")
    return calls, failures


def test_a_customer_user_never_reaches_another_customers_data(world, world_app, as_customer_a):
    markers = world.foreign.markers() - world.own.markers()
    assert markers, "customer B has no identifying data: the test would prove nothing"
    calls, failures = exercise(as_customer_a, world, world_app, markers)
    assert calls > len(_routes(world_app)), "the routes were not exercised"
    assert not failures, "\n".join(failures)


def test_the_portal_answers_not_found_for_another_customers_contract(world, as_customer_a):
    ref_b = world.foreign.rows["subscriptions"][0]["ref"]
    ref_a = world.own.rows["subscriptions"][0]["ref"]
    name_b = world.foreign.rows["customers"][0]["name"]
    assert as_customer_a.get(f"/api/v1/portal/contracts/{ref_a}").status_code == 200
    for path in (f"/api/v1/portal/contracts/{ref_b}",
                 f"/api/v1/portal/contracts/{ref_b}/termination-quote",
                 f"/portal/contracts/{ref_b}", f"/contracts/{ref_b}",
                 f"/api/v1/customers/{world.customer_b}", f"/customers/{world.customer_b}"):
        response = as_customer_a.get(path)
        assert response.status_code == 404, path
        assert name_b not in response.text      # (the 404 may repeat the ref asked for)
