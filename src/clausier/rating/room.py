"""Rating: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.rating import models

    return models


def _routers():
    from clausier.rating import api, views

    return [api.router, views.router]


def _commands():
    from clausier.rating import cli

    return [("rate", cli.rate_app), (None, cli.app)]


ROOM = Room("rating", models=_models, routers=_routers, commands=_commands)
