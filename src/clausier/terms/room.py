"""Term sheets: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.terms import models

    return models


def _routers():
    from clausier.terms import api, views

    return [api.router, views.router]


def _commands():
    from clausier.terms import cli

    return [("terms", cli.app)]


ROOM = Room("terms", models=_models, routers=_routers, commands=_commands)
