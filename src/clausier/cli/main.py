"""The ``clausier`` command: each room contributes its sub-commands (``ROOM_COMMANDS``)."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(name="clausier", no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Clausier — back office for telecom, IT and access-control operators.")

# room module -> (command name, or None to add its commands at the top level)
ROOM_COMMANDS: list[tuple[str, str | None]] = [
    ("clausier.db.cli", "db"),
    ("clausier.terms.cli", "terms"),
    ("clausier.catalog.cli", "catalog"),
    ("clausier.customers.cli", "customer"),
    ("clausier.accounts.cli", "user"),
    ("clausier.demo.cli", "demo"),
    ("clausier.scheduler.cli", None),
    ("clausier.web.cli", None),
]

for module_name, command_name in ROOM_COMMANDS:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not module_name.startswith(exc.name or "-"):
            raise
        continue
    if command_name is None:
        for command in module.app.registered_commands:
            app.registered_commands.append(command)
        for group in module.app.registered_groups:
            app.registered_groups.append(group)
    else:
        app.add_typer(module.app, name=command_name)


if __name__ == "__main__":
    app()
