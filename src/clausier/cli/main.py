"""The ``clausier`` command: each room contributes its sub-commands (``ROOM_COMMANDS``)."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(name="clausier", no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Clausier — back office for telecom, IT and access-control operators.")

# "module[:attribute]" (default attribute ``app``) -> command name, or None for top-level commands;
# a second module under the same name adds its commands to that group.
ROOM_COMMANDS: list[tuple[str, str | None]] = [
    ("clausier.db.cli", "db"),
    ("clausier.terms.cli", "terms"),
    ("clausier.catalog.cli", "catalog"),
    ("clausier.customers.cli", "customer"),
    ("clausier.contracts.cli", "contract"),
    ("clausier.contracts.cli:top_level", None),
    ("clausier.billing.cli", "invoice"),
    ("clausier.billing.cli:index_app", "index"),
    ("clausier.billing.cli:price_app", "price-change"),
    ("clausier.billing.cli:top_level", None),
    ("clausier.payments.cli:top_level", None),
    # ``clausier rate --month`` rates usage; the payments room adds the legal interest rates.
    ("clausier.rating.cli:rate_app", "rate"),
    ("clausier.payments.cli:rate_app", "rate"),
    ("clausier.support.cli", None),
    ("clausier.equipment.cli", "equipment"),
    ("clausier.numbers.cli", "number"),
    ("clausier.numbers.cli:port_app", "port"),
    ("clausier.access.cli", "access"),
    ("clausier.access.cli:device_app", "device"),
    ("clausier.accounts.cli", "user"),
    ("clausier.portal.cli", "user"),
    ("clausier.privacy.cli", "privacy"),
    ("clausier.demo.cli", "demo"),
    ("clausier.rating.cli", None),
    ("clausier.scheduler.cli", None),
    ("clausier.web.cli", None),
    ("clausier.workers.cli", None),
]

groups: dict[str, typer.Typer] = {}
for target, command_name in ROOM_COMMANDS:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not module_name.startswith(exc.name or "-"):
            raise
        continue
    room_app = getattr(module, attribute or "app")
    if command_name is None:
        app.registered_commands.extend(room_app.registered_commands)
        app.registered_groups.extend(room_app.registered_groups)
    elif command_name in groups:
        groups[command_name].registered_commands.extend(room_app.registered_commands)
    else:
        groups[command_name] = room_app
        app.add_typer(room_app, name=command_name)


if __name__ == "__main__":
    app()
