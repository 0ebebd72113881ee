"""Revision 0002_terms_usage_vocabulary: a sheet stored by an earlier release, with the usage
names the code no longer reads, is rewritten in the vocabulary; the built-in sheet of this
release is then the same content (loading it changes nothing) and the stored copy parses."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

import clausier.db
from clausier.core.clock import PARIS, FixedClock
from clausier.db import migrate
from clausier.db.session import transaction
from clausier.terms import service as terms
from clausier.terms.loader import built_in_paths

_PATH = (Path(clausier.db.__file__).parent / "migrations" / "versions"
         / "0002_terms_usage_vocabulary.py")
_SPEC = importlib.util.spec_from_file_location("terms_vocabulary_revision", _PATH)
revision = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(revision)
OLD_NAMES = {new: old for old, new in revision.RENAMED.items()}


def _as_earlier_release(node):
    if isinstance(node, list):
        return [_as_earlier_release(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _as_earlier_release(value) for key, value in node.items()}
    for group in revision.GROUPS:
        if isinstance(out.get("usage"), dict) and isinstance(out["usage"].get(group), dict):
            out["usage"][group] = {OLD_NAMES.get(k, k): v for k, v in out["usage"][group].items()}
    return out


def test_a_sheet_stored_with_the_old_names_is_the_built_in_sheet_after_the_upgrade(
        tmp_path, actor):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    # The vocabulary's revision not yet run; the audit table as this release writes it (the
    # sheets are loaded by this release's code, which audits the load).
    migrate.upgrade(url, "0012_audit_summary_message")
    clock = FixedClock(datetime(2026, 12, 7, 9, tzinfo=PARIS))
    engine = sa.create_engine(url)
    with transaction(engine) as session:                 # this release's sheets, stored...
        for path in built_in_paths():
            terms.load_sheet_file(session, clock, actor, path)
    with engine.begin() as connection:                   # ... as an earlier release wrote them
        rows = connection.execute(sa.text("select id, document from term_sheet_versions")).all()
        for row_id, document in rows:
            old = _as_earlier_release(json.loads(document))
            connection.execute(sa.text("update term_sheet_versions set document = :d, digest = :h "
                                       "where id = :i"),
                               {"d": json.dumps(old), "h": revision._digest(old), "i": row_id})
        stale = connection.execute(sa.text(
            "select count(*) from term_sheet_versions where document like '%local_loop_surcharge%'"
        )).scalar()
    assert stale == 1                                   # technicophone said it the old way
    migrate.upgrade(url)
    with transaction(engine) as session:
        reloaded = terms.load_built_in_sheets(session, clock, actor)   # no Conflict
        technicophone = terms.get_sheet(session, "technicophone")
    assert len(reloaded) == len(built_in_paths())
    # CP X §7.4 (L7804-7808): 10 % surcharge beyond a 5 % share of off-net calls
    assert technicophone.families["cx"].usage.figures.offnet_surcharge_percent.value == 10
