"""Alembic's version table holds revision ids of at most 32 characters: PostgreSQL refuses a
longer one when it records it (SQLite does not check), so the check is made here for both."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from clausier.db import migrate


def test_every_revision_id_fits_alembics_version_column():
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    ids = [revision.revision for revision in script.walk_revisions()]
    assert ids and [i for i in ids if len(i) > 32] == []
