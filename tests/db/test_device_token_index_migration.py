"""Revision 0008_access_device_token_digest upgrades a database in use: devices with events
pointing to them. (Made as a unique constraint, the change rebuilt ``access_devices`` on SQLite,
and dropping the old table that events reference failed with foreign keys on, as Clausier runs
SQLite: `make run` on an existing demo database stopped there.)"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from clausier.db import migrate

NOW = "2026-12-07 09:00:00.000000"


def test_a_database_with_device_events_upgrades_to_the_token_digest_index(tmp_path):
    path = tmp_path / "in-use.db"
    migrate.upgrade(f"sqlite:///{path}", "0007_access_invitations")
    raw = sqlite3.connect(path)          # rows only: what they belong to does not matter here
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("insert into access_sites (id, pack_id, customer_site_id, name, kind, country, "
                "call_timeout_seconds, config_version, created_at) "
                "values (1, 1, 1, 'École', 'school', 'FR', 30, 1, ?)", (NOW,))
    raw.execute("insert into access_devices (id, site_id, name, kind, token_prefix, token_hash, "
                "token_rotated_at, version_applied, last_sequence, active, created_at) "
                "values (1, 1, 'Portail', 'controller', 'abcd', ?, ?, 1, 1, 1, ?)",
                ("f" * 64, NOW, NOW))
    raw.execute("insert into access_events (site_id, device_id, sequence, batch_id, at, kind, "
                "details, received_at) values (1, 1, 1, 'b1', ?, 'granted', '{}', ?)",
                (NOW, NOW))
    raw.commit()
    raw.close()

    migrate.upgrade(f"sqlite:///{path}")

    indexes = {index["name"]: index for index in
               sa.inspect(sa.create_engine(f"sqlite:///{path}")).get_indexes("access_devices")}
    assert indexes["ix_access_devices_token_hash"]["unique"]
    assert "ix_access_devices_token_prefix" not in indexes
