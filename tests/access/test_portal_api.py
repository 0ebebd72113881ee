"""The site-administrator API: scopes of delegates, other sites' objects, records, credentials,
call routing (Rozoh seed CP A art. 1 and 3)."""

from __future__ import annotations

import re

import pytest

from clausier.access.records.service import RecordInput, create_record
from clausier.access.sites import service as site_service
from clausier.db.session import transaction
from tests.access.builders import ADMIN_PASSWORD, activated_site
from tests.access.conftest import SYSTEM


def test_delegate_without_rights_is_refused_and_another_sites_objects_do_not_exist(portal, clock):
    """CP A art. 3 L260-263: the administrator may give access to employees or third parties —
    with the rights they choose: a read-only delegate may read but not change (403); the
    records of another site are not found (404)."""
    admin = portal.client(portal.admin_user_id)
    with transaction(portal.app.state.engine) as s:
        _, secret = site_service.invite_delegate(s, clock, SYSTEM, portal.site_id,
                                                 email="gardien@montaigu.fr", scopes=["read_only"])
    created = admin.post("/api/v1/access/invitations/accept", json={
        "secret": secret, "name": "Paul Gardien", "password": "Gardien-password-1"})
    assert created.status_code == 201
    with transaction(portal.app.state.engine) as s:
        delegate_id = site_service.members(s, SYSTEM, portal.site_id)[1][1].id
        other = activated_site(s, clock, SYSTEM, email="admin@autre.fr")
        other_record = create_record(s, clock, other.admin, other.site.id, RecordInput(name="X"))
        other_site_id, other_record_id = other.site.id, other_record.id
    delegate = portal.client(delegate_id)
    assert delegate.get(f"/api/v1/access/sites/{portal.site_id}/records").status_code == 200
    refused = delegate.post(f"/api/v1/access/sites/{portal.site_id}/records", json={"name": "Intrus"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "scope: your delegation on École Jules Ferry does not include manage_records"
    assert delegate.post(f"/api/v1/access/sites/{portal.site_id}/records/{portal.dupont_id}/credentials",
                         json={"kind": "keypad", "value": "2580", "access_point_id": portal.point_id}).status_code == 403
    assert admin.get(f"/api/v1/access/sites/{other_site_id}/records/{other_record_id}").status_code == 404
    assert admin.get(f"/api/v1/access/sites/{portal.site_id}/records/{other_record_id}").status_code == 404
    # Given manage_records, the same delegate may add the record (and the change is audited).
    admin.put(f"/api/v1/access/sites/{portal.site_id}/delegates/{created.json()['id']}",
              json={"scopes": ["manage_records"]})
    assert delegate.post(f"/api/v1/access/sites/{portal.site_id}/records", json={"name": "Intrus"}).status_code == 201


@pytest.fixture
def inbox(smtp_inbox):
    return smtp_inbox


def test_an_invitation_attaches_no_account_without_its_consent_nor_tells_which_exist(
        portal, clock, inbox):
    """CP A art. 3 L260-263: the administrator gives access to employees or third parties. An
    account (another customer's site administrator, a staff member) is not attached by knowing
    its e-mail, and the answer to the administrator is the same for an address without an
    account; the invitee joins by accepting the mailed code, with the account's own password."""
    from clausier.accounts import service as accounts

    with transaction(portal.app.state.engine) as s:
        other = activated_site(s, clock, SYSTEM, email="admin@autre.fr")
        accounts.create_user(s, clock, SYSTEM, email="staff@clausier.test", name="Staff",
                             role="admin", password="staff-password-1")
        other_site_id = other.site.id
    admin = portal.client(portal.admin_user_id)
    addresses = ("admin@autre.fr", "staff@clausier.test", "nobody@ailleurs.fr")
    answers = [admin.post(f"/api/v1/access/sites/{portal.site_id}/delegates",
                          json={"email": email, "scopes": ["read_only"]}) for email in addresses]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert [a.json() for a in answers] == [{"invited": email, "scopes": ["read_only"]}
                                           for email in addresses]
    members = admin.get(f"/api/v1/access/sites/{portal.site_id}/delegates").json()
    assert [m["email"] for m in members] == ["admin@montaigu.fr"]     # nobody attached yet

    assert [m.rcpt_tos for m in inbox.messages] == [[email] for email in addresses]
    secret = re.search(rb"^([\w-]{43})\r?$", inbox.messages[0].content, re.M).group(1).decode()
    accept = {"secret": secret, "name": "Claire Admin"}
    wrong = admin.post("/api/v1/access/invitations/accept",
                       json={**accept, "password": "not her password"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "password"
    joined = admin.post("/api/v1/access/invitations/accept",
                        json={**accept, "password": ADMIN_PASSWORD})
    assert joined.status_code == 201 and joined.json()["scopes"] == ["read_only"]
    members = admin.get(f"/api/v1/access/sites/{portal.site_id}/delegates").json()
    assert [m["email"] for m in members] == ["admin@montaigu.fr", "admin@autre.fr"]
    # the account keeps its own site; the used code opens nothing more
    assert admin.post("/api/v1/access/invitations/accept",
                      json={**accept, "password": ADMIN_PASSWORD}).status_code == 404
    with transaction(portal.app.state.engine) as s:
        assert len(site_service.members(s, SYSTEM, other_site_id)) == 1


def test_same_badge_in_another_notation_and_trivial_code_are_refused(portal):
    """Badges are stored once whatever the notation; keypad code 0000 is refused."""
    admin = portal.client(portal.admin_user_id)
    base = f"/api/v1/access/sites/{portal.site_id}/records/{portal.dupont_id}/credentials"
    twin = admin.post(base, json={"kind": "badge", "format": "raw", "value": "2F623AE", "bits": 26})
    assert twin.status_code == 409
    assert "already registered to Jean Dupont" in twin.json()["detail"]
    assert "H10301 123/4567" in twin.json()["detail"]
    zero = admin.post(base, json={"kind": "keypad", "value": "0000", "access_point_id": portal.point_id})
    assert zero.status_code == 422
    assert zero.json()["errors"] == [{"field": "code", "reason": "0000 is too easy to guess (one repeated digit)"}]
    assert admin.post(base, json={"kind": "keypad", "value": "2580", "access_point_id": portal.point_id}).status_code == 201
    again = admin.post(base, json={"kind": "keypad", "value": "2580", "access_point_id": portal.point_id})
    assert again.status_code == 409


def test_phone_numbers_checked_at_entry(portal):
    """CP A art. 1 L79-88: a Swiss number is accepted, a US number and an emergency number are not."""
    admin = portal.client(portal.admin_user_id)
    url = f"/api/v1/access/sites/{portal.site_id}/records"
    swiss = admin.post(url, json={"name": "Anna Keller", "main_number": "+41 44 668 18 00"})
    assert swiss.status_code == 201 and swiss.json()["main_number"] == "+41446681800"
    us = admin.post(url, json={"name": "John Smith", "main_number": "+1 212 555 0100"})
    assert us.status_code == 422 and "outside the allowed call destinations" in us.json()["detail"]
    emergency = admin.post(url, json={"name": "Urgence", "main_number": "112"})
    assert emergency.status_code == 422
    assert emergency.json()["errors"][0]["reason"].startswith("'112' is an emergency or short number")


def test_call_plan_preview_with_a_busy_main_number(portal):
    """CP A art. 1 L67-77 over the API: main number busy → the secondary number answers."""
    admin = portal.client(portal.admin_user_id)
    url = f"/api/v1/access/sites/{portal.site_id}/records/{portal.dupont_id}/call-plan"
    plan = admin.get(url).json()
    assert [(s["channel"], s["target"], s["ring_seconds"]) for s in plan["steps"]] == [
        ("audio", "+33612345678", 20), ("audio", "+33240000000", 20)]
    trace = admin.post(url + "/simulate", json={"outcomes": {"+33612345678": "busy",
                                                              "+33240000000": "answered"}}).json()
    assert trace["answered_by"] == "+33240000000"
    assert [a["outcome"] for a in trace["attempts"]] == ["busy", "answered"]


def test_decision_preview_on_whit_monday(portal):
    """Whit Monday 2026-05-25 is a French public holiday: the holiday row (10:00-12:00) applies."""
    admin = portal.client(portal.admin_user_id)
    url = f"/api/v1/access/sites/{portal.site_id}/decide"
    badge = {"via": "badge", "access_point_id": portal.point_id, "format": "wiegand26", "facility": 123, "card": 4567}
    assert admin.post(url, json={**badge, "at": "2026-05-25T08:00:00+02:00"}).json()["reason"] == "outside_time_slot"
    assert admin.post(url, json={**badge, "at": "2026-05-25T10:30:00+02:00"}).json()["reason"] == "granted"
    assert admin.post(url, json={**badge, "at": "2026-05-26T08:00:00+02:00"}).json()["reason"] == "granted"


def test_a_refusal_carries_its_stable_code_in_the_problem(portal):
    """A keypad code belongs to an access point: without one, the API says so with the
    machine code ``credential_keypad_without_access_point``."""
    admin = portal.client(portal.admin_user_id)
    base = f"/api/v1/access/sites/{portal.site_id}/records/{portal.dupont_id}/credentials"
    refused = admin.post(base, json={"kind": "keypad", "value": "2580"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "credential_keypad_without_access_point"
