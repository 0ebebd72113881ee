"""The workers: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.workers import models

    return models


def _routers():
    from clausier.workers import api, views

    return [api.router, views.router]


def _commands():
    from clausier.workers import cli

    return [(None, cli.app)]


ROOM = Room("workers", models=_models, routers=_routers, commands=_commands)
