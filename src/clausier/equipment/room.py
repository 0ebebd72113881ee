"""Equipment: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.equipment import models

    return models


def _routers():
    from clausier.equipment import api, views

    return [api.router, views.router]


def _commands():
    from clausier.equipment import cli

    return [("equipment", cli.app)]


def _tick_steps():
    from clausier.equipment import service

    return [service.tick]


def _customer_sections():
    from clausier.equipment import views

    return [views.customer_section]


ROOM = Room(
    "equipment",
    models=_models,
    routers=_routers,
    commands=_commands,
    tick_steps=_tick_steps,
    customer_sections=_customer_sections,
)
