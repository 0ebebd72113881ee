"""Use cases of term sheets: load (idempotently), list, fetch the version in force."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.errors import Conflict, InvalidInput, NotFound, Problem
from clausier.terms.lint import lint_sheet
from clausier.terms.loader import built_in_paths, read_document, validate_document
from clausier.terms.models import TermSheetVersion
from clausier.terms.schema import Terms, TermSheet


def _digest(document: dict) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


def load_sheet_file(session: Session, clock: Clock, actor: Actor, path: Path) -> TermSheetVersion:
    """Validate, lint and store a sheet version. Loading the same content again changes nothing;
    a different content under an existing version number is refused (versions are immutable)."""
    document = read_document(Path(path))
    sheet = validate_document(document, origin=str(path))
    problems = lint_sheet(sheet, applied=False)
    if problems:
        raise InvalidInput(f"{path}: the sheet does not lint clean", problems=problems)
    # Only what the author wrote: a family overrides exactly the fields it sets (an explicit
    # null included), so defaults must not be stored as if they had been written.
    plain = json.loads(sheet.model_dump_json(exclude_unset=True))
    digest = _digest(plain)
    existing = session.scalar(select(TermSheetVersion).where(
        TermSheetVersion.sheet_id == sheet.id, TermSheetVersion.version == sheet.version))
    if existing is not None:
        if existing.digest != digest:
            raise Conflict(
                f"version: {sheet.id} v{sheet.version} is already loaded with other content; "
                "give the new terms a new version number and valid_from date",
                problems=[Problem("version", "already loaded with other content")])
        return existing
    stored = TermSheetVersion(sheet_id=sheet.id, version=sheet.version, valid_from=sheet.valid_from,
                              title=sheet.title, digest=digest, document=plain,
                              loaded_at=clock.now())
    session.add(stored)
    record(session, clock, actor, "terms.load", stored, f"{sheet.id} v{sheet.version}")
    return stored


def load_built_in_sheets(session: Session, clock: Clock, actor: Actor) -> list[TermSheetVersion]:
    loaded = []
    for path in built_in_paths():
        try:
            loaded.append(load_sheet_file(session, clock, actor, path))
        except Conflict as exc:
            raise Conflict(
                f"{exc.message}. The built-in sheet {path.name} shipped with this release differs "
                "from the one this database stored from an earlier release: a release must give "
                "changed terms a new version, so report it and keep the earlier release; a demo "
                "database can be recreated (rm -rf var, then make run)",
                problems=exc.problems, code=exc.code) from None
    return loaded


def list_versions(session: Session, sheet_id: str | None = None) -> list[TermSheetVersion]:
    query = select(TermSheetVersion).order_by(TermSheetVersion.sheet_id, TermSheetVersion.version)
    if sheet_id is not None:
        query = query.where(TermSheetVersion.sheet_id == sheet_id)
    return list(session.scalars(query))


@lru_cache(maxsize=64)
def _parse(digest: str, document_json: str) -> TermSheet:
    return TermSheet.model_validate_json(document_json)


def as_sheet(stored: TermSheetVersion) -> TermSheet:
    return _parse(stored.digest, json.dumps(stored.document))


def get_version(session: Session, sheet_id: str, version: int | None = None) -> TermSheetVersion:
    query = select(TermSheetVersion).where(TermSheetVersion.sheet_id == sheet_id)
    if version is not None:
        query = query.where(TermSheetVersion.version == version)
    stored = session.scalars(query.order_by(TermSheetVersion.version.desc())).first()
    if stored is None:
        suffix = f" version {version}" if version is not None else ""
        raise NotFound(f"sheet: no term sheet {sheet_id!r}{suffix} is loaded",
                       resource="term_sheet")
    return stored


def get_sheet(session: Session, sheet_id: str, version: int | None = None) -> TermSheet:
    return as_sheet(get_version(session, sheet_id, version))


def family_terms(session: Session, sheet_id: str, family: str,
                 version: int | None = None) -> Terms:
    """The merged blocks governing ``family`` (general, then ``same_as``, then its own)."""
    sheet = get_sheet(session, sheet_id, version)
    if family not in sheet.families:
        raise NotFound(f"family: {sheet_id} v{sheet.version} has no family {family!r} "
                       f"(it has {', '.join(sorted(sheet.families)) or 'none'})")
    return sheet.terms_for(family)


def version_in_force(session: Session, sheet_id: str, on: date) -> TermSheetVersion:
    """The version a contract signed on ``on`` is bound to: the latest valid on that date."""
    stored = session.scalars(
        select(TermSheetVersion)
        .where(TermSheetVersion.sheet_id == sheet_id, TermSheetVersion.valid_from <= on)
        .order_by(TermSheetVersion.valid_from.desc(), TermSheetVersion.version.desc())
    ).first()
    if stored is None:
        raise NotFound(f"sheet: no version of {sheet_id!r} was in force on {on.isoformat()}"
                       f"{_earliest_hint(session, sheet_id)}")
    return stored


def _earliest_hint(session: Session, sheet_id: str) -> str:
    """What the database holds instead, and how to add the missing terms."""
    earliest = session.scalars(
        select(TermSheetVersion).where(TermSheetVersion.sheet_id == sheet_id)
        .order_by(TermSheetVersion.valid_from, TermSheetVersion.version)).first()
    if earliest is None:
        return " (none is loaded: run 'clausier db upgrade' to load the built-in sheets)"
    return (f" (the earliest loaded, v{earliest.version}, applies from "
            f"{earliest.valid_from.isoformat()}: load the terms in force before it with "
            "'clausier terms load FILE')")
