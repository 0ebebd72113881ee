"""The customers' portal: what this room adds to the app (``core/room.py``)."""

from __future__ import annotations

from clausier.core.room import Room


def _routers():
    from clausier.portal import api, views

    return [api.router, views.router]


def _commands():
    from clausier.portal import cli

    return [("user", cli.app)]


ROOM = Room("portal", routers=_routers, commands=_commands)
