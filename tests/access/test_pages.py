"""Site-portal and back-office pages render, with forms that go through the services."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from clausier.accounts import service as accounts
from clausier.db.session import transaction
from tests.access.builders import ADMIN_PASSWORD
from tests.access.conftest import SYSTEM


def _login(app, email: str, password: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    login = client.get("/login").text
    csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/login", data={"email": email, "password": password, "next": "/", "csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/sites").text          # a fresh session, hence a fresh CSRF token
    return client, page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_site_administrator_pages(portal):
    client, csrf = _login(portal.app, "admin@montaigu.fr", ADMIN_PASSWORD)
    assert client.get("/", follow_redirects=False).headers["location"] == "/sites"
    home = client.get("/sites")
    assert home.status_code == 200 and "École Jules Ferry" in home.text
    for tab in ("", "/records", "/schedules", "/delegates", "/devices", "/events"):
        page = client.get(f"/sites/{portal.site_id}{tab}")
        assert page.status_code == 200, tab
    created = client.post(f"/sites/{portal.site_id}/records", data={
        "csrf_token": csrf, "name": "Anna Keller", "main_number": "+41 44 668 18 00"}, follow_redirects=False)
    assert created.status_code == 303 and "/records/" in created.headers["location"]
    refused = client.post(f"/sites/{portal.site_id}/records", data={
        "csrf_token": csrf, "name": "John Smith", "main_number": "+1 212 555 0100"})
    assert "outside the allowed call destinations" in refused.text
    record = client.get(f"/sites/{portal.site_id}/records/{portal.dupont_id}")
    assert "H10301 123/4567" in record.text and "0x2F623AE (26 bits)" in record.text
    plan = client.post(f"/sites/{portal.site_id}/records/{portal.dupont_id}/call-plan",
                       data={"busy": "+33612345678", "answers": "+33240000000"}, headers={"x-csrf-token": csrf})
    assert "Répondu par +33240000000" in plan.text
    zero = client.post(f"/sites/{portal.site_id}/records/{portal.dupont_id}/credentials",
                       data={"csrf_token": csrf, "kind": "keypad", "value": "0000",
                             "access_point_id": str(portal.point_id)})
    assert "0000 is too easy to guess" in zero.text
    # A form value that does not parse comes back as a reason naming the field, never a 500.
    bad_date = client.post(f"/sites/{portal.site_id}/records", data={
        "csrf_token": csrf, "name": "Eva Brun", "valid_from": "31/12/2026"})
    assert bad_date.status_code == 200 and "valid_from" in bad_date.text
    assert "is not a date" in bad_date.text
    bad_profile = client.post(f"/sites/{portal.site_id}/profiles", data={
        "csrf_token": csrf, "name": "Nuit", "segments": "mon 20:00-23:00", "profile_id": "x"})
    assert bad_profile.status_code == 200 and "profile_id" in bad_profile.text
    bad_filter = client.get(f"/sites/{portal.site_id}/events", params={"since": "yesterday"})
    assert bad_filter.status_code == 422 and "since" in bad_filter.text
    csv_export = client.get(f"/sites/{portal.site_id}/events.csv")
    assert csv_export.headers["content-type"].startswith("text/csv")


def test_back_office_pack_pages(portal, engine, clock):
    with transaction(engine) as s:
        accounts.create_user(s, clock, SYSTEM, email="ops@rozoh.test", name="Ops", role="admin",
                             password="Ops-password-1")
    client, _ = _login(portal.app, "ops@rozoh.test", "Ops-password-1")
    packs = client.get("/access/packs")
    assert packs.status_code == 200 and "École Jules Ferry" in packs.text
    assert "École Jules Ferry" in client.get("/access/packs", params={"within_months": 121}).text
    assert "École Jules Ferry" not in client.get("/access/packs", params={"within_months": 6}).text
    detail = client.get("/access/packs/1")
    assert detail.status_code == 200 and "CP A art. 2" in detail.text


def test_a_site_notice_reads_in_the_readers_language(portal, engine, clock):
    """Issue 21: reading ROZ-END-WARNINGS (CP A art. 2 L224-227: warnings 6 and 1 months before
    the end of the service period), the 6 months warning is kept as a message: the site's page
    reads it in French for a French administrator and in English for an English one."""
    import html
    from datetime import timedelta

    from clausier.access.models import Pack, SiteNotice
    from clausier.access.periods.service import daily_tick
    from clausier.access.sites.service import get_site
    from clausier.contracts.rules import add_months

    with transaction(engine) as s:
        pack = s.get(Pack, get_site(s, SYSTEM, portal.site_id).pack_id)
        end = pack.service_end
        daily_tick(s, clock, SYSTEM, add_months(end + timedelta(days=1), -6))
    with transaction(engine) as s:
        notice = s.scalars(select(SiteNotice).where(SiteNotice.site_id == portal.site_id)).one()
        assert notice.kind == "end_warning_6" and notice.message_message["params"]["months"] == 6
    client, _ = _login(portal.app, "admin@montaigu.fr", ADMIN_PASSWORD)
    french = html.unescape(client.get(f"/sites/{portal.site_id}").text)
    assert f"prend fin le {end.isoformat()} (préavis de 6 mois)" in french
    assert "months notice" not in french
    english = html.unescape(client.get(f"/sites/{portal.site_id}?lang=en").text)
    assert f"ends on {end.isoformat()} (6 months notice)" in english
    assert "préavis" not in english
