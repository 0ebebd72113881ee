"""Tenant isolation, checked on every route of the app (API and pages, from ``app.routes``): a user
of customer A, given the identifiers of customer B's objects, gets 403/404 (or an answer without
B's data), never a server error and never a write on B's objects. New rooms are covered as soon as
they are wired in ``api/app.py ROOMS``."""

from __future__ import annotations

import itertools
import re
from datetime import date
from dataclasses import dataclass

import fastapi.routing
import pytest
from fastapi.routing import APIRoute
from tests.security.world import World, as_customer_a, as_site_a_user, world, world_app  # noqa: F401

# Routes that do not act on anybody's data.
PUBLIC = {"/login", "/logout", "/lang/{code}", "/api/v1/health"}
MAX_CALLS_PER_ROUTE = 8
PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def _candidates(world: World, name: str) -> list[str]:
    """Identifiers of B's objects to put in a path parameter, guessed from its name."""
    foreign = world.foreign
    if name in world.prefer:
        return [str(i) for i in world.prefer[name]]
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
    form: tuple[tuple[str, object], ...] = ()      # a page's form fields (alias, annotation)
    query: tuple[tuple[str, object], ...] = ()     # required query parameters


def all_routes(app) -> list[Route]:
    """Every API route and page of the app (FastAPI ≥ 0.16x includes routers lazily)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    found = flatten(app.routes) if flatten else app.routes
    routes = [getattr(r, "original_route", r) for r in found]
    return [Route(r.path, frozenset(r.methods),
                  tuple((p.alias, p.field_info.annotation) for p in r.dependant.body_params),
                  tuple((p.alias, p.field_info.annotation) for p in r.dependant.query_params
                        if p.field_info.is_required()))
            for r in routes if isinstance(r, APIRoute)]


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


# The site portal's pages and API, and the devices' API (``access`` room).
SITE_ROUTES = re.compile(r"^(/api/v1)?/(access/)?sites/\{site_id\}|^/api/v1/devices/")


def test_a_site_user_never_reaches_another_sites_data(world, world_app, as_site_a_user):
    """Site A's administrator, then its delegate, call every route of the app with site B's
    identifiers: refused, never a server error, a write or B's data (CP A art. 3: the
    administrator and the delegates they name act on their own site only)."""
    sites = world.of_sites()
    markers = sites.foreign.markers() - sites.own.markers()
    assert "access_sites" in sites.foreign.rows and markers, "site B has nothing to protect"
    calls, failures = exercise(as_site_a_user, sites, world_app, markers)
    assert calls > len(_routes(world_app)), "the routes were not exercised"
    assert not failures, "\n".join(failures)


def test_a_site_user_never_acts_as_its_sites_customer(world, world_app, as_site_a_user):
    """Site A's administrator, then its delegate (their accounts carry site A's customer,
    ROZ-000001), call every route with that customer's identifiers: its tickets, contacts,
    contracts, SLA reports and equipment are refused, never shown (CP A art. 3: the site
    administrator is the operator's contact for the site, not for the customer's account)."""
    customer = world.of_site_customer()
    markers = customer.foreign.markers() - customer.own.markers()
    assert "tickets" in customer.foreign.rows and markers, "the customer has nothing to protect"
    calls, failures = exercise(as_site_a_user, customer, world_app, markers)
    assert calls > len(_routes(world_app)), "the routes were not exercised"
    assert not failures, "\n".join(failures)
    ref = customer.foreign.rows["customers"][0]["ref"]
    for method, path, body in (
            ("GET", "/api/v1/tickets?all=true", None),
            ("GET", "/api/v1/sla/report?month=2026-10", None),
            ("POST", "/api/v1/sla/claims", {"customer": ref, "month": "2026-10"}),
            ("GET", "/api/v1/equipment/returns/due", None),
            ("GET", "/api/v1/equipment/sims/1/puk", None),
            ("GET", "/portal/tickets", None), ("GET", "/portal/privacy/export.zip", None)):
        assert as_site_a_user.request(method, path, json=body).status_code == 404, path


def test_a_site_user_never_reaches_another_customers_data(world, world_app, as_site_a_user):
    """Site A's administrator, then its delegate, call every route with the identifiers of a
    customer they have nothing to do with (TEC-000002)."""
    markers = world.foreign.markers() - world.own.markers()
    calls, failures = exercise(as_site_a_user, world.seen_by_site_users(), world_app, markers)
    assert calls > len(_routes(world_app)), "the routes were not exercised"
    assert not failures, "\n".join(failures)


def _example(schema: dict, spec: dict):
    """The simplest value a JSON schema accepts (required properties only), so that a write
    reaches the service's authorisation instead of stopping at the body's validation."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return _example(next(s for s in schema[key] if s.get("type") != "null"), spec)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        # ("via": a way in the decision accepts before it looks at the site)
        return {name: "app" if name == "via" else _example(sub, spec)
                for name, sub in schema.get("properties", {}).items()
                if name in schema.get("required", [])}
    if kind == "array":
        return [_example(schema["items"], spec)] if schema.get("minItems") else []
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    return {"date": "2026-11-24", "date-time": "2026-11-24T08:00:00Z"}.get(schema.get("format"), "x")


DATE_FIELDS = re.compile(r"^valid_|_on$|^since$|^until$")


def _field(name: str, annotation) -> object:
    """A form or query value its name and annotation accept (form dates arrive as text)."""
    if annotation is int or name.endswith("_id") or name in ("facility", "card", "bits"):
        return "1"
    if annotation is date or DATE_FIELDS.search(name):
        return "2026-11-24"
    if annotation is bool:
        return "false"
    if getattr(annotation, "__origin__", None) is list:
        return ["x"]
    return "x"


def _request(spec: dict, method: str, route: Route) -> dict:
    """What a valid request carries besides the path: an API write's JSON body, a page's form
    fields, the required query parameters."""
    extra: dict = {"params": {name: _field(name, kind) for name, kind in route.query}}
    if method == "GET":
        return extra
    if not route.path.startswith("/api/"):
        return {**extra, "data": {name: _field(name, kind) for name, kind in route.form}}
    operation = spec["paths"].get(route.path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return {**extra, "json": _example(content["schema"], spec) if content else {}}


def test_every_site_portal_and_device_route_refuses_a_user_of_another_site(world, world_app,
                                                                          as_site_a_user):
    """Each route of a site (pages and API) with site B's id answers 404 (not yours) or 403; the
    device routes want a device's token, not a user's (401/403). API writes carry a body that
    passes validation, so that the answer is the authorisation's."""
    sites = world.of_sites()
    spec = world_app.openapi()
    routes = [r for r in _routes(world_app) if SITE_ROUTES.search(r.path)]
    assert len(routes) >= 30, [r.path for r in routes]
    answers = {}
    for route in routes:
        for method, path, _scoped in _calls(sites, route):
            response = as_site_a_user.request(method, path, **_request(spec, method, route))
            answers[f"{method} {path}"] = response.status_code
    refused = lambda call: (401, 403) if "/devices/me/" in call else (403, 404)   # noqa: E731
    wrong = {call: status for call, status in answers.items() if status not in refused(call)}
    assert not wrong, wrong
    own = as_site_a_user.get(f"/api/v1/access/sites/{sites.sites.site_a}")
    assert own.status_code == 200, "site A's user cannot read its own site: the test proves nothing"
