"""The ``clausier`` command: each room contributes its sub-commands (``commands`` of its
manifest, ``<room>/room.py``)."""

from __future__ import annotations

import typer

from clausier.rooms import ROOMS

app = typer.Typer(name="clausier", no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Clausier — back office for telecom, IT and access-control operators.")


def room_commands() -> list[tuple[str | None, typer.Typer]]:
    """(command name, typer app) of every room, in the rooms' order; None: top-level commands."""
    return [command for room in ROOMS for command in room.commands()]


groups: dict[str, typer.Typer] = {}
for command_name, room_app in room_commands():
    if command_name is None:
        app.registered_commands.extend(room_app.registered_commands)
        app.registered_groups.extend(room_app.registered_groups)
    elif command_name in groups:      # a second room's commands under the same name join it
        groups[command_name].registered_commands.extend(room_app.registered_commands)
    else:
        groups[command_name] = room_app
        app.add_typer(room_app, name=command_name)


if __name__ == "__main__":
    app()
