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


named: dict[str, list[typer.Typer]] = {}
for command_name, room_app in room_commands():
    if command_name is None:
        app.registered_commands.extend(room_app.registered_commands)
        app.registered_groups.extend(room_app.registered_groups)
    else:
        named.setdefault(command_name, []).append(room_app)
# Rooms sharing a command name share one group: the app with a callback of its own (``clausier
# rate --month`` of the rating room) leads it, the others' commands join it.
for command_name, room_apps in named.items():
    lead = next((a for a in room_apps if a.registered_callback), room_apps[0])
    for other in room_apps:
        if other is not lead:
            lead.registered_commands.extend(other.registered_commands)
    app.add_typer(lead, name=command_name)


if __name__ == "__main__":
    app()
