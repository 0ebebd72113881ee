"""The demo data set: idempotent, covering every service family, valid identities."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from clausier.accounts import service as accounts
from clausier.audit.models import AuditEntry
from clausier.catalog import service as catalog
from clausier.cli.main import app
from clausier.customers import service as customers
from clausier.demo import service as demo


def _counts(session) -> tuple[int, ...]:
    return (customers.search_customers(session, per_page=1).total,
            len(catalog.list_offers(session, active=None)), len(accounts.list_users(session)),
            session.scalar(select(func.count()).select_from(AuditEntry)))


def test_loading_the_demo_twice_leaves_the_same_counts(session, clock, actor):
    first = demo.load_demo(session, clock, actor)
    counts = _counts(session)
    second = demo.load_demo(session, clock, actor)
    assert (first.customers_created, second.customers_created) == (30, 0)
    assert _counts(session) == counts
    assert first.sheets and first.sheets == second.sheets


def test_demo_customers_cover_every_family_and_pass_the_checks(demo_session):
    for operator, entries in demo.demo_customer_entries().items():
        offers = {o.code: o.family for o in catalog.list_offers(demo_session, operator)}
        subscribed = {offers[code] for entry in entries for code in entry["offers"]}
        assert subscribed == {o.family for o in catalog.list_offers(demo_session, operator)}
    technicophone = customers.search_customers(demo_session, operator="technicophone").items
    assert all(c.kind == "company" and c.siren and c.siret.startswith(c.siren)
               for c in technicophone)
    assert any(len(c.sites) > 1 for c in technicophone)
    assert all(sum(s.is_central for s in c.sites) == 1 for c in technicophone)
    assert all(customers.authorised_reporters(demo_session, c.id) for c in technicophone)
    assert {c.kind for c in customers.search_customers(demo_session, operator="ozone").items} == {
        "household"}
    # Rozoh packs are sold to public bodies and tertiary or industrial companies (R:231-236)
    assert {c.category for c in customers.search_customers(demo_session, operator="rozoh").items} == {
        "public_body", "tertiary", "industrial"}


def test_demo_users_can_log_in(demo_session, clock):
    for user in demo.DEMO_USERS:
        assert accounts.authenticate(demo_session, clock, user["email"], user["password"],
                                     "127.0.0.1").user.role == user["role"]
    # the site delegate of the README joined its site by accepting its invitation
    from clausier.access.demo import DEMO_SITES

    delegate = DEMO_SITES[0]["delegates"][0]
    assert accounts.authenticate(demo_session, clock, delegate["email"], delegate["password"],
                                 "127.0.0.1").user.role == "site_delegate"


STEP_CALLS: list[str] = []


def later_room_step(session, clock, actor) -> str:
    STEP_CALLS.append(actor.name)
    return "1 thing"


def test_later_rooms_add_steps_reported_by_name(session, clock, actor, monkeypatch):
    monkeypatch.setattr(demo, "demo_steps", lambda: [later_room_step])
    report = demo.load_demo(session, clock, actor)
    assert STEP_CALLS == [actor.name]
    assert report.steps == [f"{__name__}:later_room_step: 1 thing"]


def test_cli_prints_what_it_loaded_and_the_admin_login(session, db_url, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Customers: 30 (30 new)" in result.output
    assert "admin@clausier.local" in result.output and "clausier-admin" in result.output
