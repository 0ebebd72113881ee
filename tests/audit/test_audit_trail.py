"""The audit trail: ``/audit`` with its filters and ``GET /api/v1/audit``."""

from __future__ import annotations

from tests.conftest import STAFF_EMAIL, create_user

from clausier.accounts import service as accounts
from clausier.audit.service import Actor, record
from clausier.core.message import msg
from clausier.db.session import transaction

SALES = Actor(name="sales@test.local", role="sales")


def _history(engine, clock, actor):
    """user.create ×2 by the test actor, then a token issued by the sales user."""
    create_user(engine, clock, actor, email="bob@test.local", name="Bob", role="billing")
    bob = create_user(engine, clock, actor, email="carol@test.local", name="Carol", role="sales")
    with transaction(engine) as s:
        accounts.issue_token(s, clock, SALES, bob, "crm")


def test_the_page_lists_entries_newest_first(staff_client, clean_engine, clock, actor):
    _history(clean_engine, clock, actor)
    page = staff_client.get("/audit")
    assert page.status_code == 200
    text = page.text
    assert "5 entrées" in text          # the admin's creation and login, then the history
    # the action and the entity in words; the room's summary, in English, says so
    assert text.index("jeton d’API émis") < text.index("carol@test.local (sales)")
    assert "<td>jeton d’API #1</td>" in text
    assert '<span lang="en">carol@test.local (sales)</span>' in text
    assert "24/11/2026 09:00" in text
    english = staff_client.get("/audit?lang=en").text
    assert "<td>API token issued</td>" in english and "<td>carol@test.local (sales)</td>" in english


def test_the_page_filters_by_entity_type_and_actor(staff_client, clean_engine, clock, actor):
    _history(clean_engine, clock, actor)
    tokens = staff_client.get("/audit", params={"entity_type": "api_tokens"}).text
    assert "1 entrée" in tokens and "jeton crm pour carol@test.local" in tokens
    assert '<option value="api_tokens" selected>jeton d’API</option>' in tokens
    by_actor = staff_client.get("/audit", params={"actor": actor.name}).text
    assert "3 entrées" in by_actor and "jeton d’API émis" not in by_actor


def test_api_filters_by_entity_and_actor(staff_client, clean_engine, clock, actor):
    _history(clean_engine, clock, actor)
    entries = staff_client.get("/api/v1/audit", params={"entity_type": "users"}).json()
    assert [(e["action"], e["summary"]) for e in entries] == [
        ("user.create", "carol@test.local (sales)"), ("user.create", "bob@test.local (billing)"),
        ("user.login", STAFF_EMAIL), ("user.create", f"{STAFF_EMAIL} (admin)")]
    mine = staff_client.get("/api/v1/audit", params={"actor": STAFF_EMAIL}).json()
    assert [(e["action"], e["summary"]) for e in mine] == [("user.login", STAFF_EMAIL)]
    first, second = staff_client.get("/api/v1/audit", params={"limit": 2}).json()
    older = staff_client.get("/api/v1/audit", params={"before_id": second["id"]}).json()
    assert [e["id"] for e in older] == list(range(second["id"] - 1, 0, -1))
    assert staff_client.get("/api/v1/audit", params={"limit": 0}).status_code == 422


def test_a_summary_kept_as_a_message_reads_in_the_readers_language(staff_client, clean_engine,
                                                                    clock, actor):
    """Issue 21: an entry recorded with a message shows French on the French page and English on
    the English one; an entry without one keeps its text (marked English on French pages)."""
    with transaction(clean_engine) as s:
        record(s, clock, actor, "setoff.notice", accounts.get_user_by_email(s, STAFF_EMAIL),
               msg("{ref}: set-off notice sent", ref="C-0042"))
    french = staff_client.get("/audit").text
    assert "C-0042 : avis de compensation envoyé" in french
    assert "set-off notice sent" not in french
    english = staff_client.get("/audit?lang=en").text
    assert "C-0042: set-off notice sent" in english and "avis de compensation" not in english
    (entry,) = [e for e in staff_client.get("/api/v1/audit").json()
                if e["action"] == "setoff.notice"]
    assert entry["summary"] == "C-0042: set-off notice sent"
    assert entry["summary_message"]["id"] == "{ref}: set-off notice sent"
    fr = staff_client.get("/api/v1/audit", headers={"Accept-Language": "fr"}).json()
    assert [e["summary_message"]["text"] for e in fr if e["action"] == "setoff.notice"] == [
        "C-0042 : avis de compensation envoyé"]


def test_a_tick_steps_summary_is_its_message_in_the_readers_language(staff_client, clean_engine,
                                                                      clock, actor, monkeypatch):
    """Issue 21: a daily step returns a message (the accounts' forgetting of stale logins); the
    tick's audit entry reads it in French on the French page, in English on the English one,
    and the step's English summary is the text it always was."""
    from datetime import date

    from clausier.accounts.service import forget_stale_logins
    from clausier.scheduler import service as scheduler

    monkeypatch.setattr(scheduler, "tick_steps", lambda: [forget_stale_logins])
    with transaction(clean_engine) as s:
        (outcome,) = scheduler.run_daily_tick(s, clock, actor, date(2026, 11, 24))
    assert outcome.summary == "0 login throttle(s) and 0 browser session(s) forgotten"
    step = "clausier.accounts.service:<code>forget_stale_logins</code>"   # the page marks code
    french = staff_client.get("/audit", params={"entity_type": "tick_runs"}).text
    assert (f"2026-11-24 {step} : 0 limitation(s) de connexion et 0 session(s) de navigateur "
            "oubliées") in french
    assert "browser session" not in french
    english = staff_client.get("/audit", params={"entity_type": "tick_runs", "lang": "en"}).text
    assert f"2026-11-24 {step}: 0 login throttle(s) and 0 browser session(s) forgotten" in english
