"""One list of rooms (issue 20 §4): a room with tables, routes or commands that ``clausier.rooms``
forgets would silently lose them; the daily steps run in the order the data flows."""

from __future__ import annotations

from pathlib import Path

import clausier
from clausier.core.room import step_name
from clausier.rooms import ROOMS
from clausier.scheduler.service import tick_steps

PACKAGE = Path(clausier.__file__).parent
ROOM_FILES = ("models.py", "api.py", "views.py", "cli.py")


def test_every_room_package_is_listed_with_its_manifest():
    packages = {path.name for path in PACKAGE.iterdir()
                if path.is_dir() and any((path / name).exists() for name in ROOM_FILES)}
    assert packages <= {room.name for room in ROOMS}
    for room in ROOMS:
        assert (PACKAGE / room.name / "room.py").exists(), room.name


def test_each_room_is_listed_once_under_its_package_name():
    names = [room.name for room in ROOMS]
    assert len(names) == len(set(names))
    assert all((PACKAGE / name).is_dir() for name in names)


def test_every_models_module_is_declared():
    declared = {room.name for room in ROOMS if room.models is not None}
    assert {room.name for room in ROOMS if (PACKAGE / room.name / "models.py").exists()} == declared


def test_the_daily_steps_run_in_the_order_the_data_flows():
    assert [step_name(step) for step in tick_steps()] == [
        "clausier.contracts.service:tick",
        "clausier.equipment.service:tick",       # after contracts: returns open once a line ends
        "clausier.numbers.service:tick",
        "clausier.billing.invoices.service:tick",
        "clausier.payments.daily:tick",
        "clausier.notifications.service:deliver",
        "clausier.support.service:deliver_notifications",
        "clausier.access.periods.service:daily_tick",
        "clausier.privacy.service:tick",
        "clausier.accounts.service:forget_stale_logins",
    ]
