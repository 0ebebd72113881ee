"""Access control: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.access import models

    return models


def _first_routers():
    from clausier.access import api

    return [api.first_router]


def _routers():
    from clausier.access import api, views

    return [api.router, views.router]


def _commands():
    from clausier.access import cli

    return [("access", cli.app), ("device", cli.device_app)]


def _tick_steps():
    from clausier.access.periods import service

    return [service.daily_tick]


def _retention_purgers():
    from clausier.access.events import purge

    return [purge.purge_access_events]


def _dashboard_cards():
    from clausier.access import views

    return [views.dashboard_cards]


def _web_tasks():
    from clausier.access.sync import builds

    return [builds.start]


ROOM = Room(
    "access",
    models=_models,
    first_routers=_first_routers,
    routers=_routers,
    commands=_commands,
    tick_steps=_tick_steps,
    dashboard_cards=_dashboard_cards,
    retention_purgers=_retention_purgers,
    web_tasks=_web_tasks,
)
