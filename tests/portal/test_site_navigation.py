"""The site portal's navigation (issue 21, "Navigation"): a site administrator gets the back
office's menu from the first page, the pages of their site as tabs; with several sites the
picker comes first, with one they land on it."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from clausier.access.models import SiteMember
from clausier.db.session import transaction
from tests.access.builders import ADMIN_PASSWORD, activated_site
from tests.access.conftest import SYSTEM, portal  # noqa: F401  (the fixture)

SITE_TABS = ("Vue d'ensemble", "Fiches", "Événements")


def _menu(page: str) -> list[tuple[str, str]]:
    """The main menu's links, (path, text)."""
    nav = page.split('<nav aria-label="Principal">', 1)[1].split("</nav>", 1)[0]
    return [(path, html.unescape(text))
            for path, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)]


def _signed_in(app) -> TestClient:
    client = TestClient(app)
    login = client.get("/login").text
    csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/login", data={"email": "admin@montaigu.fr", "password": ADMIN_PASSWORD,
                                       "next": "/", "csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    return client


def test_a_site_administrator_of_one_site_lands_on_it_with_its_tabs(portal):  # noqa: F811
    client = _signed_in(portal.app)
    landing = client.get("/sites", follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == f"/sites/{portal.site_id}"
    first = client.get("/", follow_redirects=True)
    assert str(first.url).endswith(f"/sites/{portal.site_id}")
    menu = _menu(first.text)
    assert [path for path, _ in menu] == [
        f"/sites/{portal.site_id}{tab}"
        for tab in ("", "/records", "/schedules", "/delegates", "/devices", "/events")]
    assert all(title in [t for _, t in menu] for title in SITE_TABS)
    assert "Mes sites" not in [title for _, title in menu]
    assert f'href="/sites/{portal.site_id}" aria-current="page"' in first.text
    # a deeper page marks its tab as the section being read
    records = client.get(f"/sites/{portal.site_id}/records").text
    assert f'href="/sites/{portal.site_id}/records" aria-current="page"' in records
    assert '<nav class="tabs" aria-label="Site">' not in records     # no second copy of the tabs


def test_with_several_sites_the_picker_is_the_first_tab(portal, engine, clock):  # noqa: F811
    with transaction(engine) as s:
        other = activated_site(s, clock, SYSTEM, email="mairie@montaigu.fr").site
        s.add(SiteMember(site_id=other.id, user_id=portal.admin_user_id, role="admin", scopes=[],
                         created_at=clock.now()))
    client = _signed_in(portal.app)
    picker = client.get("/sites")
    assert picker.status_code == 200
    menu = _menu(picker.text)
    assert menu[0] == ("/sites", "Mes sites")
    assert len(menu) == 1 + 6 and all(title in [t for _, t in menu] for title in SITE_TABS)
    assert 'href="/sites" aria-current="page"' in picker.text
    # reading the other site, the tabs are its pages, the picker still first
    menu = _menu(client.get(f"/sites/{other.id}/events").text)
    assert menu[0] == ("/sites", "Mes sites")
    assert menu[-1] == (f"/sites/{other.id}/events", "Événements")
