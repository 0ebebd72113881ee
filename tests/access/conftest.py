"""Fixtures of the access tests that go through HTTP: a committed, activated Rozoh site (the
``session`` fixture empties the database afterwards and must not write meanwhile) and API
clients for its administrator, a delegate, or a device."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient

from clausier.access.credentials.service import CredentialInput, add_credential
from clausier.access.devices.service import register_device
from clausier.access.records.service import RecordInput, create_record
from clausier.access.rights.service import add_access_point, grant_right, save_profile
from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.db.session import transaction
from tests.access.builders import activated_site
from tests.apps import app_for

SYSTEM = Actor(name="test@clausier.local", role="admin")


@dataclass
class Portal:
    site_id: int
    admin_user_id: int
    point_id: int
    profile_id: int
    dupont_id: int
    app: object

    def client(self, user_id: int) -> TestClient:
        with transaction(self.app.state.engine) as s:
            _, token = accounts.issue_token(s, self.app.state.clock, SYSTEM, user_id, "tests")
        return TestClient(self.app, headers={"authorization": f"Bearer {token}"})

    def device(self, name: str = "Contrôleur portail") -> tuple[int, str]:
        with transaction(self.app.state.engine) as s:
            device, token = register_device(s, self.app.state.clock, SYSTEM, self.site_id, name)
            return device.id, token


@pytest.fixture
def portal(engine, clock, session) -> Iterator[Portal]:
    """A school with a gate open to the 'staff' group Monday-Friday 07:30-18:00 (and 10:00-12:00
    on public holidays), and DUPONT holding badge H10301 123/4567."""
    with transaction(engine) as s:
        built = activated_site(s, clock, SYSTEM, activated_on=date(2026, 1, 5))
        site_id = built.site.id
        point = add_access_point(s, clock, SYSTEM, site_id, "Portail", "gate")
        profile = save_profile(s, clock, SYSTEM, site_id, name="Horaires école", segments=[
            f"{day} 07:30-18:00" for day in ("mon", "tue", "wed", "thu", "fri")] + ["holiday 10:00-12:00"])
        dupont = create_record(s, clock, built.admin, site_id, RecordInput(
            name="Jean Dupont", display_name="DUPONT", main_number="06 12 34 56 78",
            secondary_numbers=["02 40 00 00 00"], groups=["staff"]))
        add_credential(s, clock, built.admin, site_id, dupont.id,
                       CredentialInput("badge", "wiegand26", facility=123, card=4567))
        grant_right(s, clock, SYSTEM, site_id, access_point_id=point.id, profile_id=profile.id, group="staff")
        ids = Portal(site_id, built.admin.user_id, point.id, profile.id, dupont.id, app_for(engine, clock))
    yield ids
