"""``clausier access ...`` and ``clausier device ...`` on a committed site."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clausier.access.simulator import DeviceStore, SimulatedDevice
from clausier.cli.main import app

runner = CliRunner()


def test_call_plan_and_offline_present_from_the_command_line(portal, clock, db_url, tmp_path, monkeypatch):
    """CP A art. 1 L67-77 (main number busy → secondary) and L130 (offline decision)."""
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    result = runner.invoke(app, ["access", "call-plan", str(portal.site_id), str(portal.dupont_id),
                                 "--busy", "+33612345678", "--answers", "+33240000000", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["simulation"]["answered_by"] == "+33240000000"

    _, token = portal.device()
    state = tmp_path / "device.sqlite"
    store = DeviceStore(state)
    store.put(token=token, url="http://127.0.0.1:9")        # nothing listens there: offline
    SimulatedDevice(store, TestClient(portal.app), clock).sync()
    result = runner.invoke(app, ["device", "present", "--state", str(state), "--point", str(portal.point_id),
                                 "--wiegand26", "123/4567", "--at", "2026-11-24T09:00:00"])
    assert result.exit_code == 0, result.output
    assert "granted" in result.output and "1 events waiting" in result.output
    result = runner.invoke(app, ["device", "present", "--state", str(state), "--point", str(portal.point_id),
                                 "--code", "0000", "--at", "2026-11-24T09:00:00"])
    assert result.exit_code == 2 and "unknown_credential" in result.output
    result = runner.invoke(app, ["device", "upload", "--state", str(state)])
    assert "offline" in result.output and "2 waiting" in result.output


def test_refusals_exit_with_code_2(portal, db_url, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    result = runner.invoke(app, ["access", "add-credential", str(portal.site_id), str(portal.dupont_id),
                                 "--kind", "keypad", "--code", "1234", "--point", str(portal.point_id)])
    assert result.exit_code == 2
    assert "too easy to guess" in result.output
