"""``clausier terms list|show|lint|load``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from clausier.cli.common import (JsonOption, command, console, error_console,
                                 print_json, print_table)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


app = typer.Typer(no_args_is_help=True, help="Term sheets: the operators' contract figures.")


def _ensure_built_ins(session: Session, clock, actor) -> None:
    from clausier.terms import service

    if not service.list_versions(session):
        service.load_built_in_sheets(session, clock, actor)


@app.command("list")
def list_sheets(as_json: bool = JsonOption):
    """List the term-sheet versions loaded."""
    from clausier.terms import service

    with command() as cmd:
        _ensure_built_ins(cmd.session, cmd.clock, cmd.actor)
        rows = [{"id": v.sheet_id, "version": v.version, "valid_from": v.valid_from,
                 "title": v.title, "families": sorted(v.document.get("families", {})),
                 "readings": len(v.document.get("readings", []))}
                for v in service.list_versions(cmd.session)]
    if as_json:
        print_json(rows)
        return
    print_table("Term sheets", ["Sheet", "Version", "Valid from", "Title", "Families", "Readings"],
                [[r["id"], r["version"], r["valid_from"], r["title"], len(r["families"]),
                  r["readings"]] for r in rows])


@app.command()
def show(sheet: str, version: int = typer.Option(None), family: str = typer.Option(None),
         as_json: bool = JsonOption):
    """Show a sheet (or, with --family, the blocks that govern one service family)."""
    from clausier.terms import service
    from clausier.terms.rendering import flatten

    with command() as cmd:
        _ensure_built_ins(cmd.session, cmd.clock, cmd.actor)
        parsed = service.get_sheet(cmd.session, sheet, version)
        section = (service.family_terms(cmd.session, sheet, family, version) if family
                   else parsed)
    if as_json:
        print_json(section.model_dump(mode="json", exclude_none=True))
        return
    print_table(f"{parsed.title} v{parsed.version}" + (f" — {family}" if family else ""),
                ["Value", "Is", "Clause"],
                [[row.path, row.value, row.clause] for row in flatten(section)])


@app.command()
def lint(files: list[Path] = typer.Argument(None, help="Sheet files or folders (default: built-in)."),
         seeds: Path = typer.Option(None, help="Folder of the seed texts, to check line ranges.")):
    """Check sheets: schema, sources, bands, references, unresolved contradictions."""
    from clausier.terms.lint import lint_path
    from clausier.terms.loader import built_in_paths

    paths = files or built_in_paths()
    failed = False
    for path in paths:
        problems = lint_path(path, seeds)
        if problems:
            failed = True
            error_console.print(f"[bold red]✗ {path}[/]: {len(problems)} problem(s)")
            for problem in problems:
                error_console.print(f"  - {problem}", highlight=False, soft_wrap=True)
        else:
            console.print(f"[green]✓ {path}[/]")
    if failed:
        raise typer.Exit(code=1)


@app.command()
def load(path: Path):
    """Validate, lint and store a sheet version (the same content twice changes nothing)."""
    from clausier.terms import service

    with command() as cmd:
        stored = service.load_sheet_file(cmd.session, cmd.clock, cmd.actor, path)
        console.print(f"Loaded {stored.sheet_id} v{stored.version} (valid from {stored.valid_from})")
