"""A demo world for the security tests: the demo data set, two customers A and B, a portal user of
A, and what belongs to B found generically (every table reached from B by a foreign key), so that
a new room's tables are covered without changing these tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

import pytest
from fastapi.testclient import TestClient

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine

from clausier.accounts import service as accounts
from clausier.accounts.models import User
from clausier.contracts.models import Subscription
from clausier.core.clock import FixedClock
from clausier.audit.service import Actor
from clausier.customers import service as customers
from clausier.db.session import transaction
from clausier.portal import service as portal
from tests import dbcopy
from tests.conftest import _empty
from tests.apps import app_for

PASSWORD = "portal-password-123"
# Columns whose values identify a customer's objects in pages and JSON.
MARKER_COLUMNS = ("ref", "number", "email", "service_identifier", "external_ref", "siren")
# Tables reached from a customer by foreign keys that are shared reference data, not its own.
SHARED_TABLES = {"operators", "offers", "term_sheets", "catalog_offers"}


@dataclass
class Owned:
    """Rows that belong to one customer, by table."""

    rows: dict[str, list[dict]] = field(default_factory=dict)

    def ids(self, table: str) -> list[int]:
        return [r["id"] for r in self.rows.get(table, []) if isinstance(r.get("id"), int)]

    def values(self, column: str) -> list[str]:
        return [str(r[column]) for rows in self.rows.values() for r in rows
                if r.get(column) not in (None, "")]

    def markers(self) -> set[str]:
        return {v for column in MARKER_COLUMNS for v in self.values(column) if len(v) >= 6}


def owned_by(engine: Engine, customer_id: int, depth: int = 4) -> Owned:
    """Every row reached from the customer by following foreign keys (and ``customer_id``
    columns without a declared key) backwards, ``depth`` levels deep."""
    metadata = MetaData()
    metadata.reflect(engine)
    owned = Owned({"customers": []})
    keys: dict[str, set] = {"customers": {customer_id}}
    with engine.connect() as conn:
        customers_table = metadata.tables["customers"]
        owned.rows["customers"] = [dict(r._mapping) for r in conn.execute(
            select(customers_table).where(customers_table.c.id == customer_id))]
        for _ in range(depth):
            grown = False
            for table in metadata.sorted_tables:
                if table.name in SHARED_TABLES or table.name == "customers":
                    continue
                links = [(fk.parent, fk.column.table.name) for fk in table.foreign_keys]
                if "customer_id" in table.c and not any(p.name == "customer_id" for p, _ in links):
                    links.append((table.c.customer_id, "customers"))
                for column, target in links:
                    wanted = keys.get(target)
                    if not wanted or "id" not in table.c:
                        continue
                    # In id order: tests take "the first" of a kind, the same on both databases.
                    found = [dict(r._mapping) for r in conn.execute(
                        select(table).where(column.in_(wanted)).order_by(table.c.id))]
                    known = keys.setdefault(table.name, set())
                    new = [r for r in found if r["id"] not in known]
                    if new:
                        known.update(r["id"] for r in new)
                        owned.rows.setdefault(table.name, []).extend(new)
                        grown = True
            if not grown:
                break
    return owned


@dataclass
class SiteWorld:
    """Two access-control sites of the demo (two Rozoh customers): site A's administrator and
    delegate ("manage credentials"), each with an API token, and what belongs to site B."""

    site_a: int
    site_b: int
    tokens: dict[str, str]          # "admin" | "delegate" -> bearer token of site A's user
    foreign: Owned
    own: Owned


@dataclass
class World:
    customer_a: int
    customer_b: int
    user_a_email: str
    token_a: str
    foreign: Owned
    own: Owned
    sites: SiteWorld | None = None
    # Path parameters given these identifiers only (e.g. ``site_id``: B's access-control site).
    prefer: dict[str, list[int]] = field(default_factory=dict)
    token_a_id: int = 0

    def seen_by_site_users(self) -> World:
        """The same world for site A's users, whose own API tokens are not to be guessed as
        B's: the token asked for is customer A's user's (theirs to leave alone)."""
        return replace(self, prefer={**self.prefer, "token_id": [self.token_a_id]})

    def of_sites(self) -> World:
        """The same world seen from site A: B is site B's customer, ``site_id`` is site B."""
        sites = self.sites
        return World(sites.own.rows["customers"][0]["id"], sites.foreign.rows["customers"][0]["id"],
                     "", "", sites.foreign, sites.own, sites, {"site_id": [sites.site_b]})


    def of_site_customer(self) -> World:
        """Site A's own customer seen from site A's users: what the customer has outside the
        access-control room (contracts, tickets, contacts, invoices…) is not theirs to reach."""
        sites = self.sites
        customer = Owned({table: rows for table, rows in sites.own.rows.items()
                          if not table.startswith(SITE_TABLES)})
        site = Owned({table: rows for table, rows in sites.own.rows.items()
                      if table.startswith(SITE_TABLES)})
        return World(sites.own.rows["customers"][0]["id"], customer.rows["customers"][0]["id"],
                     "", "", customer, site, sites, {"token_id": [self.token_a_id]})


# What a site user reaches of its customer: the access-control room and the users of its site.
SITE_TABLES = ("access_", "users", "api_tokens")


def build(engine: Engine, clock) -> World:
    """The demo data; A and B are the first two Technicophone demo customers."""
    actor = Actor.system("test")
    dbcopy.demo_committed(engine, clock)
    with transaction(engine) as s:
        a = customers.get_customer_by_ref(s, "TEC-000001").id
        b = customers.get_customer_by_ref(s, "TEC-000002").id
        user = portal.create_portal_user(s, clock, actor, a, email="user.a@customer-a.example",
                                         name="User of A", password=PASSWORD)
        s.flush()
        issued, token = accounts.issue_token(s, clock, actor, user.id, "isolation")
        sites = _site_users(s, clock, actor)
        s.flush()
        token_id = issued.id
    if sites is not None:
        sites.foreign = owned_by(engine, sites.foreign)
        sites.own = owned_by(engine, sites.own)
    return World(a, b, "user.a@customer-a.example", token, owned_by(engine, b), owned_by(engine, a),
                 sites, token_a_id=token_id)


def _site_users(s, clock, actor) -> SiteWorld | None:
    """Site A and B of the access demo (``access/demo.py``), tokens for A's two users; ``own``
    and ``foreign`` hold the customers' ids until ``build`` replaces them with their rows."""
    from clausier.access.demo import DEMO_SITES
    from clausier.access.models import AccessSite, Pack

    found = []
    for entry in DEMO_SITES[:2]:
        pack = s.scalar(select(Pack).join(Subscription, Subscription.id == Pack.subscription_id)
                        .where(Subscription.ref == entry["subscription"]))
        if pack is None:
            return None
        found.append((pack, s.scalar(select(AccessSite).where(AccessSite.pack_id == pack.id))))
    (pack_a, site_a), (pack_b, site_b) = found
    _incident_of(s, clock, actor, pack_a.subscription_id)
    tokens = {}
    for role, email in (("admin", DEMO_SITES[0]["admin"]["email"]),
                        ("delegate", DEMO_SITES[0]["delegates"][0]["email"])):
        user = s.scalar(select(User).where(User.email == email))
        tokens[role] = accounts.issue_token(s, clock, actor, user.id, f"isolation-{role}")[1]
    return SiteWorld(site_a.id, site_b.id, tokens, pack_b.customer_id, pack_a.customer_id)


def _incident_of(s, clock, actor, subscription_id: int) -> None:
    """A ticket on site A's pack, called in by its customer's incident reporter: what the
    customer's portal shows and a site user must not (the contact's e-mail and phone)."""
    from clausier.customers.models import Contact
    from clausier.support import service as support

    subscription = s.get(Subscription, subscription_id)
    reporter = next(c for c in s.scalars(select(Contact).where(
        Contact.customer_id == subscription.customer_id)) if support.INCIDENT_REPORTER in c.roles)
    support.open_ticket(s, clock, actor, support.TicketInput(
        subscription=subscription.ref, reporter_contact_id=reporter.id,
        description="The gate's intercom does not ring", location="Main gate"))


TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def world(engine) -> Iterator[World]:
    """The demo world, put back at the start of each test module (built once per worker:
    loading the demo takes seconds); the tests of the module share it and must not undo each
    other's data; the database is emptied after."""
    _empty(engine)
    try:
        yield _world_of(engine)
    finally:
        _empty(engine)


_BUILT: dict[str, World] = {}


def _world_of(engine: Engine) -> World:
    key = str(engine.url)
    if key in _BUILT and dbcopy.restore(engine, "world"):
        return _BUILT[key]
    _BUILT[key] = build(engine, FixedClock.on(TODAY))
    dbcopy.save(engine, "world")
    return _BUILT[key]


@pytest.fixture(scope="module")
def world_app(engine, world):
    return app_for(engine, FixedClock.on(TODAY))


@pytest.fixture
def browser(world_app) -> Iterator[TestClient]:
    """A browser (cookies, no one logged in) on the demo world."""
    with TestClient(world_app) as client:
        yield client


@pytest.fixture(params=["admin", "delegate"])
def as_site_a_user(request, world_app, world) -> Iterator[TestClient]:
    """An API client with the bearer token of site A's administrator, then of its delegate."""
    if world.sites is None:
        pytest.skip("the access room's demo sites are not built")
    with TestClient(world_app, headers={
            "authorization": f"Bearer {world.sites.tokens[request.param]}"}) as client:
        yield client


@pytest.fixture
def as_customer_a(world_app, world) -> Iterator[TestClient]:
    """An API client with the bearer token of customer A's portal user."""
    with TestClient(world_app, headers={"authorization": f"Bearer {world.token_a}"}) as client:
        yield client
