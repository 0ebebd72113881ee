"""The database layer: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _models():
    from clausier.db import models

    return models


def _commands():
    from clausier.db import cli

    return [("db", cli.app)]


ROOM = Room("db", models=_models, commands=_commands)
