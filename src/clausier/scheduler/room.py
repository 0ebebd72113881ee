"""The daily tick: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.scheduler import models

    return models


def _commands():
    from clausier.scheduler import cli

    return [(None, cli.app)]


ROOM = Room("scheduler", models=_models, commands=_commands)
