"""Logging in and out of the back office: throttling, session cookie, CSRF."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import STAFF_EMAIL, STAFF_PASSWORD, create_user, csrf_of, log_in
from sqlalchemy import select

from clausier.accounts import rules
from clausier.accounts.models import User
from clausier.audit.models import AuditEntry
from clausier.db.session import transaction


def _actions(engine) -> list[str]:
    with transaction(engine) as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_start_page_of_a_visitor_is_the_login_form(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'action="/login"' in page.text and 'name="password"' in page.text


def test_a_wrong_password_is_refused_with_a_401_page(client, clean_engine, clock, actor):
    create_user(clean_engine, clock, actor)
    response = log_in(client, STAFF_EMAIL, "not the password")
    assert response.status_code == 401
    assert "Adresse e-mail inconnue ou mot de passe erroné." in response.text
    assert client.get("/api/v1/me").status_code == 401
    assert _actions(clean_engine)[-1] == "user.login_failed"


def test_an_unknown_email_gets_the_same_refusal(client):
    response = log_in(client, "nobody@test.local", "whatever-password")
    assert response.status_code == 401
    assert "Adresse e-mail inconnue ou mot de passe erroné." in response.text


def test_five_failures_lock_the_account_even_against_the_right_password(
        client, clean_engine, clock, actor):
    create_user(clean_engine, clock, actor)
    for _ in range(rules.MAX_FAILED_LOGINS - 1):
        assert "mot de passe erroné" in log_in(client, STAFF_EMAIL, "wrong password!").text
    fifth = log_in(client, STAFF_EMAIL, "wrong password!")
    assert fifth.status_code == 401 and "Trop de tentatives" in fifth.text
    locked = log_in(client, STAFF_EMAIL, STAFF_PASSWORD)
    assert locked.status_code == 401 and "Trop de tentatives" in locked.text
    assert _actions(clean_engine)[-1] == "user.lock"

    clock.advance(rules.LOCKOUT + timedelta(seconds=1))     # the lock lasts LOCKOUT only
    assert log_in(client, STAFF_EMAIL, STAFF_PASSWORD).status_code == 303
    with transaction(clean_engine) as s:
        user = s.scalar(select(User).where(User.email == STAFF_EMAIL))
        assert (user.failed_logins, user.locked_until) == (0, None)


def test_a_good_login_sets_an_httponly_lax_session_cookie_and_redirects(
        client, clean_engine, clock, actor):
    create_user(clean_engine, clock, actor)
    response = log_in(client, STAFF_EMAIL, STAFF_PASSWORD, next="/audit")
    assert response.status_code == 303
    assert response.headers["location"] == "/audit"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("clausier_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/api/v1/me").json()["email"] == STAFF_EMAIL
    assert _actions(clean_engine)[-1] == "user.login"


def test_login_never_redirects_to_another_site(client, clean_engine, clock, actor):
    create_user(clean_engine, clock, actor)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        response = log_in(client, STAFF_EMAIL, STAFF_PASSWORD, next=target)
        assert response.headers["location"] == "/"


def test_a_post_without_the_csrf_token_is_refused(client, clean_engine, clock, actor):
    create_user(clean_engine, clock, actor)
    client.get("/login")
    refused = client.post("/login", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD},
                          follow_redirects=False)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("csrf_token")
    wrong = client.post("/login", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD,
                                        "csrf_token": "forged"}, follow_redirects=False)
    assert wrong.status_code == 403


def test_a_logged_in_browser_needs_the_csrf_token_for_api_writes_too(staff_client):
    assert staff_client.post("/api/v1/tokens", json={"name": "x"}).status_code == 403
    token = csrf_of(staff_client.get("/login").text)
    created = staff_client.post("/api/v1/tokens", json={"name": "x"},
                                headers={"x-csrf-token": token})
    assert created.status_code == 201


def test_logout_ends_the_session(staff_client):
    token = csrf_of(staff_client.get("/login").text)
    response = staff_client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert staff_client.get("/api/v1/me").status_code == 401


def test_a_page_asks_a_visitor_to_log_in_first(client):
    response = client.get("/terms", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/terms"


def test_a_browser_session_expires_after_its_lifetime_however_active(staff_client, clock):
    from clausier.api.deps import SESSION_LIFETIME_SECONDS

    clock.advance(timedelta(seconds=SESSION_LIFETIME_SECONDS - 60))
    assert staff_client.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(seconds=120))
    assert staff_client.get("/api/v1/me").status_code == 401
    page = staff_client.get("/customers", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.headers["location"] == "/login?next=/customers"
