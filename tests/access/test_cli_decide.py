"""``clausier access decide`` (the platform's decision from the command line) and
``clausier device present --json`` (issue 18 §7): a refusal is the decision itself, exit code 2.

The school's gate opens to the staff group Monday-Friday 07:30-18:00 and 10:00-12:00 on public
holidays (the ``portal`` fixture); 14 July is a public holiday in France."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from clausier.access.simulator import DeviceStore, SimulatedDevice
from clausier.cli.main import app

runner = CliRunner()


def decide(portal, *args: str):
    return runner.invoke(app, ["access", "decide", str(portal.site_id), "--point", str(portal.point_id),
                               *args, "--json"])


@pytest.mark.parametrize("at, granted, reason", [
    ("2026-11-24T07:30:00", True, "granted"),               # a Tuesday, first minute of the slot
    ("2026-11-24T07:29:00", False, "outside_time_slot"),    # one minute before
    ("2026-07-14T09:00:00", False, "outside_time_slot"),    # a Tuesday, but the 14 July holiday
    ("2026-07-14T10:30:00", True, "granted"),               # within the holiday slot 10:00-12:00
    ("2026-11-28T10:30:00", False, "outside_time_slot"),    # a Saturday
])
def test_access_decide_answers_by_the_time_slots(portal, db_url, monkeypatch, at, granted, reason):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    result = decide(portal, "--wiegand26", "123/4567", "--at", at)
    data = json.loads(result.output)
    assert (data["granted"], data["reason"]) == (granted, reason)
    assert result.exit_code == (0 if granted else 2)
    assert data["record_id"] == portal.dupont_id             # the badge is known in every case


def test_access_decide_refuses_an_unknown_badge_and_an_unknown_site_as_json(portal, db_url, monkeypatch):
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    result = decide(portal, "--wiegand26", "123/9999", "--at", "2026-11-24T09:00:00")
    assert result.exit_code == 2
    assert json.loads(result.output)["reason"] == "unknown_credential"
    result = runner.invoke(app, ["access", "decide", "999999", "--point", str(portal.point_id),
                                 "--wiegand26", "123/4567", "--json"])
    assert result.exit_code == 2
    refusal = json.loads(result.output)
    assert refusal["refused"] is True and refusal["status"] == 404 and "999999" in refusal["detail"]
    table = runner.invoke(app, ["access", "decide", str(portal.site_id), "--point", str(portal.point_id),
                                "--wiegand26", "123/4567", "--at", "2026-11-24T09:00:00"])
    assert table.exit_code == 0 and "granted" in table.output


def test_device_present_json(portal, clock, tmp_path):
    _, token = portal.device()
    state = tmp_path / "device.sqlite"
    store = DeviceStore(state)
    store.put(token=token, url="http://127.0.0.1:9")        # nothing listens there: offline
    SimulatedDevice(store, TestClient(portal.app), clock).sync()
    base = ["device", "present", "--state", str(state), "--point", str(portal.point_id), "--json"]
    granted = runner.invoke(app, [*base, "--wiegand26", "123/4567", "--at", "2026-11-24T09:00:00"])
    assert granted.exit_code == 0, granted.output
    data = json.loads(granted.output)
    assert (data["granted"], data["record_id"], data["events_waiting"]) == (True, portal.dupont_id, 1)
    refused = runner.invoke(app, [*base, "--code", "0000", "--at", "2026-11-24T09:00:00"])
    assert refused.exit_code == 2
    assert json.loads(refused.output) | {"events_waiting": 2} == {
        "granted": False, "reason": "unknown_credential", "record_id": None, "credential_id": None,
        "version": data["version"], "events_waiting": 2}
