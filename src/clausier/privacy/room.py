"""Personal data: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.privacy import models

    return models


def _routers():
    from clausier.privacy import api, views

    return [api.router, views.router]


def _commands():
    from clausier.privacy import cli

    return [("privacy", cli.app)]


def _tick_steps():
    from clausier.privacy import service

    return [service.tick]


def _dashboard_cards():
    from clausier.privacy import views

    return [views.dashboard_cards]


def _retention_purgers():
    from clausier.privacy import purgers

    return [
        purgers.purge_usage_partitions,
        purgers.purge_recordings,
        purgers.purge_platform_data,
    ]


ROOM = Room(
    "privacy",
    models=_models,
    routers=_routers,
    commands=_commands,
    tick_steps=_tick_steps,
    dashboard_cards=_dashboard_cards,
    retention_purgers=_retention_purgers,
)
