"""Fixtures shared by the catalog, customers and demo tests (imported by their conftest.py):
the built-in price lists loaded, and API/web clients logged in as a staff user of a given role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from clausier.accounts import service as accounts
from clausier.audit.service import Actor
from clausier.catalog import service as catalog
from clausier.db.session import transaction
from tests.apps import app_for

PASSWORD = "correct-horse-battery"


@pytest.fixture
def loaded(engine, clock, session) -> None:
    """The three built-in price lists, committed (``session`` empties the database afterwards;
    the test must not write through it while a client writes, or SQLite would wait on itself)."""
    with transaction(engine) as s:
        catalog.load_built_in_catalogs(s, clock, Actor.system("test"))


def make_staff(engine, clock, role: str) -> tuple[int, str]:
    with transaction(engine) as s:
        user = accounts.create_user(s, clock, Actor.system("test"), email=f"{role}@test.example",
                                    name=role.title(), role=role, password=PASSWORD)
        _, token = accounts.issue_token(s, clock, Actor.system("test"), user.id, "tests")
        return user.id, token


@pytest.fixture
def staff_client(engine, clock, session) -> Iterator[Callable[[str], TestClient]]:
    """``staff_client("support")``: an API client with a bearer token of a staff user."""
    app = app_for(engine, clock)
    clients: list[TestClient] = []

    def client_for(role: str = "admin") -> TestClient:
        _, token = make_staff(engine, clock, role)
        client = TestClient(app, headers={"authorization": f"Bearer {token}"})
        clients.append(client)
        return client

    yield client_for
    for client in clients:
        client.close()


def csrf_of(client: TestClient) -> str:
    """The CSRF token the login page puts in its form."""
    page = client.get("/login").text
    marker = 'name="csrf_token" value="'
    return page.split(marker, 1)[1].split('"', 1)[0]


@pytest.fixture
def browser(engine, clock, session) -> Iterator[TestClient]:
    """A web client logged in through the login form as an admin (session cookie + CSRF)."""
    make_staff(engine, clock, "admin")
    with TestClient(app_for(engine, clock)) as client:
        response = client.post("/login", data={"email": "admin@test.example", "password": PASSWORD,
                                               "next": "/", "csrf_token": csrf_of(client)},
                               follow_redirects=False)
        assert response.status_code == 303
        yield client
