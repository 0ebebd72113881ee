"""What a room adds to the application, declared once in its manifest ``<room>/room.py`` (``ROOM``)
and listed in ``clausier/rooms.py``: the web app, the CLI, the daily tick, the workers, the
dashboard, the customer page and the purge read these declarations; none of them names a room.

Each contribution is a function without arguments that imports what it returns (an explicit
``from clausier.<room> import …`` inside it): listing the rooms imports nothing of them, so
``clausier --help`` loads neither the web stack nor the rooms' services, and the web server loads
no command-line module."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

Step = Callable[..., Any]


def nothing() -> tuple:
    return ()


@dataclass(frozen=True)
class Outbox:
    """Messages a room sends to customers, waiting in its outbox until sent.

    ``deliver(session, clock, actor, day)`` sends what is due and returns the counts by outcome
    (``{"sent": n, "failed": n}``); ``send_next(session, clock, actor)`` claims, sends and marks
    the oldest due message no other sender holds ("sent", "failed", or None when nothing is due);
    ``preview(session, clock, customer_id=None)`` lists what ``deliver`` would send (dry run)."""

    deliver: Step
    send_next: Step
    preview: Step


@dataclass(frozen=True)
class Room:
    """A room's contributions; each returns them in the order they are used.

    - ``models``: imports the room's tables (for ``Base.metadata``), returns the module.
    - ``first_routers``: routes matched before every other room's (called many times a second).
    - ``routers``: the room's JSON API and HTML pages.
    - ``commands``: ``(name, typer app)``; name None merges the commands at the top level, a
      name two rooms use merges their commands into one group.
    - ``tick_steps``: the room's daily work, ``step(session, clock, actor, day)`` returning a
      short summary (or None); a keyword ``customer_id`` lets it run for one customer.
    - ``outboxes``: what the room sends to customers through the day (``Outbox``).
    - ``dashboard_cards``: ``cards(session, gettext)`` -> the dashboard's figure cards.
    - ``dashboard_panels``: ``panel(session, clock, view)`` -> a dashboard panel (or None).
    - ``customer_sections``: ``section(session, customer, today, query)`` -> ``(template,
      context)``, a section of the customer's page.
    - ``retention_purgers``: ``purge(session, clock, actor, rule, day, held)`` deletes what a
      retention rule in force makes due (``privacy.purgers``).
    - ``web_tasks``: ``start(engine, clock, settings)`` -> a started background task (with
      ``stop()``) that each web worker runs while it is up.
    """

    name: str
    models: Callable[[], ModuleType] | None = None
    first_routers: Callable[[], Sequence[APIRouter]] = nothing
    routers: Callable[[], Sequence[APIRouter]] = nothing
    commands: Callable[[], Sequence[tuple[str | None, typer.Typer]]] = nothing
    tick_steps: Callable[[], Sequence[Step]] = nothing
    outboxes: Callable[[], Sequence[Outbox]] = nothing
    dashboard_cards: Callable[[], Sequence[Step]] = nothing
    dashboard_panels: Callable[[], Sequence[Step]] = nothing
    customer_sections: Callable[[], Sequence[Step]] = nothing
    retention_purgers: Callable[[], Sequence[Step]] = nothing
    web_tasks: Callable[[], Sequence[Step]] = nothing


def step_name(function: Step) -> str:
    """``"module:function"``: how a step is named in the tick's records and reports."""
    return f"{function.__module__}:{function.__qualname__}"
