"""The demonstration data set: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _commands():
    from clausier.demo import cli

    return [("demo", cli.app)]


ROOM = Room("demo", commands=_commands)
