"""The customer portal: a customer's user sees its contracts with their dates and what leaving would
cost, explained with the clauses (the contracts room computes, the portal scopes); staff create
the portal users."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from clausier.core.clock import FixedClock
from clausier.cli.main import app as cli
from clausier.core.errors import Conflict, InvalidInput, NotFound
from clausier.customers import service as customers
from clausier.db.session import transaction
from clausier.portal import service
from tests.conftest import STAFF_PASSWORD, create_user, csrf_of, log_in
from tests.security.world import (PASSWORD, TODAY, World, as_customer_a, browser,  # noqa: F401
                                  world, world_app)


def _refs(world: World, which: str) -> list[str]:
    owned = world.own if which == "a" else world.foreign
    return [r["ref"] for r in owned.rows["subscriptions"]]


def test_the_portal_lists_the_customers_own_contracts_only(world, engine):
    with transaction(engine) as s:
        views = service.contracts_of(s, world.customer_a, TODAY)
        assert sorted(v.subscription.ref for v in views) == sorted(_refs(world, "a"))
        with pytest.raises(NotFound, match="subscription: .* not found"):
            service.subscription_of(s, world.customer_a, _refs(world, "b")[0])
        with pytest.raises(NotFound):
            service.subscription_of(s, world.customer_a, "NO-SUCH-REF")


def test_the_exit_quote_of_the_portal_is_the_contracts_rooms_quote(world, engine):
    """TEC-000001 has two analogue lines (VGA): leaving during the initial period costs the flat
    fee per line, CP I §6.2 — the portal shows the contracts room's explained quote unchanged."""
    from clausier.contracts import service as contracts

    ref = _refs(world, "a")[0]
    with transaction(engine) as s:
        quote = service.quote_leaving(s, world.customer_a, ref, date(2026, 12, 1))
        same = contracts.quote_termination(s, ref, date(2026, 12, 1))
        assert quote.explained.total == same.explained.total
        assert any("CP I §6.2" in line.clause for line in quote.explained.lines)
        assert quote.explained.total == sum((l.amount for l in quote.explained.lines), Decimal(0))


def test_portal_pages_in_french_and_english(world, browser):
    client = browser
    assert log_in(client, world.user_a_email, PASSWORD).status_code == 303
    home = client.get("/", follow_redirects=True)
    assert home.url.path == "/portal"
    assert "Mes contrats" in home.text and "Fin d&#39;engagement" in home.text
    ref = _refs(world, "a")[0]
    assert f"/portal/contracts/{ref}" in home.text
    assert not any(ref_b in home.text for ref_b in _refs(world, "b"))
    usage = client.get("/portal/usage")
    assert usage.status_code == 200 and "Mes consommations" in usage.text
    english = client.get("/portal?lang=en")
    assert "My contracts" in english.text and "Commitment end" in english.text
    page = client.get(f"/portal/contracts/{ref}")
    quote = client.post(f"/portal/contracts/{ref}/quote",
                        data={"received": "2026-12-01", "csrf_token": csrf_of(page.text)},
                        headers={"hx-request": "true"})
    assert quote.status_code == 200 and "CP I §6.2" in quote.text
    # Without script the form posts the page, which shows the quote too.
    full = client.post(f"/portal/contracts/{ref}/quote",
                       data={"received": "2026-12-01", "csrf_token": csrf_of(page.text)})
    assert "<html" in full.text and "CP I §6.2" in full.text


def test_a_quote_post_without_csrf_is_refused(world, browser):
    client = browser
    log_in(client, world.user_a_email, PASSWORD)
    ref = _refs(world, "a")[0]
    assert client.post(f"/portal/contracts/{ref}/quote",
                       data={"received": "2026-12-01"}).status_code == 403


def test_staff_pages_are_not_found_for_a_portal_user(world, browser):
    client = browser
    log_in(client, world.user_a_email, PASSWORD)
    for path in ("/customers", "/contracts", "/audit", f"/customers/{world.customer_a}"):
        assert client.get(path, headers={"accept": "text/html"}).status_code == 404, path


def test_staff_create_a_portal_user_on_the_customer_page(world, browser, engine, actor):
    create_user(engine, FixedClock.on(TODAY), actor, email="staff@portal-test.example")
    assert log_in(browser, "staff@portal-test.example", STAFF_PASSWORD).status_code == 303
    staff_client = browser
    page = staff_client.get(f"/customers/{world.customer_b}")
    assert f'hx-get="/customers/{world.customer_b}/portal-users"' in page.text
    fragment = staff_client.get(f"/customers/{world.customer_b}/portal-users",
                                headers={"hx-request": "true"})
    assert "<html" not in fragment.text and 'name="email"' in fragment.text
    token = csrf_of(fragment.text)
    bad = staff_client.post(f"/customers/{world.customer_b}/portal-users",
                            data={"email": "x@b.example", "name": "X", "password": "short",
                                  "csrf_token": token})
    assert bad.status_code == 422 and "at least 10 characters" in bad.text
    made = staff_client.post(f"/customers/{world.customer_b}/portal-users",
                             data={"email": "boss@b.example", "name": "Boss of B",
                                   "password": "a-long-password", "language": "en",
                                   "csrf_token": token}, follow_redirects=False)
    assert made.status_code == 303
    with transaction(engine) as s:
        [user] = [u for u in service.portal_users(s, world.customer_b)
                  if u.email == "boss@b.example"]
        assert (user.email, user.kind, user.role, user.language) == (
            "boss@b.example", "customer", "customer", "en")


def test_portal_user_errors_name_the_field(world, engine, actor):
    clock = FixedClock.on(TODAY)
    with transaction(engine) as s:
        with pytest.raises(InvalidInput, match="language"):
            service.create_portal_user(s, clock, actor, world.customer_a, email="a@a.example",
                                       name="A", password="long-enough-pw", language="de")
        with pytest.raises(NotFound):
            service.create_portal_user(s, clock, actor, 999_999, email="a@a.example",
                                       name="A", password="long-enough-pw")
        with pytest.raises(Conflict, match="email"):
            service.create_portal_user(s, clock, actor, world.customer_a,
                                       email=world.user_a_email, name="A",
                                       password="long-enough-pw")


def test_portal_api(world, as_customer_a):
    ref = _refs(world, "a")[0]
    api = as_customer_a
    mine = api.get("/api/v1/portal/contracts").json()
    assert sorted(c["ref"] for c in mine) == sorted(_refs(world, "a"))
    quote = api.get(f"/api/v1/portal/contracts/{ref}/termination-quote",
                    params={"received": "2026-12-01"}).json()
    assert any("CP I §6.2" in line["clause"] for line in quote["lines"])
    assert api.get(f"/api/v1/customers/{world.customer_a}/portal-users").status_code == 404


def test_cli_create_portal_user(world, engine, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(cli, ["user", "create-portal", "cli@b.example", "--customer",
                                      "TEC-000002", "--name", "Via CLI",
                                      "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    assert re.search(r"portal user of TEC-000002", result.output)
    with transaction(engine) as s:
        assert "cli@b.example" in [u.email for u in service.portal_users(s, world.customer_b)]
        assert customers.get_customer(s, world.customer_b).ref == "TEC-000002"
