"""Logging in and out of the back office: throttling, session cookie, CSRF."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import STAFF_EMAIL, STAFF_PASSWORD, create_user, csrf_of, log_in
from sqlalchemy import select

from clausier.accounts import rules
from clausier.audit.models import AuditEntry
from clausier.db.session import transaction
from tests.apps import app_for


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


def _fail_logins(client, email: str, times: int):
    return [log_in(client, email, "wrong password!") for _ in range(times)][-1]


def test_an_unknown_email_is_answered_like_a_real_one_after_as_many_failures(
        client, clean_engine, clock, actor):
    """Enumeration: a lock on real accounts only made them answer differently (issue 17 §5)."""
    create_user(clean_engine, clock, actor)
    times = rules.FREE_FAILURES["account"] + 1
    real, unknown = _fail_logins(client, STAFF_EMAIL, times), _fail_logins(
        client, "nobody@test.local", times)
    assert (real.status_code, unknown.status_code) == (401, 401)
    assert real.text.replace(STAFF_EMAIL, "") == unknown.text.replace("nobody@test.local", "")
    again = log_in(client, "nobody@test.local", "wrong password!")
    assert again.status_code == 401 and "Trop de tentatives" in again.text


def test_failures_delay_the_next_attempt_more_each_time_and_never_lock(
        client, clean_engine, clock, actor):
    """Past the free failures the next attempt waits 2 s, then 4 s…; once waited, the right
    password opens the session: no lock for an attacker to hold."""
    create_user(clean_engine, clock, actor)
    free = rules.FREE_FAILURES["account"]
    _fail_logins(client, STAFF_EMAIL, free + 1)
    waiting = log_in(client, STAFF_EMAIL, STAFF_PASSWORD)
    assert waiting.status_code == 401 and "Trop de tentatives" in waiting.text
    assert rules.login_delay("account", free + 1) == 2 * rules.login_delay("account", free)
    clock.advance(rules.login_delay("account", free + 1) + timedelta(seconds=1))
    assert log_in(client, STAFF_EMAIL, STAFF_PASSWORD).status_code == 303
    assert _actions(clean_engine)[-1] == "user.login"


def test_failures_from_one_address_never_delay_the_owner_at_another(
        clean_engine, clock, actor):
    from fastapi.testclient import TestClient

    from clausier.api.app import create_app

    create_user(clean_engine, clock, actor)
    app = app_for(clean_engine, clock)
    with TestClient(app, client=("203.0.113.9", 4000)) as attacker:
        _fail_logins(attacker, STAFF_EMAIL, rules.FREE_FAILURES["account"] + 1)
        assert "Trop de tentatives" in log_in(attacker, STAFF_EMAIL, STAFF_PASSWORD).text
        # spraying other e-mails: the address itself is slowed down, for any e-mail
        for n in range(rules.FREE_FAILURES["address"]):
            _fail_logins(attacker, f"guess{n}@test.local", 1)
        assert "Trop de tentatives" in log_in(attacker, "other@test.local", "x" * 12).text
    with TestClient(app, client=("198.51.100.7", 4000)) as owner:
        assert log_in(owner, STAFF_EMAIL, STAFF_PASSWORD).status_code == 303


def test_the_daily_tick_forgets_old_failures_and_sessions_past_their_lifetime(
        staff_client, clean_engine, clock, actor):
    from clausier.accounts import service as accounts

    log_in(staff_client, "nobody@test.local", "wrong password!")
    with transaction(clean_engine) as s:
        assert accounts.forget_stale_logins(s, clock, actor, clock.today()) == (
            "0 login throttle(s) and 0 browser session(s) forgotten")
    clock.advance(rules.FAILURE_MEMORY + timedelta(seconds=1))
    with transaction(clean_engine) as s:
        # the address and the e-mail at that address; the admin's one session
        assert accounts.forget_stale_logins(s, clock, actor, clock.today()) == (
            "2 login throttle(s) and 1 browser session(s) forgotten")
    assert staff_client.get("/api/v1/me").status_code == 401


def test_login_delays_double_from_two_seconds_up_to_a_ceiling():
    free = rules.FREE_FAILURES["account"]
    assert [rules.login_delay("account", n).total_seconds() for n in range(free - 1, free + 4)] \
        == [0, 2, 4, 8, 16]
    assert rules.login_delay("account", 500) == rules.MAX_LOGIN_DELAY


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


def test_logout_ends_the_session_on_the_server_for_every_copy_of_the_cookie(staff_client):
    copied = staff_client.cookies["clausier_session"]
    token = csrf_of(staff_client.get("/login").text)
    response = staff_client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert staff_client.get("/api/v1/me").status_code == 401
    staff_client.cookies.set("clausier_session", copied)
    assert staff_client.get("/api/v1/me").status_code == 401


def test_a_new_password_or_an_administrator_ends_the_open_sessions(
        staff_client, clean_engine, clock, actor):
    from clausier.accounts import service as accounts

    assert staff_client.get("/api/v1/me").status_code == 200
    with transaction(clean_engine) as s:
        user = accounts.get_user_by_email(s, STAFF_EMAIL)
        accounts.set_password(s, clock, actor, user.id, "a brand new password")
    assert staff_client.get("/api/v1/me").status_code == 401
    assert log_in(staff_client, STAFF_EMAIL, "a brand new password").status_code == 303
    with transaction(clean_engine) as s:
        user = accounts.get_user_by_email(s, STAFF_EMAIL)
        assert accounts.end_sessions(s, clock, actor, user.id) == 1
    assert staff_client.get("/api/v1/me").status_code == 401
    assert _actions(clean_engine)[-1] == "user.sessions_end"


def test_the_session_cookie_is_secure_when_the_setting_says_so(clean_engine, clock, actor):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from clausier.api.app import create_app
    from clausier.core.settings import Settings

    create_user(clean_engine, clock, actor)
    for secure in (False, True):
        settings = replace(Settings.from_env(), cookie_secure=secure)
        with TestClient(create_app(engine=clean_engine, clock=clock, settings=settings),
                        base_url="https://testserver") as browser:
            cookie = log_in(browser, STAFF_EMAIL, STAFF_PASSWORD).headers["set-cookie"].lower()
            assert ("; secure" in cookie) is secure, cookie


def test_a_page_asks_a_visitor_to_log_in_first(client):
    response = client.get("/terms", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/terms"


def test_a_browser_session_expires_after_its_lifetime_however_active(staff_client, clock):
    clock.advance(rules.SESSION_LIFETIME - timedelta(seconds=60))
    assert staff_client.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(seconds=120))
    assert staff_client.get("/api/v1/me").status_code == 401
    page = staff_client.get("/customers", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.headers["location"] == "/login?next=/customers"
