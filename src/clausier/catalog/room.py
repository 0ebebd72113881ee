"""Operators and offers: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.catalog import models

    return models


def _routers():
    from clausier.catalog import api, views

    return [api.router, views.router]


def _commands():
    from clausier.catalog import cli

    return [("catalog", cli.app)]


ROOM = Room("catalog", models=_models, routers=_routers, commands=_commands)
