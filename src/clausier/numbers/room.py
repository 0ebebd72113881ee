"""Numbers: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.numbers import models

    return models


def _routers():
    from clausier.numbers import api, views

    return [api.router, views.router]


def _commands():
    from clausier.numbers import cli

    return [("number", cli.app), ("port", cli.port_app)]


def _tick_steps():
    from clausier.numbers import service

    return [service.tick]


ROOM = Room("numbers", models=_models, routers=_routers, commands=_commands, tick_steps=_tick_steps)
