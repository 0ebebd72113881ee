"""``clausier tick --dry-run`` shows what the day would bring and changes nothing;
``clausier tick --customer REF`` acts on that customer only (issue 18 §7).

Two Technicophone customers, each with the October 2025 invoice of a SIP trunk due on
7 November 2025 (CGV art. 10.4, 25 days after the 3 October issue, a « jour » being a working
day under CGV art. 2: 1 November falls on a Saturday) and unpaid: on 8 November the first formal
notice goes out by registered letter (CGV art. 8.4, « mise en demeure … par
lettre recommandée avec accusé de réception »)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from clausier.cli.main import app
from clausier.db.session import transaction
from clausier.notifications.models import OutboxMessage
from clausier.scheduler.models import TickRun
from tests.payments.helpers import billed_customer
from tests.snapshot import snapshot

runner = CliRunner()


@pytest.fixture
def two_unpaid(clean_engine, db_url, actor, tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    monkeypatch.setenv("CLAUSIER_DATA_DIR", str(tmp_path / "var"))
    refs = []
    with transaction(clean_engine) as s:
        for name in ("Boulangerie Martin", "Garage Durand"):
            billed = billed_customer(s, actor, "technicophone", family="sip_trunk",
                                     monthly_fee="1000.00", go_live=date(2025, 10, 1),
                                     period="2025-10", issue_on=date(2025, 10, 3), name=name)
            assert billed.invoice.due_date == date(2025, 11, 7)
            refs.append(billed.customer.ref)
    return refs


def files_under(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) \
        if folder.exists() else []


def test_a_dry_run_prints_the_letters_it_would_send_and_changes_nothing(
        two_unpaid, clean_engine, tmp_path):
    before, files_before = snapshot(clean_engine), files_under(tmp_path / "var")
    result = runner.invoke(app, ["tick", "--today", "2025-11-08", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["dry_run"] is True
    letters = [c for c in data["changes"] if c["action"] == "outbox.registered_letter"]
    assert sorted(ref for c in letters for ref in two_unpaid if ref in c["summary"]) == sorted(two_unpaid)
    assert any(c["action"] == "invoice.overdue" for c in data["changes"])
    assert snapshot(clean_engine) == before            # not one row written, changed or deleted
    assert files_under(tmp_path / "var") == files_before    # no letter file either
    table = runner.invoke(app, ["tick", "--today", "2025-11-08", "--dry-run"])
    assert "dry run, nothing changed" in table.output and "What it would do" in table.output


def test_a_dry_run_lists_the_emails_the_senders_would_send_without_sending(
        two_unpaid, clean_engine):
    from clausier.audit.service import Actor
    from clausier.core.clock import FixedClock
    from clausier.customers.service import get_customer_by_ref
    from clausier.notifications import outbox

    with transaction(clean_engine) as s:
        outbox.queue(s, FixedClock.on(date(2025, 11, 8)), Actor.system("test"),
                     get_customer_by_ref(s, two_unpaid[0]), channel="email", kind="reminder",
                     key="test-reminder", subject="Rappel", body="Votre facture est due.")
    before = snapshot(clean_engine)
    data = json.loads(runner.invoke(app, ["tick", "--today", "2025-11-08", "--dry-run",
                                          "--json"]).output)
    assert [(m["channel"], m["kind"], m["subject"]) for m in data["messages"]] == [
        ("email", "reminder", "Rappel")]
    assert snapshot(clean_engine) == before
    with transaction(clean_engine) as s:
        assert s.scalar(select(OutboxMessage.status).where(OutboxMessage.key == "test-reminder")) == "queued"


def test_a_tick_for_one_customer_sends_only_that_customers_letter_and_leaves_the_day_to_run(
        two_unpaid, clean_engine):
    first, second = two_unpaid
    result = runner.invoke(app, ["tick", "--today", "2025-11-08", "--customer", first, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    statuses = {o["step"]: o["status"] for o in data["steps"]}
    assert statuses["clausier.payments.daily:tick"] == "done"
    assert statuses["clausier.privacy.service:tick"] == "skipped"      # a purge is for everyone
    with transaction(clean_engine) as s:
        letters = s.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == "registered_letter")).all()
        assert [m.recipient.splitlines()[0] for m in letters] == ["Boulangerie Martin"]
        assert s.scalars(select(TickRun)).all() == []                  # the day still runs for all
    everyone = runner.invoke(app, ["tick", "--today", "2025-11-08", "--json"])
    assert everyone.exit_code == 0, everyone.output
    with transaction(clean_engine) as s:
        letters = s.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == "registered_letter")).all()
        assert sorted(m.recipient.splitlines()[0] for m in letters) == [
            "Boulangerie Martin", "Garage Durand"]      # the first customer's letter only once


def test_an_unknown_customer_is_refused(two_unpaid):
    result = runner.invoke(app, ["tick", "--today", "2025-11-08", "--customer", "NOPE"])
    assert result.exit_code == 2 and "NOPE" in result.output
