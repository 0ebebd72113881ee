"""One tick for the cluster (issue 23): the daily tick started from two processes at once runs
each step once; with a broker the web server leaves it to ``clausier scheduler``; without one
everything runs as before."""

from __future__ import annotations

import json
import os
import subprocess

from sqlalchemy import func, select
from typer.testing import CliRunner

from clausier.audit.models import AuditEntry
from clausier.cli.main import app
from clausier.core.settings import Settings
from clausier.scheduler.models import TickRun
from clausier.core.room import step_name
from clausier.scheduler.service import tick_steps
from clausier.db.session import transaction
from tests.workers.conftest import CLAUSIER


def test_the_tick_started_from_two_processes_at_once_runs_once(clean_engine, db_url):
    env = {**os.environ, "CLAUSIER_DATABASE_URL": db_url}
    ticks = [subprocess.Popen([CLAUSIER, "tick", "--today", "2026-11-24", "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [tick.communicate(timeout=180) for tick in ticks]
    assert [tick.returncode for tick in ticks] == [0, 0], [err for _, err in outputs]
    statuses = [{step["step"]: step["status"] for step in json.loads(out)["steps"]}
                for out, _ in outputs]
    names = [step_name(step) for step in tick_steps()]
    for step in names:     # one process ran it, the other found it done
        assert sorted(s[step] for s in statuses) == ["already_done", "done"], step
    with transaction(clean_engine) as s:
        assert s.scalar(select(func.count()).select_from(TickRun)) == len(names)
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "tick.step")) == len(names)


def test_with_a_broker_the_web_server_leaves_the_tick_to_the_scheduler(monkeypatch):
    monkeypatch.delenv("CLAUSIER_NO_TICK", raising=False)
    monkeypatch.delenv("CLAUSIER_BROKER_URL", raising=False)
    assert Settings.from_env().daily_tick and not Settings.from_env().broker_url
    monkeypatch.setenv("CLAUSIER_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
    assert not Settings.from_env().daily_tick


def test_without_a_broker_worker_and_scheduler_say_what_is_missing(monkeypatch):
    monkeypatch.delenv("CLAUSIER_BROKER_URL", raising=False)
    for command in (["worker"], ["scheduler"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2
        assert "CLAUSIER_BROKER_URL" in result.output
