"""The daily tick: each step once per day, failures isolated, run by the CLI and by the server."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from clausier.api.app import create_app
from clausier.audit.models import AuditEntry
from clausier.cli.main import app
from clausier.core.clock import PARIS
from clausier.db.session import transaction
from clausier.scheduler import service
from clausier.scheduler.models import TickRun
from clausier.scheduler.rules import next_run_at
from tests.apps import app_for

CALLS: list[tuple[str, date]] = []
RAN = threading.Event()


def count_step(session, clock, actor, day):
    CALLS.append(("count", day))
    RAN.set()
    return f"counted on {day.isoformat()}"


def failing_step(session, clock, actor, day):
    session.add(TickRun(day=day, step="written-then-rolled-back", ran_at=clock.now(),
                        actor=actor.name))
    raise RuntimeError("the room's step broke")


STEP = f"{__name__}:count_step"
FAILING = f"{__name__}:failing_step"


def steps_are(monkeypatch, *steps) -> None:
    monkeypatch.setattr(service, "tick_steps", lambda: list(steps))


@pytest.fixture(autouse=True)
def steps(monkeypatch):
    CALLS.clear()
    RAN.clear()
    steps_are(monkeypatch, count_step)


def test_a_second_tick_for_the_same_day_does_nothing(session, clock, actor):
    day = date(2026, 11, 24)
    first = service.run_daily_tick(session, clock, actor, day)
    assert [(o.step, o.status, o.summary) for o in first] == [
        (STEP, "done", "counted on 2026-11-24")]
    second = service.run_daily_tick(session, clock, actor, day)
    assert [(o.step, o.status) for o in second] == [(STEP, "already_done")]
    assert CALLS == [("count", day)]
    assert [r.summary for r in service.runs_of(session, day)] == ["counted on 2026-11-24"]
    assert session.scalars(select(AuditEntry.action)).all() == ["tick.step"]


def test_the_next_day_runs_again(session, clock, actor):
    service.run_daily_tick(session, clock, actor, date(2026, 11, 24))
    service.run_daily_tick(session, clock, actor, date(2026, 11, 25))
    assert CALLS == [("count", date(2026, 11, 24)), ("count", date(2026, 11, 25))]


def test_a_failing_step_is_rolled_back_and_retried_without_stopping_the_others(
        session, clock, actor, monkeypatch):
    steps_are(monkeypatch, failing_step, count_step)
    day = date(2026, 11, 24)
    outcomes = service.run_daily_tick(session, clock, actor, day)
    assert [(o.status, o.summary) for o in outcomes] == [
        ("failed", "RuntimeError: the room's step broke"), ("done", "counted on 2026-11-24")]
    assert [r.step for r in service.runs_of(session, day)] == [STEP]
    again = service.run_daily_tick(session, clock, actor, day)
    assert [o.status for o in again] == ["failed", "already_done"]


def test_cli_tick_twice_for_a_date(clean_engine, db_url, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    runner = CliRunner()
    first = runner.invoke(app, ["tick", "--today", "2026-12-01", "--json"])
    assert first.exit_code == 0, first.output
    assert '"status": "done"' in first.output and '"day": "2026-12-01"' in first.output
    second = runner.invoke(app, ["tick", "--today", "2026-12-01", "--json"])
    assert '"status": "already_done"' in second.output
    assert CALLS == [("count", date(2026, 12, 1))]


def test_cli_tick_exits_1_when_a_step_fails(clean_engine, db_url, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    steps_are(monkeypatch, failing_step)
    assert CliRunner().invoke(app, ["tick", "--today", "2026-12-01"]).exit_code == 1


def test_the_server_runs_the_tick_for_today_on_start_up(clean_engine, clock):
    from fastapi.testclient import TestClient

    with TestClient(create_app(engine=clean_engine, clock=clock, daily_tick=True)):
        assert RAN.wait(timeout=60)        # waits for the thread; not a timing assertion
    with transaction(clean_engine) as s:
        assert [(r.day, r.actor) for r in s.scalars(select(TickRun))] == [(clock.today(), "tick")]


def test_the_server_does_not_tick_when_told_not_to(clean_engine, clock):
    from fastapi.testclient import TestClient

    with TestClient(app_for(clean_engine, clock)) as client:   # CLAUSIER_NO_TICK=1
        assert client.app.state.ticker is None


@pytest.mark.parametrize("now, expected", [
    (datetime(2026, 11, 24, 9, 0, tzinfo=PARIS), datetime(2026, 11, 25, 0, 5, tzinfo=PARIS)),
    (datetime(2026, 11, 24, 23, 59, tzinfo=PARIS), datetime(2026, 11, 25, 0, 5, tzinfo=PARIS)),
    # the night the clocks go back (25 October 2026): still 00:05 Paris time the next day
    (datetime(2026, 10, 24, 12, 0, tzinfo=PARIS), datetime(2026, 10, 25, 0, 5, tzinfo=PARIS)),
])
def test_next_run_is_just_after_the_next_midnight_in_paris(now, expected):
    assert next_run_at(now) == expected


def test_a_steps_summary_is_kept_as_its_message_for_each_readers_language(
        session, clock, actor, monkeypatch):
    """Issue 21: a step that answers with a message (the outboxes left to the workers) has its
    run keep that message beside the text, read in French and in English."""
    from clausier.core.message import msg, stored
    from clausier.web.explain_text import explained

    def left_step(session, clock, actor, day):
        return msg("left to the workers")

    steps_are(monkeypatch, left_step)
    day = date(2026, 11, 24)
    service.run_daily_tick(session, clock, actor, day)
    [run] = service.runs_of(session, day)
    assert run.summary == "left to the workers"
    assert run.summary_message == {"id": "left to the workers", "params": {}}
    text = stored(run.summary, run.summary_message)
    assert explained(text, "fr") == "laissé aux workers"
    assert explained(text, "en") == "left to the workers"
